#include "quiz/call_checks.hpp"

#include <arpa/inet.h>

#include <limits>
#include <string_view>

#include "quiz/quiz_constants.hpp"

namespace tristate::quiz {
namespace {

constexpr long long kIntMin = std::numeric_limits<int>::min();
constexpr long long kIntMax = std::numeric_limits<int>::max();
constexpr long long kUintMax = std::numeric_limits<unsigned int>::max();

using Type = NameTable::Type;


// Is `host` usable for the family, the way Python's socket module resolves it without DNS?
// Returns the address the runner should use ('' and 'localhost' spelled out) or an error.
struct HostCheck {
  std::string address;
  std::string error;
};

HostCheck check_host(const std::string& host, bool v6) {
  if (host.empty()) return {v6 ? "::" : "0.0.0.0", ""};
  if (host == "localhost") return {v6 ? "::1" : "127.0.0.1", ""};
  if (!v6 && is_v4(host)) return {host, ""};
  if (v6 && is_v6(host)) return {host, ""};
  if (!v6 && is_v6(host))
    return {"", "found the IPv6 address '" + host +
                    "', expected an IPv4 address for an AF_INET socket"};
  if (v6 && is_v4(host))
    return {"", "found the IPv4 address '" + host +
                    "', expected an IPv6 address for an AF_INET6 socket (write '::ffff:" + host +
                    "' for an IPv4-mapped address)"};
  return {"", "found '" + host + "', expected " +
                  (v6 ? std::string("an IPv6 address literal such as '::1'")
                      : std::string("an IPv4 address literal such as '127.0.0.1'")) +
                  ", '' (any) or 'localhost'; host names are not resolved"};
}

// Struct codes Python has beyond the integer ones (I i H h B b Q q): valid Python that the
// language does not speak, so they are refused here rather than run differently.
constexpr std::string_view kPythonOnlyCodes = "xcs?nNefdpP";

class CallChecker {
 public:
  CallChecker(const std::string& file, int line_no, int last_end)
      : file_(file), line_no_(line_no), last_end_(last_end) {}

  void arg_count(const Call& c, const std::string& fn, std::size_t lo, std::size_t hi,
                 const std::string& shape) {
    if (c.args.size() >= lo && c.args.size() <= hi) return;
    const int col = c.args.size() > hi ? c.args[hi].loc.column : last_end_ - 1;
    fail(col, "found " + std::to_string(c.args.size()) + " argument" +
                  (c.args.size() == 1 ? "" : "s") + " to " + fn + "(), expected " + shape);
  }

  void need_int(const Arg& a, const std::string& what, long long lo, long long hi) {
    if (!a.is_literal()) return;  // checked by the runner, as Python checks it
    if (a.kind != Arg::Kind::Int) fail(a.loc.column, "found " + kind_word(a) + ", expected " + what);
    if (a.i < lo || a.i > hi)
      fail(a.loc.column, "found " + a.spelled + " = " + std::to_string(a.i) + ", expected " + what +
                             " in " + std::to_string(lo) + ".." + std::to_string(hi));
  }

  void check_function_args(Call& c) {
    switch (c.op) {
      case Op::Socket: return check_socket_args(c);
      case Op::Pack: return check_pack_args(c);
      case Op::Disconnect:
        arg_count(c, "disconnect", 1, 1, "one socket");
        if (c.args[0].is_literal())
          fail(c.args[0].loc.column, "found " + kind_word(c.args[0]) + ", expected a socket");
        return;
      default: return;
    }
  }

  void check_socket_args(Call& c) {
    arg_count(c, "socket", 0, 3, "(family, type[, proto])");
    // Python's defaults: socket() is socket(AF_INET, SOCK_STREAM).
    if (c.args.size() < 1) c.args.push_back(Arg{Arg::Kind::Int, 2, "", {}, "AF_INET", c.loc});
    if (c.args.size() < 2) c.args.push_back(Arg{Arg::Kind::Int, 1, "", {}, "SOCK_STREAM", c.loc});
    const Arg& fam = c.args[0];
    if (fam.is_literal() && (fam.kind != Arg::Kind::Int || (fam.i != 2 && fam.i != 10)))
      fail(fam.loc.column, "found " + kind_word(fam) + ", expected AF_INET or AF_INET6");
    const Arg& type = c.args[1];
    if (type.is_literal() && (type.kind != Arg::Kind::Int || type.i != 1))
      fail(type.loc.column, "found " + kind_word(type) +
                                ", expected SOCK_STREAM (quizzes are about TCP ports)");
    if (c.args.size() == 3) {
      const Arg& proto = c.args[2];
      if (proto.is_literal() && (proto.kind != Arg::Kind::Int || (proto.i != 0 && proto.i != 6)))
        fail(proto.loc.column, "found " + kind_word(proto) + ", expected 0 or IPPROTO_TCP");
    }
  }

  // The format is checked when it is a literal: codes Python knows but the language does
  // not are refused here; a code Python does not know either is struct.error at run time.
  void check_pack_args(Call& c) {
    if (c.args.empty()) fail(last_end_ - 1, "found 0 arguments to pack(), expected (format, ...)");
    const Arg& fmt = c.args[0];
    if (!fmt.is_literal()) return;
    if (fmt.kind != Arg::Kind::Str)
      fail(fmt.loc.column, "found " + kind_word(fmt) + ", expected a format string such as 'I'");
    for (std::size_t k = 0; k < fmt.s.size(); ++k) {
      const char ch = fmt.s[k];
      if (kPythonOnlyCodes.find(ch) != std::string_view::npos)
        fail(fmt.loc.column + 1 + static_cast<int>(k),
             std::string("found the format code '") + ch + "', expected one of I i H h B b Q q "
             "(with an optional < > = ! @ first)");
    }
  }

  void check_method_args(Call& c, const std::string& fn, Type type) {
    switch (c.op) {
      case Op::Getsockname:
      case Op::Getpeername:
      case Op::Accept:
      case Op::Close: arg_count(c, fn, 0, 0, "no arguments"); break;
      case Op::Listen:
        arg_count(c, fn, 0, 1, "at most one argument, the backlog");
        if (!c.args.empty()) need_int(c.args[0], "a backlog integer", kIntMin, kIntMax);
        break;
      case Op::Shutdown:
        arg_count(c, fn, 1, 1, "one argument: SHUT_RD, SHUT_WR or SHUT_RDWR");
        need_int(c.args[0], "SHUT_RD, SHUT_WR or SHUT_RDWR", kIntMin, kIntMax);
        break;
      case Op::Setblocking: arg_count(c, fn, 1, 1, "one argument (True or False)"); break;
      case Op::Bind:
      case Op::Connect:
      case Op::ConnectEx:
        arg_count(c, fn, 1, 1,
                  type == Type::SocketV6 ? "one address tuple (host, port[, flowinfo[, scope_id]])"
                                         : "one address tuple (host, port)");
        if (type == Type::SocketV4 || type == Type::SocketV6)
          check_address(c.args[0], type == Type::SocketV6);
        break;
      case Op::Setsockopt: check_sockopt(c, "setsockopt", 3, 3, "(level, option, value)"); break;
      case Op::Getsockopt: check_sockopt(c, "getsockopt", 2, 3, "(level, option[, buflen])"); break;
      case Op::Socket:
      case Op::Pack:
      case Op::Disconnect: break;
    }
  }

  void check_address(Arg& a, bool v6) {
    if (!a.is_literal()) return;
    const std::string shape = v6 ? "(host, port[, flowinfo[, scope_id]])" : "(host, port)";
    if (a.kind != Arg::Kind::Tuple)
      fail(a.loc.column, "found " + kind_word(a) + ", expected an address tuple " + shape);
    const std::size_t n = a.items.size();
    if (n < 2 || n > (v6 ? 4u : 2u))
      fail(a.loc.column, "found a tuple of " + std::to_string(n) + " item" + (n == 1 ? "" : "s") +
                             ", expected " + shape + " for an " +
                             (v6 ? "AF_INET6" : "AF_INET") + " socket");
    Arg& host = a.items[0];
    if (host.is_literal()) {
      if (host.kind != Arg::Kind::Str)
        fail(host.loc.column, "found " + kind_word(host) + ", expected a host string such as '" +
                                  (v6 ? "::1" : "127.0.0.1") + "'");
      HostCheck hc = check_host(host.s, v6);
      if (!hc.error.empty()) fail(host.loc.column, hc.error);
      host.s = hc.address;
    }
    need_int(a.items[1], "a port", 0, 65535);
    if (n > 2) need_int(a.items[2], "a flowinfo", 0, 0xFFFFF);
    if (n > 3) need_int(a.items[3], "a scope_id", 0, kUintMax);
  }

  void check_sockopt(Call& c, const std::string& fn, std::size_t lo, std::size_t hi,
                     const std::string& shape) {
    arg_count(c, fn, lo, hi, shape);
    const Arg& level = c.args[0];
    const Arg& name = c.args[1];
    auto named = [](const Arg& a) {
      return a.kind == Arg::Kind::Int ? find_constant(a.spelled) : std::nullopt;
    };
    if (auto k = named(level); k && k->kind != Constant::Kind::Level)
      fail(level.loc.column, "found " + level.spelled + ", expected a level: " +
                                 constant_names(Constant::Kind::Level));
    need_int(level, "a level", 0, kIntMax);
    if (auto k = named(name)) {
      if (k->kind != Constant::Kind::Option)
        fail(name.loc.column, "found " + name.spelled + ", expected an option: " +
                                  constant_names(Constant::Kind::Option));
      if (level.kind == Arg::Kind::Int && k->level != level.i)
        fail(name.loc.column, "found " + name.spelled + " at level " + level.spelled +
                                  ", expected level " + std::string(level_name(k->level)) +
                                  " (" + name.spelled + " is a " +
                                  std::string(level_name(k->level)) + " option)");
    }
    need_int(name, "an option number", 0, kIntMax);
    if (c.args.size() < 3) return;
    if (c.op == Op::Getsockopt) return need_int(c.args[2], "a buffer length", 0, 1024);
    // An int option; values up to 2**32-1 are allowed so IP_LOCAL_PORT_RANGE's
    // (hi << 16) | lo can be written directly for high ports. Bytes come from pack().
    need_int(c.args[2], "an option value (an integer or pack(...))", kIntMin, kUintMax);
  }

 private:
  [[noreturn]] void fail(int column, const std::string& msg) const {
    throw ParseError(file_, Loc{line_no_, column}, msg);
  }

  const std::string& file_;
  int line_no_;
  int last_end_;
};

}  // namespace

bool is_v4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}
bool is_v6(const std::string& s) {
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

std::string kind_word(const Arg& a) {
  switch (a.kind) {
    case Arg::Kind::Int: return "integer " + a.spelled;
    case Arg::Kind::Str: return "string " + a.spelled;
    case Arg::Kind::Tuple: return "tuple " + a.spelled;
    default: return a.spelled;
  }
}

void check_function_args(Call& c, const std::string& file, int line_no, int last_end) {
  CallChecker(file, line_no, last_end).check_function_args(c);
}

void check_method_args(Call& c, const std::string& fn, NameTable::Type type, const std::string& file,
                       int line_no, int last_end) {
  CallChecker(file, line_no, last_end).check_method_args(c, fn, type);
}

}  // namespace tristate::quiz
