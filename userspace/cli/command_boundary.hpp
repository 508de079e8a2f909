// The command boundary: the one place where an exception from a command's work becomes a line
// on stderr and exit status 2 (main wraps the parse that runs every command's callback in it).
// Below it, fallible setup returns util::Result or throws; commands do not catch to print, and
// print errors only through spdlog. The catches left in commands are outcomes, not errors:
// one kernel of several that could not be fetched, a build a bisection could not boot.
#pragma once

#include <exception>
#include <functional>
#include <string>

namespace tristate::cli {

// The line an exception is said as: its what(), except for a std::filesystem error, said as
// "OPERATION PATH: REASON" (and where PATH is in the lab's cache, how to move the cache)
// instead of libstdc++'s "filesystem error: OPERATION: REASON [PATH]".
std::string describe_error(const std::exception& e);

// Runs a command's work and returns its exit status; an exception escaping it is logged as
// an error (a guest's failure with the console's last lines) and turned into kExitError.
int at_command_boundary(const std::function<int()>& work);

}  // namespace tristate::cli
