// How a step's bucket events read to a person: the deciding state, one-line event summaries,
// the tri-state node names and the transitions a step caused. Shared by compare and renderers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "compare/matrix.hpp"
#include "report/report.hpp"

namespace tristate::compare {

// Diagram node: "-1" when both halves agree, "-1/0" when they differ.
std::string node_name(const report::BucketState& s);

// Follows one report's bind buckets through a quiz (bhash only), step by step, to say which
// state decided each step.
class BucketTracker {
 public:
  // Applies the step's events; returns the state of the bucket the step touched last:
  // "port 60000: 0/0 (bind)", "port 60000: absent (release)", "port 60000: 0/0 (connect,
  // refused)" for a refusal that carried no state (the bucket alive on the port asked for,
  // or the only one alive), "no bucket event" when `events` is empty.
  std::string step_state(const std::vector<report::Event>& events);

 private:
  std::map<std::uint16_t, report::BucketState> live_;
};

// step_state() of a fresh tracker: for a step seen on its own.
std::string deciding_state(const std::vector<report::Event>& events);

// The fields compared between kernels: kind, function, path, port, before/after, requested
// port, bhash2 address. Timestamps, pids, bucket ids, netns and return values are left out.
bool same_event(const report::Event& a, const report::Event& b);

// The bind-bucket moves (bucket_create / bucket_state with a change / bucket_destroy) of a
// step, in order.
std::vector<Transition> transitions_of(const report::Step& step);

// A cell's outcome as printed everywhere: "ok", "EADDRNOTAVAIL", with " ✗" when the output
// did not match the quiz's expectation, "—" when the step is absent from that report.
std::string cell_outcome(const Cell& c);

// "s2.connect(('127.9.9.9', 1234))" shortened to at most `max` characters with "…".
std::string shorten(const std::string& source, std::size_t max);

}  // namespace tristate::compare
