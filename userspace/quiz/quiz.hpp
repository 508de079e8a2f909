// The Quiz model: what a quiz file says, parsed, before anything runs.
// Data only; the parser (quiz_parser) builds it and the runner (quiz_runner) executes it.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/text.hpp"

namespace tristate::quiz {

struct Loc {
  int line = 0;    // 1-based
  int column = 0;  // 1-based
};

// An expression. Literals are folded while parsing (a named constant such as SO_REUSEADDR
// becomes its number, `60001 << 16 | 60000` one Int; `spelled` keeps the source); what
// depends on a name or a call is evaluated by the runner, as Python evaluates it:
// - Int, Str, Tuple (`items`): values;
// - Name (`s` holds it): a name bound by an earlier statement, or `ln`, `_`, `None`;
// - Call (`i` indexes Statement::calls): the value the call returns;
// - Subscript: items {object, index};
// - BinOp (`s` the operator | ^ & << >> + -): items {lhs, rhs}; Unary (`s` - + ~): items {x}.
struct Arg {
  enum class Kind { Int, Str, Tuple, Name, Call, Subscript, BinOp, Unary };
  Kind kind = Kind::Int;
  long long i = 0;
  std::string s;
  std::vector<Arg> items;
  std::string spelled;  // source text of the expression
  Loc loc;

  bool is_literal() const { return kind == Kind::Int || kind == Kind::Str || kind == Kind::Tuple; }
};

enum class Op {
  Socket, Setsockopt, Bind, Connect, Listen, Getsockname, Getpeername, Close,
  Accept, Shutdown, Getsockopt, Setblocking, ConnectEx,  // socket methods
  Pack, Disconnect                                        // functions: pack(FMT, ...), disconnect(s)
};

// One call. `socket(AF_INET, SOCK_STREAM)` is {Op::Socket, no receiver, args {family, type}};
// `s1.bind(a)` is {Op::Bind, receiver Name s1, sock "s1", args {a}}.
struct Call {
  Op op = Op::Socket;
  std::optional<Arg> receiver;  // methods only: what the method is called on
  std::string sock;             // the receiver's name when it is a plain name
  std::vector<Arg> args;
  std::string text;  // source text of this call
  Loc loc;
};

// What doctest would compare the statement's output against.
struct Expect {
  enum class Kind { Nothing, Output, Error };
  Kind kind = Kind::Nothing;
  std::string text;  // Output: expected repr; Error: the exception line ("OSError: [Errno 99] …",
                     // "ValueError: too many values to unpack (expected 2)")
  int err = 0;       // Error: the errno to match; 0 = match the exception line itself
};

// `>>> # state s1: -1/-1 bhash2 0/0`: the bhash bucket of the port socket s1 is bound to
// should have fastreuse/fastreuseport -1/-1 (and its bhash2 bucket 0/0) after the preceding
// statement. A comment to Python's doctest; parsed here, checked by the bucket snapshots.
struct StateAssert {
  std::string sock;
  int fastreuse = 0;
  int fastreuseport = 0;
  std::optional<std::pair<int, int>> bhash2;
  Loc loc;
  std::string text;  // "state s1: -1/-1 bhash2 0/0"
};

// A `>>>` statement.
// - Expr: `values` evaluated and printed as doctest does (several values are a tuple:
//   `s.getsockname(), s.getpeername()`; a trailing comma makes a 1-tuple);
// - Assign: `targets = values`; with `unpack`, the value is unpacked into the targets
//   (`a, _ = ln.accept()`); `_` is an ordinary name;
// - Import: `from socket import *`, `from struct import pack`: nothing to run.
struct Statement {
  enum class Kind { Expr, Assign, Import };
  Kind kind = Kind::Expr;
  std::string text;
  Loc loc;
  std::vector<std::string> targets;
  bool unpack = false;
  std::vector<Arg> values;
  bool is_tuple = false;
  std::vector<Call> calls;  // every call, in the order Python makes them (inner calls first)
  Expect expect;
  std::vector<StateAssert> state_asserts;  // comment lines after this statement
};

struct Listener {
  std::string addr = "0.0.0.0";  // IPv6 literal allowed ("::")
  int port = 1234;
};

struct Setup {
  int port_lo = 60000;
  int port_hi = 60000;
  std::vector<Listener> listeners{Listener{}};
  std::vector<std::string> lo_addresses;  // extra addresses on lo, "fd00::2/128", "127.5.5.5/8"
  // Extra per-namespace sysctls (net.* only: they are set inside the quiz's own netns).
  std::vector<std::pair<std::string, std::string>> sysctls;
};

struct Quiz {
  std::string name;    // file stem
  std::string file;    // path as given
  std::string title;
  std::string source;  // post | cloudflare | tristate | free text / URL
  std::string lesson;  // one line
  Setup setup;
  std::vector<Statement> steps;
};

// file:line:column: message — what was found and what was expected.
class ParseError : public std::runtime_error {
 public:
  ParseError(std::string file, Loc loc, const std::string& message)
      : std::runtime_error(file + ":" + std::to_string(loc.line) + ":" +
                           std::to_string(loc.column) + ": " + util::shorten_quoted(message)),
        file_(std::move(file)), loc_(loc) {}
  const std::string& file() const { return file_; }
  Loc loc() const { return loc_; }

 private:
  std::string file_;
  Loc loc_;
};

}  // namespace tristate::quiz
