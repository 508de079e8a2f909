// Which guest to boot first when there are more guests than cores: the longest first, from
// each kernel's previous guest time, kept in its cache entry. In a default matrix on 2 cores
// the newest kernel is the slowest guest (~5.1 s against ~4.4-4.6 s) and, listed last, it
// started only when a core came free, so one core idled while it ran alone at the end.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "lab/catalog.hpp"

namespace tristate::lab {

// The previous guest's time (qemu start to exit) on this kernel; nullopt when none was kept
// (a kernel never booted, or a vmlinuz the user named: nothing is written next to it).
std::optional<double> last_guest_seconds(const Kernel& kernel);

// Best effort: a cache it cannot write only loses the ordering hint.
void remember_guest_seconds(const Kernel& kernel, double seconds);

// Start order for guests with these previous times: unknown ones first (they may be the
// longest), then longest first; equal times keep the input order.
std::vector<std::size_t> longest_first(const std::vector<std::optional<double>>& seconds);

}  // namespace tristate::lab
