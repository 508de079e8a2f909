// Writing what a command produces (reports, pages, JSON) to a path the user named, without
// ever changing anything else on the host.
//
// - "-" is standard output.
// - A path that does not exist, or a regular file, is replaced atomically: the text goes to a
//   temporary created exclusively (O_CREAT|O_EXCL, a random name, so a planted symlink is never
//   followed) in the same directory, is fsync'ed, then renamed over the path. An interrupted
//   run leaves the old file or the new one, never half of one.
// - Anything else is written in place and never replaced: a device (/dev/null), a FIFO,
//   /dev/stdout, or a symlink (followed to its target, as `>` in a shell does). As root,
//   `--json /dev/null` must leave the machine's /dev/null a device.
// - Except another user's symlink in a sticky world-writable directory (/tmp): refused, as
//   fs.protected_symlinks=1 would, also where that sysctl is 0.
// Every write, fsync and close is checked: an error says which path and why.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace tristate::util {

Result<void> write_output(const std::string& path, std::string_view text);

// Whether write_output(path, …) can succeed, as far as can be told without writing: a missing
// directory, a directory given as the file, a file or directory this process may not write.
// Commands call it before they work: a matrix or a bisect must not run for minutes and then
// lose its result to a typo in the output path. "" and "-" pass (stdout).
Result<void> check_output(const std::string& path);

// A stream of lines written as they come (trace --json, state --watch --json), which cannot be
// replaced atomically at the end: PATH opened for writing in place, created or truncated, with
// write_output's refusals (a directory, another user's symlink in a sticky shared directory)
// checked at the open itself. A device, FIFO or own symlink is written through, never replaced.
Result<std::unique_ptr<std::ostream>> open_output_stream(const std::string& path);

// Flushes and closes standard output, reporting a failed write (a full disk, /dev/full, a
// closed pipe with SIGPIPE ignored) that buffering hid until now. Call once, at the end.
Result<void> close_stdout();

}  // namespace tristate::util
