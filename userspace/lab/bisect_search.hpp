// The search behind `tristate bisect`, apart from guests so it is tested on fake catalogs:
// builds 0..n-1 in version order, each with a signature (what the quizzes did on it) or none
// (it did not boot or run). Each round probes up to `parallel` builds at once (k-ary search
// on the cores there are) inside every interval whose two ends differ, until each such pair of
// probed builds has nothing bootable left between them. Every boundary found is kept: a
// behaviour that changes and changes back is two boundaries, never collapsed into one. Like any
// bisection it sees only changes visible between probed builds: two changes that cancel out
// between two builds that agree are not looked for.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tristate::lab {

struct BuildProbe {
  std::optional<std::string> signature;  // nullopt: unbootable (or its guest failed)
  std::string error;                     // why, when unbootable
};

// Runs the given builds (side by side) and returns one probe per index, in order.
using ProbeBuilds = std::function<std::vector<BuildProbe>(const std::vector<std::size_t>&)>;

struct Boundary {
  std::size_t last_good = 0;   // the last build that behaves like the one before it
  std::size_t first_bad = 0;   // the first that does not
  std::vector<std::size_t> unbootable_between;  // the change may be in any of these too
};

struct BisectOutcome {
  std::map<std::size_t, BuildProbe> probed;  // every build run, by index
  std::vector<Boundary> boundaries;          // in version order; empty: the ends agree
  std::vector<std::vector<std::size_t>> rounds;  // what each round ran
  std::string error;                         // an end did not run: nothing to compare with
  std::size_t boots() const { return probed.size(); }
};

BisectOutcome bisect_builds(std::size_t n, std::size_t parallel, const ProbeBuilds& probe);

}  // namespace tristate::lab
