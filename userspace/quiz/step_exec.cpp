#include "quiz/step_exec.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/clock.hpp"
#include "util/errno_names.hpp"

namespace tristate::quiz {
namespace {

std::string_view verb(Op op) {
  switch (op) {
    case Op::Socket: return "socket";
    case Op::Setsockopt: return "setsockopt";
    case Op::Bind: return "bind";
    case Op::Connect: return "connect";
    case Op::Listen: return "listen";
    case Op::Getsockname: return "getsockname";
    case Op::Getpeername: return "getpeername";
    case Op::Close: return "close";
  }
  return "?";
}

std::string_view py_type_name(const Arg& a) {
  switch (a.kind) {
    case Arg::Kind::Int: return "int";
    case Arg::Kind::Str: return "str";
    case Arg::Kind::Tuple: return "tuple";
  }
  return "object";
}

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&ss); }
};

// A Python exception that is not an OSError with an errno (TypeError, gaierror, ...).
struct PyException {
  std::string line;  // "TypeError: ..."
  std::string cls;   // "TypeError"
  int err = 0;       // gaierror's EAI_* number, else 0
};

PyException py_exc(std::string cls, const std::string& msg) {
  return {cls + ": " + msg, cls, 0};
}

// Host string -> address bytes, the way CPython's setipaddr() resolves the literals quizzes
// use: "" is the wildcard, numeric literals of the socket's family, "localhost". Anything else
// would need a resolver, which the sandbox does not consult.
std::optional<PyException> resolve_host(const std::string& host, int family, void* out) {
  if (family == AF_INET) {
    auto* a = static_cast<in_addr*>(out);
    if (host.empty()) { a->s_addr = htonl(INADDR_ANY); return std::nullopt; }
    if (host == "<broadcast>") { a->s_addr = htonl(INADDR_BROADCAST); return std::nullopt; }
    if (host == "localhost") { a->s_addr = htonl(INADDR_LOOPBACK); return std::nullopt; }
    if (inet_pton(AF_INET, host.c_str(), a) == 1) return std::nullopt;
  } else {
    auto* a = static_cast<in6_addr*>(out);
    std::string h = host.substr(0, host.find('%'));
    if (h.empty()) { *a = in6addr_any; return std::nullopt; }
    if (h == "localhost") { *a = in6addr_loopback; return std::nullopt; }
    if (inet_pton(AF_INET6, h.c_str(), a) == 1) return std::nullopt;
  }
  unsigned char probe[16];
  const int other = family == AF_INET ? AF_INET6 : AF_INET;
  std::string h = host.substr(0, host.find('%'));
  if (inet_pton(other, h.c_str(), probe) == 1)
    return PyException{"socket.gaierror: [Errno -9] Address family for hostname not supported",
                       "socket.gaierror", -9};
  return PyException{"socket.gaierror: [Errno -2] Name or service not known", "socket.gaierror",
                     -2};
}

std::optional<PyException> to_sockaddr(const Arg& a, int family, Op op, SockAddr& out) {
  const std::string fam = family == AF_INET ? "AF_INET" : "AF_INET6";
  if (a.kind != Arg::Kind::Tuple)
    return py_exc("TypeError", fam + " address must be tuple, not " + std::string(py_type_name(a)));
  if (family == AF_INET && a.items.size() != 2)
    return py_exc("TypeError", "AF_INET address must be a pair (host, port)");
  if (family == AF_INET6 && (a.items.size() < 2 || a.items.size() > 4))
    return py_exc("TypeError",
                  "AF_INET6 address must be a tuple (host, port[, flowinfo[, scopeid]])");
  const Arg& host = a.items[0];
  if (host.kind != Arg::Kind::Str)
    return py_exc("TypeError",
                  "str, bytes or bytearray expected, not " + std::string(py_type_name(host)));
  for (std::size_t k = 1; k < a.items.size(); ++k)
    if (a.items[k].kind != Arg::Kind::Int)
      return py_exc("TypeError", "'" + std::string(py_type_name(a.items[k])) +
                                     "' object cannot be interpreted as an integer");
  const long long port = a.items[1].i;
  if (port < 0 || port > 65535)
    return py_exc("OverflowError", std::string(verb(op)) + "(): port must be 0-65535.");
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out.ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port));
    if (auto e = resolve_host(host.s, family, &sin->sin_addr)) return e;
    out.len = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out.ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(port));
    if (a.items.size() > 2) {
      const long long flow = a.items[2].i;
      if (flow < 0 || flow > 0xfffff)
        return py_exc("OverflowError", std::string(verb(op)) + "(): flowinfo must be 0-1048575.");
      sin6->sin6_flowinfo = htonl(static_cast<uint32_t>(flow));
    }
    if (a.items.size() > 3) sin6->sin6_scope_id = static_cast<uint32_t>(a.items[3].i);
    if (auto e = resolve_host(host.s, family, &sin6->sin6_addr)) return e;
    out.len = sizeof(sockaddr_in6);
  }
  return std::nullopt;
}

}  // namespace

std::map<int, std::string> StepExecutor::fd_names() const {
  std::map<int, std::string> out;
  for (const auto& [name, sock] : socks_)
    if (sock.fd) out[sock.fd.get()] = name;
  return out;
}

std::uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

StepExecutor::Outcome StepExecutor::exec_socket(const Call& call) {
  Outcome o;
  const long long family = call.args.size() > 0 ? call.args[0].i : AF_INET;
  const long long type = call.args.size() > 1 ? call.args[1].i : static_cast<long long>(SOCK_STREAM);
  const long long proto = call.args.size() > 2 ? call.args[2].i : 0;
  // CPython always adds SOCK_CLOEXEC; the flag changes nothing a quiz can observe.
  int fd = ::socket(static_cast<int>(family), static_cast<int>(type) | SOCK_CLOEXEC,
                    static_cast<int>(proto));
  if (fd < 0) {
    o.raised = true;
    o.err = errno;
    return o;
  }
  if (!call.sock.empty()) {
    // Rebinding a name drops the only reference to the old socket object, so CPython closes
    // it right away; the erase + insert does the same.
    Sock s;
    s.fd = UniqueFd(fd);
    s.family = static_cast<int>(family);
    socks_.insert_or_assign(call.sock, std::move(s));
    return o;  // an assignment prints nothing
  }
  // A bare `socket(...)` expression: doctest prints the object's repr (Python 3.11 spelling),
  // then the object is garbage and gets closed.
  UniqueFd owned(fd);
  std::string text = "<socket.socket fd=" + std::to_string(fd) + ", family=" +
                     std::to_string(family) + ", type=" + std::to_string(type) +
                     ", proto=" + std::to_string(proto);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    text += ", laddr=" + repr(sockaddr_to_py(reinterpret_cast<sockaddr*>(&ss), len));
  text += ">";
  o.value = PyValue::raw(text);
  return o;
}

StepExecutor::Outcome StepExecutor::exec(const Call& call) {
  if (call.op == Op::Socket) return exec_socket(call);
  Outcome o;
  auto it = socks_.find(call.sock);
  if (it == socks_.end()) {
    o.raised = true;
    o.exception = "NameError: name '" + call.sock + "' is not defined";
    o.result.err_name = "NameError";
    return o;
  }
  Sock& s = it->second;
  const int fd = s.fd.get();  // -1 once closed: the syscall then fails with EBADF, as in CPython
  auto raise_errno = [&](int err) {
    o.raised = true;
    o.err = err;
  };
  auto raise_exc = [&](const PyException& e) {
    o.raised = true;
    o.err = e.err;  // socket.gaierror is an OSError whose errno is the EAI_* number
    o.exception = e.line;
    o.result.err = e.err;
    o.result.err_name = e.cls;
  };
  switch (call.op) {
    case Op::Socket:
      break;
    case Op::Setsockopt: {
      if (call.args.size() != 3) {
        raise_exc(py_exc("TypeError", "setsockopt() takes 3 arguments"));
        break;
      }
      if (call.args[2].kind != Arg::Kind::Int) {
        raise_exc(py_exc("TypeError", "a bytes-like object is required, not '" +
                                          std::string(py_type_name(call.args[2])) + "'"));
        break;
      }
      const int value = static_cast<int>(call.args[2].i);
      if (::setsockopt(fd, static_cast<int>(call.args[0].i), static_cast<int>(call.args[1].i),
                       &value, sizeof value) != 0)
        raise_errno(errno);
      break;
    }
    case Op::Bind:
    case Op::Connect: {
      if (call.args.size() != 1) {
        raise_exc(py_exc("TypeError", std::string(verb(call.op)) +
                                          "() takes exactly one argument (" +
                                          std::to_string(call.args.size()) + " given)"));
        break;
      }
      SockAddr addr;
      if (auto e = to_sockaddr(call.args[0], s.family, call.op, addr)) {
        raise_exc(*e);
        break;
      }
      const int rc = call.op == Op::Bind ? ::bind(fd, addr.get(), addr.len)
                                         : ::connect(fd, addr.get(), addr.len);
      if (rc != 0) raise_errno(errno);
      break;
    }
    case Op::Listen: {
      // CPython: listen() without an argument uses min(SOMAXCONN, 128); negative becomes 0.
      long long backlog = call.args.empty() ? std::min(SOMAXCONN, 128) : call.args[0].i;
      if (backlog < 0) backlog = 0;
      if (::listen(fd, static_cast<int>(backlog)) != 0) raise_errno(errno);
      break;
    }
    case Op::Getsockname:
    case Op::Getpeername: {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      const int rc = call.op == Op::Getsockname
                         ? ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len)
                         : ::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len);
      if (rc != 0)
        raise_errno(errno);
      else
        o.value = sockaddr_to_py(reinterpret_cast<sockaddr*>(&ss), len);
      break;
    }
    case Op::Close:
      // CPython's close() on an already closed socket is a no-op, not an error.
      s.fd.reset();
      break;
  }
  return o;
}

report::Step StepExecutor::run(const Statement& statement, int index) {
  report::Step step;
  step.index = index;
  step.line = statement.loc.line;
  step.source = statement.text;
  step.expected = statement.expect.kind == Expect::Kind::Nothing ? "" : statement.expect.text;
  step.tid = static_cast<std::uint32_t>(::gettid());
  step.wall_time = util::iso_utc_now();

  Printed printed;
  std::vector<PyValue> values;
  step.t_start_ns = monotonic_ns();
  for (const auto& call : statement.calls) {
    Outcome o = exec(call);
    o.result.call = call.text;
    if (o.raised) {
      o.result.ok = false;
      if (o.exception.empty()) {
        o.result.err = o.err;
        o.result.err_name = util::errno_label(o.err);
        o.exception = os_error_line(o.err);
      }
      step.calls.push_back(o.result);
      printed.raised = true;
      printed.err = o.err;
      printed.text = o.exception;
      break;  // the rest of a tuple never runs: Python has already raised
    }
    o.result.ok = true;
    o.result.value = repr(o.value);
    step.calls.push_back(o.result);
    values.push_back(std::move(o.value));
  }
  step.t_end_ns = monotonic_ns();

  if (!printed.raised) {
    if (statement.is_tuple) {
      printed.text = repr(PyValue::tuple(std::move(values)));
    } else if (!values.empty() && values.back().kind != PyValue::Kind::None) {
      printed.text = repr(values.back());
    }
  }
  step.actual = printed.text;
  step.matched = doctest_matches(statement.expect, printed);
  return step;
}

}  // namespace tristate::quiz
