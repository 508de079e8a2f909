// The calls a statement makes: socket(), pack(), disconnect() and the socket methods, each
// the syscall CPython's socket module makes, with the exception CPython raises.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "quiz/py_struct.hpp"
#include "quiz/step_exec.hpp"
#include "util/errno_names.hpp"

namespace tristate::quiz {
namespace {

std::string_view verb(Op op) {
  switch (op) {
    case Op::Socket: return "socket";
    case Op::Setsockopt: return "setsockopt";
    case Op::Getsockopt: return "getsockopt";
    case Op::Bind: return "bind";
    case Op::Connect: return "connect";
    case Op::ConnectEx: return "connect_ex";
    case Op::Listen: return "listen";
    case Op::Accept: return "accept";
    case Op::Getsockname: return "getsockname";
    case Op::Getpeername: return "getpeername";
    case Op::Shutdown: return "shutdown";
    case Op::Setblocking: return "setblocking";
    case Op::Close: return "close";
    case Op::Pack: return "pack";
    case Op::Disconnect: return "disconnect";
  }
  return "?";
}

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&ss); }
};

// A Python exception that is not an OSError with an errno (TypeError, gaierror, ...).
struct PyException {
  std::string cls;
  std::string msg;
  int err = 0;  // gaierror's EAI_* number, else 0
};

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
    return PyException{"socket.gaierror", "[Errno -9] Address family for hostname not supported", -9};
  return PyException{"socket.gaierror", "[Errno -2] Name or service not known", -2};
}

std::optional<PyException> to_sockaddr(const PyValue& a, int family, Op op, SockAddr& out) {
  const std::string fam = family == AF_INET ? "AF_INET" : "AF_INET6";
  if (a.kind != PyValue::Kind::Tuple)
    return PyException{"TypeError", fam + " address must be tuple, not " + std::string(a.type_name())};
  if (family == AF_INET && a.items.size() != 2)
    return PyException{"TypeError", "AF_INET address must be a pair (host, port)"};
  if (family == AF_INET6 && (a.items.size() < 2 || a.items.size() > 4))
    return PyException{"TypeError",
                       "AF_INET6 address must be a tuple (host, port[, flowinfo[, scopeid]])"};
  const PyValue& host = a.items[0];
  if (host.kind != PyValue::Kind::Str)
    return PyException{"TypeError",
                       "str, bytes or bytearray expected, not " + std::string(host.type_name())};
  for (std::size_t k = 1; k < a.items.size(); ++k)
    if (a.items[k].kind != PyValue::Kind::Int)
      return PyException{"TypeError", "'" + std::string(a.items[k].type_name()) +
                                          "' object cannot be interpreted as an integer"};
  const long long port = a.items[1].i;
  if (port < 0 || port > 65535)
    return PyException{"OverflowError", std::string(verb(op)) + "(): port must be 0-65535."};
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
        return PyException{"OverflowError", std::string(verb(op)) + "(): flowinfo must be 0-1048575."};
      sin6->sin6_flowinfo = htonl(static_cast<uint32_t>(flow));
    }
    if (a.items.size() > 3) sin6->sin6_scope_id = static_cast<uint32_t>(a.items[3].i);
    if (auto e = resolve_host(host.s, family, &sin6->sin6_addr)) return e;
    out.len = sizeof(sockaddr_in6);
  }
  return std::nullopt;
}

// Python's truth value of the values the language has.
bool truthy(const PyValue& v) {
  switch (v.kind) {
    case PyValue::Kind::None: return false;
    case PyValue::Kind::Int: return v.i != 0;
    case PyValue::Kind::Str:
    case PyValue::Kind::Bytes: return !v.s.empty();
    case PyValue::Kind::Tuple: return !v.items.empty();
    default: return true;
  }
}

std::string not_integer(const PyValue& v) {
  return "'" + std::string(v.type_name()) + "' object cannot be interpreted as an integer";
}

}  // namespace

// Evaluates the receiver and the arguments (in Python's order), makes the call, and records
// it in the step: its source, its value's repr or the exception it raised.
bool StepExecutor::call(const Call& c, const Statement& st, PyValue& out) {
  PyValue receiver;
  if (c.receiver && !eval(*c.receiver, st, receiver)) return false;
  std::vector<PyValue> args(c.args.size());
  for (std::size_t k = 0; k < c.args.size(); ++k)
    if (!eval(c.args[k], st, args[k])) return false;

  bool ok = false;
  if (!c.receiver) {
    ok = function(c, args, out);
  } else if (receiver.kind != PyValue::Kind::Socket) {
    ok = raise("AttributeError", "'" + std::string(receiver.type_name()) +
                                     "' object has no attribute '" + std::string(verb(c.op)) + "'");
  } else {
    ok = method(c, socks_.at(receiver.i), args, out);
  }
  report::CallResult r;
  r.call = c.text;
  r.ok = ok;
  if (ok) {
    r.value = repr(displayable(out));
  } else {
    r.err = std::max(raised_->err, 0);  // gaierror's EAI_* numbers are not errnos
    r.err_name = raised_->cls == os_error_class(raised_->err) && raised_->err > 0
                     ? util::errno_label(raised_->err)
                     : raised_->cls;
  }
  if (calls_) calls_->push_back(std::move(r));
  return ok;
}

bool StepExecutor::new_socket(const std::vector<PyValue>& args, PyValue& out) {
  if (args.size() > 3) return raise("TypeError", "socket() takes at most 3 arguments");
  long long v[3] = {AF_INET, SOCK_STREAM, 0};
  for (std::size_t k = 0; k < args.size(); ++k) {
    if (args[k].kind != PyValue::Kind::Int) return raise("TypeError", not_integer(args[k]));
    v[k] = args[k].i;
  }
  // CPython always adds SOCK_CLOEXEC; the flag changes nothing a quiz can observe.
  const int fd = ::socket(static_cast<int>(v[0]), static_cast<int>(v[1]) | SOCK_CLOEXEC,
                          static_cast<int>(v[2]));
  if (fd < 0) return raise_errno(errno);
  Sock s;
  s.fd = util::UniqueFd(fd);
  s.family = static_cast<int>(v[0]);
  s.type = static_cast<int>(v[1]);
  s.proto = static_cast<int>(v[2]);
  const long long handle = next_handle_++;
  socks_.emplace(handle, std::move(s));
  out = PyValue::socket(handle);
  return true;
}

bool StepExecutor::function(const Call& c, const std::vector<PyValue>& args, PyValue& out) {
  switch (c.op) {
    case Op::Socket: return new_socket(args, out);
    case Op::Pack: {
      if (args.empty()) return raise("TypeError", "pack expected at least 1 argument, got 0");
      Packed p = py_pack(args[0], std::vector<PyValue>(args.begin() + 1, args.end()));
      if (!p.error.empty()) {
        const auto colon = p.error.find(": ");
        return raise(p.error.substr(0, colon), p.error.substr(colon + 2));
      }
      out = PyValue::bytes(std::move(p.bytes));
      return true;
    }
    case Op::Disconnect: {
      // connect() with AF_UNSPEC: the kernel's way to dissolve a connection (tcp_disconnect),
      // as the selftests' disconnect() does. Python has no spelling; the twin uses ctypes.
      if (args.size() != 1 || args[0].kind != PyValue::Kind::Socket)
        return raise("TypeError", "disconnect() takes one socket");
      sockaddr sa{};
      sa.sa_family = AF_UNSPEC;
      if (::connect(socks_.at(args[0].i).fd.get(), &sa, sizeof sa) != 0) return raise_errno(errno);
      out = PyValue::none();
      return true;
    }
    default: return raise("TypeError", std::string(verb(c.op)) + " is not a function");
  }
}

bool StepExecutor::method(const Call& c, Sock& s, const std::vector<PyValue>& args, PyValue& out) {
  const int fd = s.fd.get();  // -1 once closed: the syscall then fails with EBADF, as in CPython
  out = PyValue::none();
  auto int_arg = [&](std::size_t k, long long& v) {
    if (args[k].kind != PyValue::Kind::Int) return raise("TypeError", not_integer(args[k]));
    v = args[k].i;
    return true;
  };
  switch (c.op) {
    case Op::Setsockopt:
    case Op::Getsockopt: return sockopt(c, s, args, out);
    case Op::Bind:
    case Op::Connect:
    case Op::ConnectEx: return address_call(c, s, args, out);
    case Op::Accept: return accept(s, out);
    case Op::Listen: {
      // CPython: listen() without an argument uses min(SOMAXCONN, 128); negative becomes 0.
      long long backlog = std::min(SOMAXCONN, 128);
      if (!args.empty() && !int_arg(0, backlog)) return false;
      if (backlog < 0) backlog = 0;
      return ::listen(fd, static_cast<int>(backlog)) == 0 || raise_errno(errno);
    }
    case Op::Getsockname:
    case Op::Getpeername: {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      const int rc = c.op == Op::Getsockname
                         ? ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len)
                         : ::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len);
      if (rc != 0) return raise_errno(errno);
      out = sockaddr_to_py(reinterpret_cast<sockaddr*>(&ss), len);
      return true;
    }
    case Op::Shutdown: {
      long long how = 0;
      if (!int_arg(0, how)) return false;
      return ::shutdown(fd, static_cast<int>(how)) == 0 || raise_errno(errno);
    }
    case Op::Setblocking: {
      const int flags = ::fcntl(fd, F_GETFL);
      if (flags < 0) return raise_errno(errno);
      const int want = truthy(args[0]) ? flags & ~O_NONBLOCK : flags | O_NONBLOCK;
      return ::fcntl(fd, F_SETFL, want) == 0 || raise_errno(errno);
    }
    case Op::Close:
      // CPython's close() on an already closed socket is a no-op, not an error.
      s.fd.reset();
      return true;
    case Op::Socket:
    case Op::Pack:
    case Op::Disconnect: break;
  }
  return raise("AttributeError", "'socket' object has no attribute '" + std::string(verb(c.op)) + "'");
}

bool StepExecutor::sockopt(const Call& c, Sock& s, const std::vector<PyValue>& args, PyValue& out) {
  for (std::size_t k = 0; k < 2; ++k)
    if (args[k].kind != PyValue::Kind::Int) return raise("TypeError", not_integer(args[k]));
  const int level = static_cast<int>(args[0].i);
  const int name = static_cast<int>(args[1].i);
  if (c.op == Op::Getsockopt) {
    if (args.size() < 3) {
      int value = 0;
      socklen_t len = sizeof value;
      if (::getsockopt(s.fd.get(), level, name, &value, &len) != 0) return raise_errno(errno);
      out = PyValue::integer(value);
      return true;
    }
    if (args[2].kind != PyValue::Kind::Int) return raise("TypeError", not_integer(args[2]));
    if (args[2].i <= 0 || args[2].i > 1024) return raise("OSError", "getsockopt buflen out of range");
    std::string buf(static_cast<std::size_t>(args[2].i), '\0');
    socklen_t len = static_cast<socklen_t>(buf.size());
    if (::getsockopt(s.fd.get(), level, name, buf.data(), &len) != 0) return raise_errno(errno);
    buf.resize(len);
    out = PyValue::bytes(std::move(buf));
    return true;
  }
  const PyValue& v = args[2];
  int rc = 0;
  if (v.kind == PyValue::Kind::Int) {
    // (hi << 16) | lo for IP_LOCAL_PORT_RANGE exceeds INT_MAX for high ports: the kernel reads
    // the same 32 bits, so values up to 2**32-1 pass (the twin does the same).
    if (v.i > 0xFFFFFFFFLL) return raise("OverflowError", "signed integer is greater than maximum");
    if (v.i < -0x80000000LL) return raise("OverflowError", "signed integer is less than minimum");
    const auto value = static_cast<std::uint32_t>(v.i);
    rc = ::setsockopt(s.fd.get(), level, name, &value, sizeof value);
  } else if (v.kind == PyValue::Kind::Bytes) {
    rc = ::setsockopt(s.fd.get(), level, name, v.s.data(), static_cast<socklen_t>(v.s.size()));
  } else {
    return raise("TypeError", "a bytes-like object is required, not '" +
                                  std::string(v.type_name()) + "'");
  }
  return rc == 0 || raise_errno(errno);
}

bool StepExecutor::address_call(const Call& c, Sock& s, const std::vector<PyValue>& args,
                                PyValue& out) {
  if (args.size() != 1)
    return raise("TypeError", std::string(verb(c.op)) + "() takes exactly one argument (" +
                                  std::to_string(args.size()) + " given)");
  SockAddr addr;
  if (auto e = to_sockaddr(args[0], s.family, c.op, addr)) return raise(e->cls, e->msg, e->err);
  const int fd = s.fd.get();
  const int rc = c.op == Op::Bind ? ::bind(fd, addr.get(), addr.len)
                                  : ::connect(fd, addr.get(), addr.len);
  if (c.op == Op::ConnectEx) {
    // connect_ex returns the errno instead of raising (0 on success), as non-blocking
    // clients use it: EINPROGRESS (115) for a connection still under way.
    out = PyValue::integer(rc == 0 ? 0 : errno);
    return true;
  }
  return rc == 0 || raise_errno(errno);
}

// accept() returns (socket, address), as Python's socket.accept() does.
bool StepExecutor::accept(Sock& s, PyValue& out) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  const int fd = ::accept4(s.fd.get(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
  if (fd < 0) return raise_errno(errno);
  Sock a;
  a.fd = util::UniqueFd(fd);
  a.family = s.family;
  a.type = s.type;
  a.proto = s.proto;
  const long long handle = next_handle_++;
  socks_.emplace(handle, std::move(a));
  out = PyValue::tuple({PyValue::socket(handle), sockaddr_to_py(reinterpret_cast<sockaddr*>(&ss), len)});
  return true;
}

}  // namespace tristate::quiz
