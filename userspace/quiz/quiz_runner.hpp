// Runs a parsed Quiz in a private network namespace and returns its report::Quiz.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "quiz/quiz.hpp"
#include "quiz/step_probe.hpp"
#include "report/report.hpp"

namespace tristate::quiz {

// Lets a tracer follow a quiz without the runner knowing about BPF.
class Observer {
 public:
  virtual ~Observer() = default;
  // The quiz's namespace exists, nothing in it has run yet (not even the setup). The child
  // waits until this returns, so everything it does afterwards is observable: this is the
  // readiness point. Throwing aborts the quiz with status "error".
  virtual void sandbox_ready(std::uint64_t netns_inode, pid_t pid) = 0;
  // The quiz finished (or failed); the observer attaches events to steps / background.
  virtual void quiz_done(report::Quiz& quiz) = 0;
};

struct RunOptions {
  std::chrono::milliseconds timeout{10000};  // whole quiz, then the child is killed
  Observer* observer = nullptr;
  StepProbe* step_probe = nullptr;  // bucket state after each step (null: none taken)
};

// Never throws for kernel outcomes (those are results); a sandbox that cannot be made
// (no privilege, no user namespaces) gives status "error" with a one-line reason.
report::Quiz run_quiz(const Quiz& quiz, const RunOptions& options);

// One line for humans: "netns, lo up, ip_local_port_range 60000 60000, listener 0.0.0.0:1234".
std::string setup_summary(const Setup& setup);

}  // namespace tristate::quiz
