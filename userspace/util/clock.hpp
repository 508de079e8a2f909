// Wall-clock time for humans; event timing uses CLOCK_MONOTONIC (the BPF clock) instead.
#pragma once

#include <string>

namespace tristate::util {

// "2026-11-25T12:34:56.123456Z"
std::string iso_utc_now();

}  // namespace tristate::util
