// The quiz file format (docs/quiz-format.md): a `# key: value` header, then doctest examples.
// Everything that is neither is prose and ignored, as doctest ignores it, so a block pasted
// from the post or a whole Cloudflare quiz_N.py runs unchanged.
#include "quiz/quiz_parser.hpp"
#include "util/input_file.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "quiz/quiz_constants.hpp"
#include "quiz/quiz_lexer.hpp"

namespace tristate::quiz {
namespace {

namespace fs = std::filesystem;

constexpr long long kIntMin = std::numeric_limits<int>::min();
constexpr long long kIntMax = std::numeric_limits<int>::max();
constexpr long long kUintMax = std::numeric_limits<unsigned int>::max();

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

std::size_t indent_of(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return i;
}

std::string_view trim(std::string_view s) {
  std::size_t b = indent_of(s);
  std::size_t e = s.size();
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool is_example_line(std::string_view line) {
  return starts_with(line.substr(indent_of(line)), ">>>");
}

bool is_docstring_end(std::string_view line) {
  auto t = trim(line);
  return t == "\"\"\"" || t == "'''";
}

std::string kind_word(const Arg& a) {
  switch (a.kind) {
    case Arg::Kind::Int: return "integer " + a.spelled;
    case Arg::Kind::Str: return "string " + a.spelled;
    case Arg::Kind::Tuple: return "tuple " + a.spelled;
  }
  return a.spelled;
}

enum class Family { V4, V6 };

// Is `host` usable for `family`, the way Python's socket module would resolve it without
// DNS? Returns the address the runner should use ('' and 'localhost' spelled out), or an
// error message.
struct HostCheck {
  std::string address;
  std::string error;
};

bool is_v4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}
bool is_v6(const std::string& s) {
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

HostCheck check_host(const std::string& host, Family family) {
  const bool v6 = family == Family::V6;
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

// ---------------------------------------------------------------------------------------
// One `>>>` statement.

class StatementParser {
 public:
  StatementParser(std::string_view line, std::size_t start, const std::string& file, int line_no,
                  std::map<std::string, Family>& sockets, std::vector<std::string>& order)
      : line_(line), file_(file), line_no_(line_no), sockets_(sockets), order_(order) {
    toks_ = lex_statement(line, start, file, line_no);
  }

  void parse(Statement& st) {
    const Token& first = peek();
    if (first.kind != Token::Kind::Name)
      fail(first, "found " + describe(first) +
                      ", expected a statement: sN = socket(AF_INET, SOCK_STREAM) or sN.method(...)");
    const Token& second = peek(1);
    if (second.kind == Token::Kind::Punct && second.text == "=") {
      st.calls.push_back(assignment());
      expect_end("after the socket() call");
      return;
    }
    if (first.text == "socket" && second.kind == Token::Kind::Punct && second.text == "(")
      fail(first, "found socket(...) without a name, expected an assignment such as "
                  "s1 = socket(AF_INET, SOCK_STREAM)");
    st.calls.push_back(call());
    while (peek().kind == Token::Kind::Punct && peek().text == ",") {
      st.is_tuple = true;
      next();
      if (peek().kind == Token::Kind::End) break;  // `s1.getsockname(),` is a 1-tuple
      st.calls.push_back(call());
    }
    expect_end("after the call (separate several calls with ',')");
  }

 private:
  // -- token stream --
  const Token& peek(std::size_t ahead = 0) const {
    return toks_[std::min(pos_ + ahead, toks_.size() - 1)];
  }
  const Token& next() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    last_end_ = t.end_column;
    return t;
  }
  bool at_punct(std::string_view p) const {
    return peek().kind == Token::Kind::Punct && peek().text == p;
  }
  [[noreturn]] void fail(const Token& t, const std::string& msg) const { fail(t.column, msg); }
  [[noreturn]] void fail(int column, const std::string& msg) const {
    throw ParseError(file_, Loc{line_no_, column}, msg);
  }
  void expect_punct(std::string_view p, const std::string& context) {
    if (!at_punct(p))
      fail(peek(), "found " + describe(peek()) + ", expected '" + std::string(p) + "' " + context);
    next();
  }
  void expect_end(const std::string& context) {
    if (peek().kind != Token::Kind::End)
      fail(peek(), "found " + describe(peek()) + ", expected end of line " + context);
  }
  std::string source(int from_col, int to_col) const {
    return std::string(line_.substr(from_col - 1, to_col - from_col));
  }
  Loc loc(const Token& t) const { return Loc{line_no_, t.column}; }

  // -- statements --
  Call assignment() {
    const Token& name = next();
    if (name.text == "socket" || find_constant(name.text))
      fail(name, "found '" + name.text + "' as a socket name, expected a new name such as s1");
    next();  // '='
    const Token& fn = peek();
    if (fn.kind != Token::Kind::Name || fn.text != "socket")
      fail(fn, "found " + describe(fn) + ", expected socket(AF_INET|AF_INET6, SOCK_STREAM): "
                   "the only value a name can be given");
    next();
    Call c;
    c.op = Op::Socket;
    c.sock = name.text;
    c.loc = loc(name);
    const int open_col = peek().column;
    c.args = arguments("socket");
    c.text = source(name.column, last_end_);
    check_socket_args(c, open_col);
    const Family family = c.args[0].i == 10 ? Family::V6 : Family::V4;
    if (!sockets_.count(c.sock)) order_.push_back(c.sock);
    sockets_[c.sock] = family;
    return c;
  }

  Call call() {
    const Token& name = peek();
    if (name.kind != Token::Kind::Name)
      fail(name, "found " + describe(name) + ", expected a call such as s1.getsockname()");
    next();
    if (!at_punct(".")) {
      if (at_punct("="))
        fail(peek(), "found '=' inside a tuple of calls, expected only calls separated by ','");
      fail(peek(), "found " + describe(peek()) + " after '" + name.text +
                       "', expected '.' and a method (s1.close()) or '=' (s1 = socket(...))");
    }
    auto it = sockets_.find(name.text);
    if (it == sockets_.end()) fail(name, undefined_message(name.text));
    next();  // '.'
    const Token& method = peek();
    if (method.kind != Token::Kind::Name)
      fail(method, "found " + describe(method) + " after '.', expected a method name");
    next();
    static const std::map<std::string, Op, std::less<>> kMethods{
        {"setsockopt", Op::Setsockopt},   {"bind", Op::Bind},
        {"connect", Op::Connect},         {"listen", Op::Listen},
        {"getsockname", Op::Getsockname}, {"getpeername", Op::Getpeername},
        {"close", Op::Close}};
    auto m = kMethods.find(method.text);
    if (m == kMethods.end())
      fail(method, "found unknown method '" + method.text +
                       "', expected one of setsockopt, bind, connect, listen, getsockname, "
                       "getpeername, close");
    Call c;
    c.op = m->second;
    c.sock = name.text;
    c.loc = loc(name);
    const int open_col = peek().column;
    c.args = arguments(method.text);
    c.text = source(name.column, last_end_);
    check_call_args(c, method.text, it->second, open_col);
    return c;
  }

  std::string undefined_message(const std::string& name) const {
    std::string msg = "found '" + name + "', which is not defined; ";
    if (order_.empty()) {
      msg += "no sockets are defined yet (expected sN = socket(...) first)";
    } else {
      msg += "sockets defined so far: ";
      for (std::size_t i = 0; i < order_.size(); ++i) msg += (i ? ", " : "") + order_[i];
    }
    if (name == "ln") msg += " (the setup's listener is not available to statements)";
    return msg;
  }

  // -- arguments --
  std::vector<Arg> arguments(const std::string& fn) {
    const Token open = peek();
    expect_punct("(", "to open the arguments of " + fn + "()");
    std::vector<Arg> args;
    while (!at_punct(")")) {
      if (peek().kind == Token::Kind::End)
        fail(peek(), "found end of line, expected a value or ')' to close '(' at column " +
                         std::to_string(open.column));
      args.push_back(expr());
      if (at_punct(",")) {
        next();
        continue;
      }
      if (!at_punct(")"))
        fail(peek(), "found " + describe(peek()) + ", expected ',' or ')' to close '(' at column " +
                         std::to_string(open.column));
    }
    next();  // ')'
    return args;
  }

  // Python precedence: | below ^ below & below << >> below + - below unary.
  Arg expr() { return binary(0); }

  Arg binary(int level) {
    static constexpr std::string_view kOps[][2] = {{"|", ""}, {"^", ""}, {"&", ""},
                                                   {"<<", ">>"}, {"+", "-"}};
    if (level == 5) return unary();
    Arg lhs = binary(level + 1);
    while (peek().kind == Token::Kind::Punct &&
           (peek().text == kOps[level][0] || peek().text == kOps[level][1])) {
      const Token op = next();
      Arg rhs = binary(level + 1);
      lhs = combine(lhs, op, rhs);
    }
    return lhs;
  }

  Arg combine(const Arg& a, const Token& op, const Arg& b) {
    for (const Arg* x : {&a, &b})
      if (x->kind != Arg::Kind::Int)
        fail(x->loc.column, "found " + kind_word(*x) + ", expected an integer operand of '" +
                                op.text + "'");
    __int128 r = 0;
    const __int128 x = a.i, y = b.i;
    if (op.text == "|") r = x | y;
    else if (op.text == "^") r = x ^ y;
    else if (op.text == "&") r = x & y;
    else if (op.text == "+") r = x + y;
    else if (op.text == "-") r = x - y;
    else {
      if (y < 0 || y > 62) fail(b.loc.column, "found shift count " + b.spelled +
                                                  ", expected 0..62");
      r = op.text == "<<" ? (x << static_cast<int>(y)) : (x >> static_cast<int>(y));
    }
    if (r > std::numeric_limits<long long>::max() || r < std::numeric_limits<long long>::min())
      fail(a.loc.column, "found an integer expression out of range, expected a 64-bit value");
    Arg out;
    out.kind = Arg::Kind::Int;
    out.i = static_cast<long long>(r);
    out.loc = a.loc;
    out.spelled = source(a.loc.column, last_end_);
    return out;
  }

  // Recursion guard: a hostile line of 10k '(' or '-' must not exhaust the stack.
  struct Depth {
    explicit Depth(StatementParser& p) : p_(p) {
      if (++p_.depth_ > kMaxDepth)
        p_.fail(p_.peek(), "found an expression nested more than " + std::to_string(kMaxDepth) +
                               " levels deep, expected a simpler one");
    }
    ~Depth() { --p_.depth_; }
    StatementParser& p_;
  };
  static constexpr int kMaxDepth = 32;

  Arg unary() {
    if (at_punct("-") || at_punct("+") || at_punct("~")) {
      Depth guard(*this);
      const Token op = next();
      Arg v = unary();
      if (v.kind != Arg::Kind::Int)
        fail(v.loc.column, "found " + kind_word(v) + ", expected an integer after '" + op.text + "'");
      if (op.text == "-") {
        if (v.i == std::numeric_limits<long long>::min())
          fail(op, "found an integer out of range, expected a 64-bit value");
        v.i = -v.i;
      }
      if (op.text == "~") v.i = ~v.i;
      v.loc = loc(op);
      v.spelled = source(op.column, last_end_);
      return v;
    }
    return primary();
  }

  Arg primary() {
    const Token t = peek();
    Arg a;
    a.loc = loc(t);
    switch (t.kind) {
      case Token::Kind::Int:
        next();
        a.kind = Arg::Kind::Int;
        a.i = t.i;
        a.spelled = t.text;
        return a;
      case Token::Kind::Str:
        next();
        a.kind = Arg::Kind::Str;
        a.s = t.s;
        a.spelled = t.text;
        return a;
      case Token::Kind::Name: {
        next();
        if (auto c = find_constant(t.text)) {
          a.kind = Arg::Kind::Int;
          a.i = c->value;
          a.spelled = t.text;
          return a;
        }
        if (sockets_.count(t.text))
          fail(t, "found the socket '" + t.text + "', expected a value (a socket cannot be an "
                  "argument)");
        fail(t, "found unknown name '" + t.text + "', expected a number, a string, a tuple or a "
                "constant such as AF_INET, SOL_SOCKET, SO_REUSEADDR, IP_BIND_ADDRESS_NO_PORT");
      }
      case Token::Kind::Punct:
        if (t.text == "(") return parenthesized();
        fail(t, "found " + describe(t) + ", expected a value");
      case Token::Kind::End:
        fail(t, "found end of line, expected a value");
    }
    fail(t, "found " + describe(t) + ", expected a value");
  }

  // `(x)` is x, `(x,)` and `(a, b)` are tuples, as in Python.
  Arg parenthesized() {
    Depth guard(*this);
    const Token open = next();
    Arg a;
    a.loc = loc(open);
    a.kind = Arg::Kind::Tuple;
    bool comma = false;
    while (!at_punct(")")) {
      if (peek().kind == Token::Kind::End)
        fail(peek(), "found end of line, expected a value or ')' to close '(' at column " +
                         std::to_string(open.column));
      a.items.push_back(expr());
      if (at_punct(",")) {
        comma = true;
        next();
        continue;
      }
      if (!at_punct(")"))
        fail(peek(), "found " + describe(peek()) + ", expected ',' or ')' to close '(' at column " +
                         std::to_string(open.column));
    }
    next();  // ')'
    if (a.items.size() == 1 && !comma) {
      Arg inner = a.items.front();
      inner.loc = a.loc;
      inner.spelled = source(open.column, last_end_);
      return inner;
    }
    a.spelled = source(open.column, last_end_);
    return a;
  }

  // -- per-call checks --
  void arg_count(const Call& c, const std::string& fn, std::size_t lo, std::size_t hi,
                 const std::string& shape) {
    if (c.args.size() >= lo && c.args.size() <= hi) return;
    const int col = c.args.size() > hi ? c.args[hi].loc.column : last_end_ - 1;
    fail(col, "found " + std::to_string(c.args.size()) + " argument" +
                  (c.args.size() == 1 ? "" : "s") + " to " + fn + "(), expected " + shape);
  }

  void need_int(const Arg& a, const std::string& what, long long lo, long long hi) {
    if (a.kind != Arg::Kind::Int) fail(a.loc.column, "found " + kind_word(a) + ", expected " + what);
    if (a.i < lo || a.i > hi)
      fail(a.loc.column, "found " + a.spelled + " = " + std::to_string(a.i) + ", expected " + what +
                             " in " + std::to_string(lo) + ".." + std::to_string(hi));
  }

  void check_socket_args(Call& c, int open_col) {
    (void)open_col;
    arg_count(c, "socket", 0, 3, "(family, type[, proto])");
    // Python's defaults: socket() is socket(AF_INET, SOCK_STREAM).
    if (c.args.size() < 1) c.args.push_back(Arg{Arg::Kind::Int, 2, "", {}, "AF_INET", c.loc});
    if (c.args.size() < 2) c.args.push_back(Arg{Arg::Kind::Int, 1, "", {}, "SOCK_STREAM", c.loc});
    const Arg& fam = c.args[0];
    if (fam.kind != Arg::Kind::Int || (fam.i != 2 && fam.i != 10))
      fail(fam.loc.column, "found " + kind_word(fam) + ", expected AF_INET or AF_INET6");
    const Arg& type = c.args[1];
    if (type.kind != Arg::Kind::Int || type.i != 1)
      fail(type.loc.column, "found " + kind_word(type) +
                                ", expected SOCK_STREAM (quizzes are about TCP ports)");
    if (c.args.size() == 3) {
      const Arg& proto = c.args[2];
      if (proto.kind != Arg::Kind::Int || (proto.i != 0 && proto.i != 6))
        fail(proto.loc.column, "found " + kind_word(proto) + ", expected 0 or IPPROTO_TCP");
    }
  }

  void check_call_args(Call& c, const std::string& fn, Family family, int open_col) {
    (void)open_col;
    switch (c.op) {
      case Op::Socket: break;
      case Op::Getsockname:
      case Op::Getpeername:
      case Op::Close: arg_count(c, fn, 0, 0, "no arguments"); break;
      case Op::Listen:
        arg_count(c, fn, 0, 1, "at most one argument, the backlog");
        if (!c.args.empty()) need_int(c.args[0], "a backlog integer", kIntMin, kIntMax);
        break;
      case Op::Bind:
      case Op::Connect:
        arg_count(c, fn, 1, 1,
                  family == Family::V6 ? "one address tuple (host, port[, flowinfo[, scope_id]])"
                                       : "one address tuple (host, port)");
        check_address(c.args[0], family);
        break;
      case Op::Setsockopt: check_setsockopt(c); break;
    }
  }

  void check_address(Arg& a, Family family) {
    const bool v6 = family == Family::V6;
    const std::string shape = v6 ? "(host, port[, flowinfo[, scope_id]])" : "(host, port)";
    if (a.kind != Arg::Kind::Tuple)
      fail(a.loc.column, "found " + kind_word(a) + ", expected an address tuple " + shape);
    const std::size_t n = a.items.size();
    if (n < 2 || n > (v6 ? 4u : 2u))
      fail(a.loc.column, "found a tuple of " + std::to_string(n) + " item" + (n == 1 ? "" : "s") +
                             ", expected " + shape + " for an " +
                             (v6 ? "AF_INET6" : "AF_INET") + " socket");
    Arg& host = a.items[0];
    if (host.kind != Arg::Kind::Str)
      fail(host.loc.column, "found " + kind_word(host) + ", expected a host string such as '" +
                                (v6 ? "::1" : "127.0.0.1") + "'");
    HostCheck hc = check_host(host.s, family);
    if (!hc.error.empty()) fail(host.loc.column, hc.error);
    host.s = hc.address;
    need_int(a.items[1], "a port", 0, 65535);
    if (n > 2) need_int(a.items[2], "a flowinfo", 0, 0xFFFFF);
    if (n > 3) need_int(a.items[3], "a scope_id", 0, kUintMax);
  }

  void check_setsockopt(Call& c) {
    arg_count(c, "setsockopt", 3, 3, "(level, option, value)");
    const Arg& level = c.args[0];
    const Arg& name = c.args[1];
    const Arg& value = c.args[2];
    auto named = [](const Arg& a) { return find_constant(a.spelled); };
    if (auto k = named(level); k && k->kind != Constant::Kind::Level)
      fail(level.loc.column, "found " + level.spelled + ", expected a level: " +
                                 constant_names(Constant::Kind::Level));
    need_int(level, "a level", 0, kIntMax);
    if (auto k = named(name)) {
      if (k->kind != Constant::Kind::Option)
        fail(name.loc.column, "found " + name.spelled + ", expected an option: " +
                                  constant_names(Constant::Kind::Option));
      if (k->level != level.i)
        fail(name.loc.column, "found " + name.spelled + " at level " + level.spelled +
                                  ", expected level " + std::string(level_name(k->level)) +
                                  " (" + name.spelled + " is a " +
                                  std::string(level_name(k->level)) + " option)");
    }
    need_int(name, "an option number", 0, kIntMax);
    // An int option; values up to 2**32-1 are allowed so IP_LOCAL_PORT_RANGE's
    // (hi << 16) | lo can be written directly for high ports.
    need_int(value, "an option value", kIntMin, kUintMax);
  }

  std::string_view line_;
  const std::string& file_;
  int line_no_;
  std::map<std::string, Family>& sockets_;
  std::vector<std::string>& order_;
  std::vector<Token> toks_;
  std::size_t pos_ = 0;
  int last_end_ = 0;
  int depth_ = 0;
};

// ---------------------------------------------------------------------------------------
// The file: header, examples, expectations.

constexpr std::string_view kHeaderKeys =
    "title, source, lesson, port-range, listen, address, sysctl, note";

bool is_known_key(std::string_view k) {
  for (auto known : {"title", "source", "lesson", "port-range", "listen", "address", "sysctl",
                     "note"})
    if (k == known) return true;
  return false;
}

// `# key: value` with a lowercase key at the very start of the line. Anything else starting
// with '#' ("#!/usr/bin/env", "# Quiz #3") is prose.
struct HeaderLine {
  std::string key;
  std::string value;
  int key_col = 0;
  int value_col = 0;
};

std::optional<HeaderLine> match_header(std::string_view line) {
  if (line.empty() || line[0] != '#') return std::nullopt;
  std::size_t p = 1;
  while (p < line.size() && line[p] == ' ') ++p;
  const std::size_t kb = p;
  if (p >= line.size() || !(line[p] >= 'a' && line[p] <= 'z')) return std::nullopt;
  while (p < line.size() &&
         ((line[p] >= 'a' && line[p] <= 'z') || (line[p] >= '0' && line[p] <= '9') || line[p] == '-'))
    ++p;
  const std::size_t ke = p;
  if (p >= line.size() || line[p] != ':') return std::nullopt;
  ++p;
  while (p < line.size() && (line[p] == ' ' || line[p] == '\t')) ++p;
  HeaderLine h;
  h.key = std::string(line.substr(kb, ke - kb));
  h.key_col = static_cast<int>(kb) + 1;
  h.value_col = static_cast<int>(p) + 1;
  h.value = std::string(trim(line.substr(p)));
  return h;
}

// Whitespace-separated words of a header value, with their columns.
struct Word {
  std::string text;
  int col = 0;
};

std::vector<Word> words(const HeaderLine& h) {
  std::vector<Word> out;
  const std::string& v = h.value;
  std::size_t p = 0;
  while (p < v.size()) {
    while (p < v.size() && (v[p] == ' ' || v[p] == '\t')) ++p;
    if (p >= v.size()) break;
    std::size_t b = p;
    while (p < v.size() && v[p] != ' ' && v[p] != '\t') ++p;
    out.push_back({v.substr(b, p - b), h.value_col + static_cast<int>(b)});
  }
  return out;
}

class FileParser {
 public:
  FileParser(std::string_view text, const std::string& file) : file_(file) {
    std::size_t b = 0;
    while (b <= text.size()) {
      std::size_t e = text.find('\n', b);
      if (e == std::string_view::npos) e = text.size();
      std::string_view l = text.substr(b, e - b);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      lines_.push_back(l);
      b = e + 1;
    }
  }

  Quiz parse() {
    Quiz q;
    q.file = file_;
    q.name = fs::path(file_).stem().string();
    bool in_header = true;
    std::size_t i = 0;
    while (i < lines_.size()) {
      std::string_view line = lines_[i];
      if (is_example_line(line)) {
        in_header = false;
        i = example(q, i);
        continue;
      }
      if (auto h = match_header(line)) {
        if (in_header) {
          header(q, *h, static_cast<int>(i) + 1);
        } else if (is_known_key(h->key)) {
          fail(static_cast<int>(i) + 1, h->key_col,
               "found the header key '" + h->key +
                   "' after the first '>>>', expected header lines before the first example");
        }
      }
      ++i;
    }
    if (q.steps.empty())
      fail(1, 1, "found no statements, expected at least one '>>> ' example line");
    return q;
  }

 private:
  [[noreturn]] void fail(int line, int col, const std::string& msg) const {
    throw ParseError(file_, Loc{line, col}, msg);
  }

  // -- header --
  void once(const std::string& key, int line_no, int col) {
    auto [it, fresh] = first_seen_.emplace(key, line_no);
    if (!fresh)
      fail(line_no, col, "found a second '" + key + "' (the first is at line " +
                             std::to_string(it->second) + "), expected it once");
  }

  int header_int(const Word& w, const std::string& what, int lo, int hi, int line_no) const {
    int v = 0;
    auto [p, ec] = std::from_chars(w.text.data(), w.text.data() + w.text.size(), v);
    if (ec != std::errc() || p != w.text.data() + w.text.size())
      fail(line_no, w.col, "found '" + w.text + "', expected " + what + " (an integer " +
                               std::to_string(lo) + ".." + std::to_string(hi) + ")");
    if (v < lo || v > hi)
      fail(line_no, w.col, "found " + w.text + ", expected " + what + " in " + std::to_string(lo) +
                               ".." + std::to_string(hi));
    return v;
  }

  void header(Quiz& q, const HeaderLine& h, int line_no) {
    const std::vector<Word> ws = words(h);
    auto need_text = [&] {
      if (h.value.empty())
        fail(line_no, h.value_col, "found an empty value, expected text after '" + h.key + ":'");
    };
    if (h.key == "title" || h.key == "source" || h.key == "lesson") {
      once(h.key, line_no, h.key_col);
      need_text();
      (h.key == "title" ? q.title : h.key == "source" ? q.source : q.lesson) = h.value;
    } else if (h.key == "note") {
      // Free text for readers of the file (e.g. which kernel showed what); not part of the model.
    } else if (h.key == "port-range") {
      once(h.key, line_no, h.key_col);
      if (ws.size() != 2)
        fail(line_no, ws.size() > 2 ? ws[2].col : h.value_col + static_cast<int>(h.value.size()),
             "found " + std::to_string(ws.size()) + " value" + (ws.size() == 1 ? "" : "s") +
                 ", expected 'port-range: LO HI'");
      int lo = header_int(ws[0], "the low port", 1, 65535, line_no);
      int hi = header_int(ws[1], "the high port", 1, 65535, line_no);
      if (lo > hi)
        fail(line_no, ws[1].col, "found HI " + ws[1].text + " below LO " + ws[0].text +
                                     ", expected LO <= HI");
      q.setup.port_lo = lo;
      q.setup.port_hi = hi;
    } else if (h.key == "listen") {
      listen(q, h, ws, line_no);
    } else if (h.key == "address") {
      address(q, h, ws, line_no);
    } else if (h.key == "sysctl") {
      sysctl(q, h, ws, line_no);
    } else {
      fail(line_no, h.key_col, "found unknown header key '" + h.key + "', expected one of " +
                                   std::string(kHeaderKeys));
    }
  }

  void listen(Quiz& q, const HeaderLine& h, const std::vector<Word>& ws, int line_no) {
    if (ws.size() == 1 && ws[0].text == "none") {
      if (listen_given_ && !listen_none_)
        fail(line_no, ws[0].col, "found 'none' after other listen lines, expected either "
                                 "'listen: none' or listeners");
      listen_none_ = true;
      listen_given_ = true;
      q.setup.listeners.clear();
      return;
    }
    if (listen_none_)
      fail(line_no, h.value_col, "found a listener after 'listen: none', expected no listeners");
    if (ws.size() != 2)
      fail(line_no, ws.size() > 2 ? ws[2].col : h.value_col + static_cast<int>(h.value.size()),
           "found " + std::to_string(ws.size()) + " value" + (ws.size() == 1 ? "" : "s") +
               ", expected 'listen: ADDR PORT' or 'listen: none'");
    if (!is_v4(ws[0].text) && !is_v6(ws[0].text))
      fail(line_no, ws[0].col, "found '" + ws[0].text +
                                   "', expected an IPv4 or IPv6 address literal (0.0.0.0, ::)");
    int port = header_int(ws[1], "a port", 0, 65535, line_no);
    if (!listen_given_) q.setup.listeners.clear();  // the first listen replaces the default
    listen_given_ = true;
    q.setup.listeners.push_back(Listener{ws[0].text, port});
  }

  void address(Quiz& q, const HeaderLine& h, const std::vector<Word>& ws, int line_no) {
    if (ws.size() != 1)
      fail(line_no, ws.empty() ? h.value_col : ws[1].col,
           "found " + std::to_string(ws.size()) + " values, expected 'address: ADDR/PREFIX'");
    const std::string& v = ws[0].text;
    const auto slash = v.find('/');
    const std::string addr = v.substr(0, slash);
    const bool v6 = is_v6(addr);
    if (!v6 && !is_v4(addr))
      fail(line_no, ws[0].col, "found '" + addr + "', expected an IPv4 or IPv6 address literal");
    const int max = v6 ? 128 : 32;
    int prefix = max;
    if (slash != std::string::npos)
      prefix = header_int(Word{v.substr(slash + 1), ws[0].col + static_cast<int>(slash) + 1},
                          "a prefix length", 0, max, line_no);
    q.setup.lo_addresses.push_back(addr + "/" + std::to_string(prefix));
  }

  void sysctl(Quiz& q, const HeaderLine& h, const std::vector<Word>& ws, int line_no) {
    if (ws.size() < 2)
      fail(line_no, h.value_col + static_cast<int>(h.value.size()),
           "found " + std::to_string(ws.size()) + " value" + (ws.size() == 1 ? "" : "s") +
               ", expected 'sysctl: net.KEY VALUE'");
    const std::string& key = ws[0].text;
    // Only net.*: those live in the quiz's own network namespace; anything else is global.
    bool ok = starts_with(key, "net.") && key.size() > 4 && key.back() != '.';
    for (std::size_t i = 0; ok && i < key.size(); ++i) {
      char c = key[i];
      bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      if (c == '.') ok = i > 0 && key[i - 1] != '.';
      else ok = word;
    }
    if (!ok)
      fail(line_no, ws[0].col, "found '" + key + "', expected a net.* sysctl key such as "
                               "net.ipv4.ip_autobind_reuse (only net.* keys are per namespace)");
    if (key == "net.ipv4.ip_local_port_range")
      fail(line_no, ws[0].col, "found net.ipv4.ip_local_port_range, expected 'port-range: LO HI' "
                               "for it");
    std::string value = h.value.substr(static_cast<std::size_t>(ws[1].col - h.value_col));
    q.setup.sysctls.emplace_back(key, std::string(trim(value)));
  }

  // -- examples --
  // Parses the example at line index i and its expected output; returns the next line index.
  std::size_t example(Quiz& q, std::size_t i) {
    std::string_view line = lines_[i];
    const int line_no = static_cast<int>(i) + 1;
    const std::size_t indent = indent_of(line);
    const std::size_t after = indent + 3;
    std::vector<std::string_view> want;
    std::size_t j = i + 1;
    for (; j < lines_.size(); ++j) {
      std::string_view l = lines_[j];
      if (is_blank(l) || is_example_line(l) || is_docstring_end(l)) break;
      // Strip the example's own indentation, as doctest does.
      std::size_t cut = std::min(indent, indent_of(l));
      want.push_back(l.substr(cut));
    }
    if (is_blank(line.substr(after))) {
      if (!want.empty())
        fail(line_no + 1, 1, "found expected output after a bare '>>>', expected a statement on "
                             "the '>>>' line");
      return j;
    }
    if (line[after] != ' ')
      fail(line_no, static_cast<int>(after) + 1,
           "found '" + std::string(1, line[after]) + "' right after '>>>', expected a space");
    std::size_t start = after;
    while (start < line.size() && (line[start] == ' ' || line[start] == '\t')) ++start;

    // Checked before the statement, whose parse error would hide the real cause.
    if (!want.empty() && (want[0] == "..." || starts_with(want[0], "... ")))
      fail(line_no + 1, static_cast<int>(indent) + 1,
           "found a '...' continuation line, expected the whole statement on its '>>>' line");

    Statement st;
    st.loc = Loc{line_no, static_cast<int>(start) + 1};
    st.text = std::string(trim(line.substr(start)));
    StatementParser(line, start, file_, line_no, sockets_, order_).parse(st);
    st.expect = expectation(want, static_cast<int>(i) + 2, indent);
    q.steps.push_back(std::move(st));
    return j;
  }

  Expect expectation(const std::vector<std::string_view>& want, int first_line, std::size_t indent) {
    Expect e;
    if (want.empty()) return e;
    const int col0 = static_cast<int>(indent) + 1;
    std::string_view first = want[0];
    if (starts_with(first, "Traceback (most recent call last):") ||
        starts_with(first, "Traceback (innermost last):"))
      return error_expectation(want, first_line, col0);
    if (exception_line(first))
      fail(first_line, col0, "found an exception line without a traceback header, expected "
                             "'Traceback (most recent call last):' before it");
    e.kind = Expect::Kind::Output;
    for (std::size_t k = 0; k < want.size(); ++k) {
      if (k) e.text += '\n';
      e.text += std::string(want[k]);
    }
    while (!e.text.empty() && (e.text.back() == ' ' || e.text.back() == '\t')) e.text.pop_back();
    return e;
  }

  // "OSError: [Errno 99] Cannot assign requested address" -> errno, or nullopt.
  static std::optional<int> exception_line(std::string_view l) {
    std::size_t p = 0;
    while (p < l.size() && (std::isalnum(static_cast<unsigned char>(l[p])) || l[p] == '_' ||
                            l[p] == '.'))
      ++p;
    std::string_view name = l.substr(0, p);
    if (name.size() < 5 || name.substr(name.size() - 5) != "Error") return std::nullopt;
    std::string_view rest = l.substr(p);
    if (!starts_with(rest, ": [Errno ")) return std::nullopt;
    rest.remove_prefix(9);
    int err = 0;
    auto [q, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), err);
    if (ec != std::errc() || q == rest.data() || *q != ']' || err <= 0 || err > 4095)
      return std::nullopt;
    return err;
  }

  Expect error_expectation(const std::vector<std::string_view>& want, int first_line, int col0) {
    Expect e;
    e.kind = Expect::Kind::Error;
    std::size_t k = 1;
    // The traceback body: indented frames or doctest's "..." ellipsis.
    while (k < want.size() && (is_blank(want[k].substr(0, 1)) || trim(want[k]) == "..."))
      ++k;
    if (k >= want.size())
      fail(first_line, col0, "found a traceback without an exception line, expected a line such "
                             "as 'OSError: [Errno 99] Cannot assign requested address'");
    auto err = exception_line(want[k]);
    if (!err)
      fail(first_line + static_cast<int>(k), col0,
           "found '" + std::string(trim(want[k])) +
               "', expected an exception line such as 'OSError: [Errno 99] Cannot assign "
               "requested address'");
    if (k + 1 < want.size())
      fail(first_line + static_cast<int>(k) + 1, col0,
           "found more output after the exception line, expected a blank line or the next '>>>'");
    e.err = *err;
    e.text = std::string(trim(want[k]));
    return e;
  }

  const std::string& file_;
  std::vector<std::string_view> lines_;
  std::map<std::string, int> first_seen_;
  bool listen_given_ = false;
  bool listen_none_ = false;
  std::map<std::string, Family> sockets_;
  std::vector<std::string> order_;
};

std::vector<std::string> quizzes_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().extension() == ".quiz")
      out.push_back(entry.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Quiz parse_quiz(std::string_view text, const std::string& file) {
  return FileParser(text, file).parse();
}

Quiz load_quiz(const std::string& path) {
  // A quiz is a page of text; the bound keeps a wrong path (a log, an image) from being
  // read whole before the first line is refused.
  constexpr std::size_t kMaxQuizBytes = 16u << 20;
  auto text = util::read_bounded(path, kMaxQuizBytes);
  if (!text) throw std::runtime_error(text.error().message);  // names the path and the size
  return parse_quiz(text.value(), path);
}

std::vector<std::string> resolve_quiz_paths(const std::vector<std::string>& names,
                                            const std::string& quiz_dir) {
  std::error_code ec;
  if (names.empty()) {
    if (!fs::is_directory(quiz_dir, ec))
      throw std::runtime_error("quiz directory " + quiz_dir + " does not exist");
    auto all = quizzes_in(quiz_dir);
    if (all.empty()) throw std::runtime_error("no *.quiz files in " + quiz_dir);
    return all;
  }
  std::vector<std::string> out;
  for (const auto& name : names) {
    if (fs::is_directory(name, ec)) {
      auto all = quizzes_in(name);
      if (all.empty()) throw std::runtime_error("no *.quiz files in " + name);
      out.insert(out.end(), all.begin(), all.end());
      continue;
    }
    if (fs::is_regular_file(name, ec)) {
      out.push_back(name);
      continue;
    }
    const fs::path by_name = fs::path(quiz_dir) / (name + ".quiz");
    if (fs::is_regular_file(by_name, ec)) {
      out.push_back(by_name.string());
      continue;
    }
    std::string known;
    if (fs::is_directory(quiz_dir, ec))
      for (const auto& p : quizzes_in(quiz_dir))
        known += (known.empty() ? "" : ", ") + fs::path(p).stem().string();
    throw std::runtime_error("no quiz '" + name + "': not a file, and no " + by_name.string() +
                             (known.empty() ? std::string() : " (known quizzes: " + known + ")"));
  }
  return out;
}

}  // namespace tristate::quiz
