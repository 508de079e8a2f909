// Child processes for the lab: short tools (apt-get, dpkg-deb, ldd, cpio) run to completion,
// and the long-lived qemu child owned by an RAII handle that kills it on destruction, so no
// error path or exception can leave a guest running.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

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
// handle is destroyed; the child also gets PR_SET_PDEATHSIG so it dies with us.
class Child {
 public:
  // Throws std::runtime_error when the program cannot be executed.
  static Child spawn(const std::vector<std::string>& argv);
  Child(Child&& o) noexcept;
  Child& operator=(Child&&) = delete;
  Child(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }
  int output_fd() const { return fd_; }
  // Kills (SIGKILL) if still running, reaps, and returns the exit status (128+signal).
  int kill_and_wait();
  // Reaps without killing (blocks); returns the exit status.
  int wait();

 private:
  Child(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  pid_t pid_ = -1;
  int fd_ = -1;
  int status_ = -1;
};

}  // namespace tristate::lab
