// Statements and expressions: names, subscripts, operators, unpacking, display, and the
// closing of sockets nothing refers to any more. The calls themselves are in step_calls.cpp.
#include "quiz/step_exec.hpp"

#include <functional>

#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <limits>
#include <set>

#include "util/clock.hpp"
#include "util/errno_names.hpp"

namespace tristate::quiz {

std::map<int, std::string> StepExecutor::fd_names() const {
  // A socket is named by the first name (in name order) that holds it, a tuple's element as
  // name[i] (`c = ln.accept()` -> c[0]); one held only by the last displayed value is `_`.
  std::map<long long, std::string> by_handle;
  std::function<void(const PyValue&, const std::string&)> visit = [&](const PyValue& v, const std::string& n) {
    if (v.kind == PyValue::Kind::Socket) by_handle.emplace(v.i, n);
    if (v.kind == PyValue::Kind::Tuple)
      for (std::size_t i = 0; i < v.items.size(); ++i) visit(v.items[i], n + "[" + std::to_string(i) + "]");
  };
  for (const auto& [name, value] : names_) visit(value, name);
  visit(last_display_, "_");
  std::map<int, std::string> out;
  for (const auto& [handle, sock] : socks_) {
    if (!sock.fd) continue;
    auto it = by_handle.find(handle);
    out[sock.fd.get()] = it != by_handle.end() ? it->second : "socket#" + std::to_string(handle);
  }
  return out;
}

std::uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

StepExecutor::StepExecutor(util::UniqueFd listener) {
  if (!listener) {
    names_["ln"] = PyValue::none();
    return;
  }
  Sock s;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  s.family = ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&ss), &len) == 0
                 ? ss.ss_family
                 : AF_INET;
  s.fd = std::move(listener);
  s.pinned = true;
  const long long handle = next_handle_++;
  socks_.emplace(handle, std::move(s));
  names_["ln"] = PyValue::socket(handle);
}

bool StepExecutor::raise(std::string cls, const std::string& msg, int err) {
  raised_ = Raised{cls + ": " + msg, std::move(cls), err};
  return false;
}

bool StepExecutor::raise_errno(int err) {
  raised_ = Raised{os_error_line(err), std::string(os_error_class(err)), err};
  return false;
}

bool StepExecutor::eval(const Arg& a, const Statement& st, PyValue& out) {
  switch (a.kind) {
    case Arg::Kind::Int: out = PyValue::integer(a.i); return true;
    case Arg::Kind::Str: out = PyValue::str(a.s); return true;
    case Arg::Kind::Tuple: {
      std::vector<PyValue> items(a.items.size());
      for (std::size_t k = 0; k < a.items.size(); ++k)
        if (!eval(a.items[k], st, items[k])) return false;
      out = PyValue::tuple(std::move(items));
      return true;
    }
    case Arg::Kind::Name: return eval_name(a, out);
    case Arg::Kind::Call: return call(st.calls.at(static_cast<std::size_t>(a.i)), st, out);
    case Arg::Kind::Subscript: return eval_subscript(a, st, out);
    case Arg::Kind::BinOp: return eval_binop(a, st, out);
    case Arg::Kind::Unary: return eval_unary(a, st, out);
  }
  return raise("SystemError", "unknown expression");
}

bool StepExecutor::eval_name(const Arg& a, PyValue& out) {
  if (a.s == "None") {  // a keyword in Python: the parser lets no statement assign it
    out = PyValue::none();
    return true;
  }
  if (auto it = names_.find(a.s); it != names_.end()) {
    out = it->second;
    return true;
  }
  // `_` falls back to builtins._, which doctest's display hook sets to the last value shown.
  if (a.s == "_" && last_display_.kind != PyValue::Kind::None) {
    out = last_display_;
    return true;
  }
  // Only reached when the statement that bound the name raised before binding it.
  return raise("NameError", "name '" + a.s + "' is not defined");
}

bool StepExecutor::eval_subscript(const Arg& a, const Statement& st, PyValue& out) {
  PyValue object, index;
  if (!eval(a.items[0], st, object) || !eval(a.items[1], st, index)) return false;
  const std::string type(object.type_name());
  const bool seq = object.kind == PyValue::Kind::Tuple || object.kind == PyValue::Kind::Str ||
                   object.kind == PyValue::Kind::Bytes;
  if (!seq) return raise("TypeError", "'" + type + "' object is not subscriptable");
  if (index.kind != PyValue::Kind::Int) {
    const std::string it(index.type_name());
    if (object.kind == PyValue::Kind::Str)
      return raise("TypeError", "string indices must be integers, not '" + it + "'");
    return raise("TypeError", type + " indices must be integers or slices, not " + it);
  }
  const long long n = object.kind == PyValue::Kind::Tuple
                          ? static_cast<long long>(object.items.size())
                          : static_cast<long long>(object.s.size());
  long long k = index.i < 0 ? index.i + n : index.i;
  if (k < 0 || k >= n) {
    const char* what = object.kind == PyValue::Kind::Tuple ? "tuple index out of range"
                       : object.kind == PyValue::Kind::Str ? "string index out of range"
                                                           : "index out of range";
    return raise("IndexError", what);
  }
  const auto u = static_cast<std::size_t>(k);
  if (object.kind == PyValue::Kind::Tuple) out = object.items[u];
  else if (object.kind == PyValue::Kind::Str) out = PyValue::str(object.s.substr(u, 1));
  else out = PyValue::integer(static_cast<unsigned char>(object.s[u]));
  return true;
}

bool StepExecutor::eval_binop(const Arg& a, const Statement& st, PyValue& out) {
  PyValue x, y;
  if (!eval(a.items[0], st, x) || !eval(a.items[1], st, y)) return false;
  const std::string& op = a.s;
  if (op == "+" && x.kind == y.kind && x.kind != PyValue::Kind::Int &&
      (x.kind == PyValue::Kind::Str || x.kind == PyValue::Kind::Bytes ||
       x.kind == PyValue::Kind::Tuple)) {
    out = x;
    out.s += y.s;
    out.items.insert(out.items.end(), y.items.begin(), y.items.end());
    return true;
  }
  if (x.kind != PyValue::Kind::Int || y.kind != PyValue::Kind::Int) {
    if (op == "+" && (x.kind == PyValue::Kind::Str || x.kind == PyValue::Kind::Tuple))
      return raise("TypeError", "can only concatenate " + std::string(x.type_name()) +
                                    " (not \"" + std::string(y.type_name()) + "\") to " +
                                    std::string(x.type_name()));
    return raise("TypeError", "unsupported operand type(s) for " + op + ": '" +
                                  std::string(x.type_name()) + "' and '" +
                                  std::string(y.type_name()) + "'");
  }
  const __int128 p = x.i, q = y.i;
  __int128 r = 0;
  if (op == "|") r = p | q;
  else if (op == "^") r = p ^ q;
  else if (op == "&") r = p & q;
  else if (op == "+") r = p + q;
  else if (op == "-") r = p - q;
  else {
    if (q < 0) return raise("ValueError", "negative shift count");
    if (op == ">>") r = q > 63 ? (p < 0 ? -1 : 0) : p >> static_cast<int>(q);
    else if (p != 0 && q > 62) return raise("OverflowError", "int beyond the 64 bits tristate holds");
    else r = p << static_cast<int>(q);
  }
  if (r > std::numeric_limits<long long>::max() || r < std::numeric_limits<long long>::min())
    return raise("OverflowError", "int beyond the 64 bits tristate holds");
  out = PyValue::integer(static_cast<long long>(r));
  return true;
}

bool StepExecutor::eval_unary(const Arg& a, const Statement& st, PyValue& out) {
  PyValue x;
  if (!eval(a.items[0], st, x)) return false;
  if (x.kind != PyValue::Kind::Int)
    return raise("TypeError", "bad operand type for unary " + a.s + ": '" +
                                  std::string(x.type_name()) + "'");
  if (a.s == "-" && x.i == std::numeric_limits<long long>::min())
    return raise("OverflowError", "int beyond the 64 bits tristate holds");
  out = PyValue::integer(a.s == "-" ? -x.i : a.s == "~" ? ~x.i : x.i);
  return true;
}

// `a, b = value` unpacks any iterable the language has (tuple, str, bytes), as Python does.
bool StepExecutor::assign(const Statement& st, PyValue value) {
  if (!st.unpack) {
    names_[st.targets[0]] = std::move(value);
    return true;
  }
  std::vector<PyValue> items;
  switch (value.kind) {
    case PyValue::Kind::Tuple: items = std::move(value.items); break;
    case PyValue::Kind::Str:
      for (char c : value.s) items.push_back(PyValue::str(std::string(1, c)));
      break;
    case PyValue::Kind::Bytes:
      for (char c : value.s) items.push_back(PyValue::integer(static_cast<unsigned char>(c)));
      break;
    default:
      return raise("TypeError", "cannot unpack non-iterable " + std::string(value.type_name()) +
                                    " object");
  }
  const std::size_t want = st.targets.size();
  if (items.size() > want)
    return raise("ValueError", "too many values to unpack (expected " + std::to_string(want) + ")");
  if (items.size() < want)
    return raise("ValueError", "not enough values to unpack (expected " + std::to_string(want) +
                                   ", got " + std::to_string(items.size()) + ")");
  for (std::size_t k = 0; k < want; ++k) names_[st.targets[k]] = std::move(items[k]);
  return true;
}

// Runs the statement; `shown` is what doctest's display hook prints (None: nothing).
bool StepExecutor::execute(const Statement& st, PyValue& shown) {
  if (st.kind == Statement::Kind::Import) return true;
  std::vector<PyValue> values(st.values.size());
  for (std::size_t k = 0; k < st.values.size(); ++k)
    if (!eval(st.values[k], st, values[k])) return false;
  PyValue value = st.is_tuple ? PyValue::tuple(std::move(values)) : std::move(values.at(0));
  if (st.kind == Statement::Kind::Assign) return assign(st, std::move(value));
  if (value.kind != PyValue::Kind::None) {
    shown = value;
    last_display_ = std::move(value);
  }
  return true;
}

PyValue StepExecutor::displayable(const PyValue& v) const {
  if (v.kind == PyValue::Kind::Socket) return PyValue::raw(socket_repr(v.i));
  if (v.kind != PyValue::Kind::Tuple) return v;
  std::vector<PyValue> items;
  for (const auto& item : v.items) items.push_back(displayable(item));
  return PyValue::tuple(std::move(items));
}

// Python 3.11's socket.__repr__: fd, family, type, proto, then laddr/raddr when known.
std::string StepExecutor::socket_repr(long long handle) const {
  const Sock& s = socks_.at(handle);
  const int fd = s.fd.get();
  std::string text = std::string("<socket.socket ") + (fd < 0 ? "[closed] " : "") +
                     "fd=" + std::to_string(fd) + ", family=" + std::to_string(s.family) +
                     ", type=" + std::to_string(s.type) + ", proto=" + std::to_string(s.proto);
  for (bool local : {true, false}) {
    if (fd < 0) break;
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int rc = local ? ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len)
                         : ::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    if (rc == 0)
      text += std::string(local ? ", laddr=" : ", raddr=") +
              repr(sockaddr_to_py(reinterpret_cast<sockaddr*>(&ss), len));
  }
  return text + ">";
}

void StepExecutor::collect() {
  std::set<long long> live;
  auto mark = [&](auto&& self, const PyValue& v) -> void {
    if (v.kind == PyValue::Kind::Socket) live.insert(v.i);
    for (const auto& item : v.items) self(self, item);
  };
  for (const auto& [name, v] : names_) mark(mark, v);
  mark(mark, last_display_);
  for (auto it = socks_.begin(); it != socks_.end();)
    it = (it->second.pinned || live.count(it->first)) ? std::next(it) : socks_.erase(it);
}

report::Step StepExecutor::run(const Statement& statement, int index) {
  report::Step step;
  step.index = index;
  step.line = statement.loc.line;
  step.source = statement.text;
  step.expected = statement.expect.kind == Expect::Kind::Nothing ? "" : statement.expect.text;
  step.tid = static_cast<std::uint32_t>(::gettid());
  step.wall_time = util::iso_utc_now();

  raised_.reset();
  calls_ = &step.calls;
  PyValue shown;
  step.t_start_ns = monotonic_ns();
  const bool ok = execute(statement, shown);
  step.t_end_ns = monotonic_ns();
  calls_ = nullptr;

  Printed printed;
  if (!ok && raised_) {
    printed.raised = true;
    printed.err = raised_->err;
    printed.text = raised_->line;
  } else if (shown.kind != PyValue::Kind::None) {
    printed.text = repr(displayable(shown));
  }
  collect();  // after the display: a socket shown by a bare expression lives on in `_`
  step.actual = printed.text;
  step.matched = doctest_matches(statement.expect, printed);
  return step;
}

}  // namespace tristate::quiz
