// Reads kernel state after each quiz step, in the sandbox child, without the runner knowing how
// (trace/step_snapshot implements it with BPF iterators).
#pragma once

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
  // In the child, in the quiz's namespace, before the setup runs. A failure here is reported
  // by every after_step, never thrown: snapshots must not decide a quiz's outcome.
  virtual void child_started() = 0;
  // In the child, right after a step (and after the setup, as step 0 is not reported).
  virtual report::StepState after_step(const SocketNames& names) = 0;
};

}  // namespace tristate::quiz
