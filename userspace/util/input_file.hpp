// Reading a file the user named, with a bound: a report, a quiz or a page is small, and
// `tristate compare good.json /dev/zero` must stop at the bound instead of eating memory.
#pragma once

#include <cstddef>
#include <string>

#include "util/result.hpp"

namespace tristate::util {

// The whole file, or an error naming the path and the size found when it is over
// `max_bytes`. Non-regular files (pipes, devices) are read up to the bound and refused past it.
Result<std::string> read_bounded(const std::string& path, std::size_t max_bytes);

// "64 MiB", "1.5 KiB", "12 bytes": sizes in messages.
std::string human_bytes(std::size_t bytes);

}  // namespace tristate::util
