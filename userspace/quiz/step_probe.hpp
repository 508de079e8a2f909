// Reads kernel state after each quiz step, in the sandbox child, without the runner knowing how
// (trace/step_snapshot implements it with BPF iterators).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

#include "report/report.hpp"

namespace tristate::quiz {

// The quiz's names for the child's open socket fds, and the listeners' ports.
struct SocketNames {
  std::map<int, std::string> by_fd;        // fd -> "s1", "ln"
  std::map<int, std::string> listener_port;  // port -> "ln"
};

class StepProbe {
 public:
  virtual ~StepProbe() = default;
  // In the child, before anything of the quiz runs. Every descriptor the probe needs later
  // must end up at or above `fd_floor`: the child then closes 3 .. fd_floor-1, so that the
  // quiz's sockets get the numbers Python's would. A failure here is reported by every
  // after_step, never thrown: snapshots must not decide a quiz's outcome.
  virtual void child_started(int fd_floor) = 0;
  // In the child, right after a step (and after the setup, as step 0 is not reported).
  virtual report::StepState after_step(const SocketNames& names) = 0;
  // In the parent, once the child `pid` is gone: what the probe keeps per child goes. Called
  // from the thread that ran the quiz; quizzes run side by side (`quiz -j N`) call it
  // concurrently.
  virtual void child_finished(pid_t /*pid*/) {}
};

}  // namespace tristate::quiz
