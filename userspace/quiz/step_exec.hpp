// Executes quiz statements with the real socket syscalls, as Python's socket module would,
// inside the sandbox child: a name environment (any value: ints, strings, tuples, bytes,
// sockets), expressions evaluated in Python's order, Python's exceptions for misuse.
// Knows nothing about namespaces, pipes or reports' transport.
// step_exec.cpp holds statements and expressions; step_calls.cpp the calls.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "quiz/pyrepr.hpp"
#include "quiz/quiz.hpp"
#include "util/unique_fd.hpp"
#include "report/report.hpp"

namespace tristate::quiz {

class StepExecutor {
 public:
  // `listener` is the setup's first listener, reachable as `ln` as in Cloudflare's
  // quiz_common.py (None when the quiz has no listener). It stays open for the whole quiz
  // (the setup keeps a reference), unless a statement closes it.
  explicit StepExecutor(util::UniqueFd listener = util::UniqueFd());

  // One `>>>` statement: its calls in order (evaluation stops at the first exception, as in
  // Python), what doctest would print, whether that matches, tid and CLOCK_MONOTONIC times
  // around the syscalls. `index` is 1-based.
  report::Step run(const Statement& statement, int index);
  // The open sockets' fds and names (closed ones left out), for state snapshots.
  std::map<int, std::string> fd_names() const;

 private:
  struct Sock {
    util::UniqueFd fd;  // closed (-1) after close(): later calls then fail with EBADF, as in Python
    int family = 0;
    int type = 1;
    int proto = 0;
    bool pinned = false;  // the setup's listener: referenced outside the statements
  };
  // A Python exception being raised.
  struct Raised {
    std::string line;  // the traceback's last line: "ValueError: ..."
    std::string cls;   // "ValueError", "OSError", "socket.gaierror"
    int err = 0;       // errno for an OSError (EAI_* for gaierror), else 0
  };

  // -- step_exec.cpp --
  bool eval(const Arg& a, const Statement& st, PyValue& out);
  bool eval_name(const Arg& a, PyValue& out);
  bool eval_subscript(const Arg& a, const Statement& st, PyValue& out);
  bool eval_binop(const Arg& a, const Statement& st, PyValue& out);
  bool eval_unary(const Arg& a, const Statement& st, PyValue& out);
  bool assign(const Statement& st, PyValue value);
  bool execute(const Statement& st, PyValue& shown);
  PyValue displayable(const PyValue& v) const;  // sockets replaced by their repr
  std::string socket_repr(long long handle) const;
  void collect();  // closes the sockets nothing refers to any more, as CPython's refcount does

  // -- step_calls.cpp --
  bool call(const Call& c, const Statement& st, PyValue& out);
  bool function(const Call& c, const std::vector<PyValue>& args, PyValue& out);
  bool method(const Call& c, Sock& s, const std::vector<PyValue>& args, PyValue& out);
  bool sockopt(const Call& c, Sock& s, const std::vector<PyValue>& args, PyValue& out);
  bool address_call(const Call& c, Sock& s, const std::vector<PyValue>& args, PyValue& out);
  bool accept(Sock& s, PyValue& out);
  bool new_socket(const std::vector<PyValue>& args, PyValue& out);

  bool raise(std::string cls, const std::string& msg, int err = 0);
  bool raise_errno(int err);

  std::map<long long, Sock> socks_;
  long long next_handle_ = 1;
  std::map<std::string, PyValue> names_;
  PyValue last_display_;  // builtins._ : what doctest's display hook printed last
  std::optional<Raised> raised_;
  std::vector<report::CallResult>* calls_ = nullptr;  // the running step's call list
};

// CLOCK_MONOTONIC in ns: the clock bpf_ktime_get_ns() reads, so steps and events line up.
std::uint64_t monotonic_ns();

}  // namespace tristate::quiz
