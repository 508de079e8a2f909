// One owner for a child process: started by fork+exec or fork+function, killed (SIGKILL) and
// reaped when the owner is destroyed, so no error path or exception leaves a child running
// or a zombie behind. The lab's tools and qemu and the benches' runs go through it.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace tristate::util {

// Where one of the child's standard streams goes: the parent's own, /dev/null, or a
// descriptor the caller keeps owning (the child gets a dup).
struct ChildStream {
  enum class Kind { Inherit, DevNull, Fd };
  Kind kind = Kind::Inherit;
  int fd = -1;
  static ChildStream inherit() { return {Kind::Inherit, -1}; }
  static ChildStream dev_null() { return {Kind::DevNull, -1}; }
  static ChildStream to(int fd) { return {Kind::Fd, fd}; }
};

struct ChildOptions {
  ChildStream in = ChildStream::dev_null();
  ChildStream out = ChildStream::inherit();
  ChildStream err = ChildStream::inherit();
  std::string cwd;  // empty: the parent's
  // PR_SET_PDEATHSIG(SIGKILL): the child dies with this process even when it is killed
  // without running destructors (a long-lived guest must not outlive its tristate).
  bool die_with_parent = false;
  // Its own process group, so a terminal's Ctrl-C reaches tristate, which then decides.
  bool own_process_group = false;
};

// A wait(2) status as one number: the exit status, or 128+signal as a shell reports it.
int exit_status(int wait_status);

class ChildProcess {
 public:
  // argv[0] is looked up in PATH. Fails (naming the program and errno) when it cannot be
  // executed, or the directory entered; the child is reaped then.
  static Result<ChildProcess> exec(const std::vector<std::string>& argv, const ChildOptions& opts = {});
  // Runs fn in a forked child, whose exit status is fn's return value (127 if it throws).
  // The child must call only async-signal-safe functions when the parent has threads.
  static Result<ChildProcess> call(const std::function<int()>& fn, const ChildOptions& opts = {});

  ChildProcess(ChildProcess&& o) noexcept;
  ChildProcess& operator=(ChildProcess&& o) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // kill_and_wait()

  pid_t pid() const { return pid_; }  // -1 once reaped
  bool reaped() const { return pid_ < 0; }
  // Blocks until the child exits; its exit_status(). Later calls return the same.
  int wait();
  // The exit status if the child has exited (reaping it), nullopt while it runs.
  std::optional<int> try_wait();
  // SIGKILL if not yet reaped, then wait().
  int kill_and_wait();

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  int status_ = -1;
};

}  // namespace tristate::util
