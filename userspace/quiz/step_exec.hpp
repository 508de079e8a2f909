// Executes quiz statements with the real socket syscalls, as Python's socket module would,
// inside the sandbox child. Knows nothing about namespaces, pipes or reports' transport.
#pragma once

#include <map>
#include <string>

#include "quiz/pyrepr.hpp"
#include "quiz/quiz.hpp"
#include "quiz/unique_fd.hpp"
#include "report/report.hpp"

namespace tristate::quiz {

class StepExecutor {
 public:
  // One `>>>` statement: its calls in order (a tuple stops at the first exception, as in
  // Python), what doctest would print, whether that matches, tid and CLOCK_MONOTONIC times
  // around the syscalls. `index` is 1-based.
  report::Step run(const Statement& statement, int index);
  // The open sockets' fds and names (closed ones left out), for state snapshots.
  std::map<int, std::string> fd_names() const;

 private:
  struct Sock {
    UniqueFd fd;  // closed (-1) after close(): later calls then fail with EBADF, as in Python
    int family = 0;
  };
  struct Outcome {
    report::CallResult result;
    PyValue value;
    bool raised = false;
    int err = 0;            // OSError errno; 0 for other exceptions
    std::string exception;  // the traceback's last line when raised
  };

  Outcome exec(const Call& call);
  Outcome exec_socket(const Call& call);

  std::map<std::string, Sock> socks_;
};

// CLOCK_MONOTONIC in ns: the clock bpf_ktime_get_ns() reads, so steps and events line up.
std::uint64_t monotonic_ns();

}  // namespace tristate::quiz
