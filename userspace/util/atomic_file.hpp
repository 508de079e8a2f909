// Replacing a cache file whole: readers see the old bytes or the new, never half. The text goes
// to "<path>.tmp-<pid>" beside it, then is renamed over the path. That name is the one the
// lab's leftovers sweep (lab/leftovers.cpp) recognises: a run killed between the two steps
// leaves a file whose pid is gone, and the next run removes it.
#pragma once

#include <filesystem>
#include <string_view>

#include "util/result.hpp"

namespace tristate::util {

// The temporary write_file_atomic uses for `path` in this process.
std::filesystem::path atomic_temp_path(const std::filesystem::path& path);

// Every write and the rename are checked; on failure the temporary is removed and the error
// names the path and why. The old file, if any, is then untouched.
Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view text);

}  // namespace tristate::util
