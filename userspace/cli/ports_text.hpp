// `tristate ports` as text: the verdict first, then the counts and the holders with the remedy
// for each kind; `--watch` prints what changed between two snapshots.
#pragma once

#include <string>

#include "ports/ports.hpp"

namespace tristate::cli {

// "connect() to 10.0.0.7:443 from netns X can use 12 of 28,232 ports; 27,900 are blocked by
// bind()-made buckets, 27,512 of them held by envoy[812]"
std::string ports_verdict(const ports::NetnsPorts& n);
std::string ports_text(const ports::PortsSnapshot& s);
// What moved between two snapshots of the same namespaces (empty: nothing).
std::string ports_changes(const ports::PortsSnapshot& before, const ports::PortsSnapshot& after);
std::string with_commas(std::uint64_t v);

}  // namespace tristate::cli
