// Child processes for the lab: short tools (apt-get, dpkg-deb, ldd, cpio) run to completion,
// and the long-lived qemu child owned by an RAII handle that kills it on destruction, so no
// error path or exception can leave a guest running.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "util/child_process.hpp"
#include "util/unique_fd.hpp"

namespace tristate::lab {

struct ToolResult {
  int status = -1;  // exit status, or 128+signal
  std::string out;
  std::string err;
};

// Runs argv (argv[0] looked up in PATH), stdin from /dev/null, and collects stdout/stderr.
// Throws std::runtime_error when the program cannot be started at all (ENOENT names it).
ToolResult run_tool(const std::vector<std::string>& argv, const std::string& cwd = "");

// True when `name` is an executable found in PATH.
bool have_program(const std::string& name);

// A running child whose stdout+stderr are one pipe. Killed (SIGKILL) and reaped when the
// handle is destroyed (util::ChildProcess); it also dies with us (PR_SET_PDEATHSIG).
class Child {
 public:
  // Throws std::runtime_error when the program cannot be executed.
  static Child spawn(const std::vector<std::string>& argv);

  pid_t pid() const { return process_.pid(); }
  int output_fd() const { return output_.get(); }
  // Kills (SIGKILL) if still running, reaps, and returns the exit status (128+signal).
  int kill_and_wait() { return process_.kill_and_wait(); }
  // Reaps without killing (blocks); returns the exit status.
  int wait() { return process_.wait(); }

 private:
  Child(util::ChildProcess p, util::UniqueFd out) : output_(std::move(out)), process_(std::move(p)) {}
  util::UniqueFd output_;
  util::ChildProcess process_;  // declared last: killed and reaped before its pipe closes
};

}  // namespace tristate::lab
