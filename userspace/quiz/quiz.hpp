// The Quiz model: what a quiz file says, parsed, before anything runs.
// Data only; the parser (quiz_parser) builds it and the runner (quiz_runner) executes it.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "util/text.hpp"

namespace tristate::quiz {

struct Loc {
  int line = 0;    // 1-based
  int column = 0;  // 1-based
};

// A literal argument: an integer (a named constant such as SO_REUSEADDR is resolved to its
// number; `spelled` keeps the name for display), a string, or a tuple such as an address.
struct Arg {
  enum class Kind { Int, Str, Tuple };
  Kind kind = Kind::Int;
  long long i = 0;
  std::string s;
  std::vector<Arg> items;
  std::string spelled;  // source text of the argument
  Loc loc;
};

enum class Op { Socket, Setsockopt, Bind, Connect, Listen, Getsockname, Getpeername, Close };

// One call. `s1 = socket(AF_INET, SOCK_STREAM)` is {Op::Socket, sock "s1", args {family, type}}.
struct Call {
  Op op = Op::Socket;
  std::string sock;
  std::vector<Arg> args;
  std::string text;  // source text of this call
  Loc loc;
};

// What doctest would compare the statement's output against.
struct Expect {
  enum class Kind { Nothing, Output, Error };
  Kind kind = Kind::Nothing;
  std::string text;  // Output: expected repr; Error: the whole "OSError: [Errno 99] …" line
  int err = 0;       // Error: the errno to match
};

// A `>>>` statement: one call, or a tuple of calls (`s.getsockname(), s.getpeername()`).
struct Statement {
  std::string text;
  Loc loc;
  std::vector<Call> calls;
  bool is_tuple = false;
  Expect expect;
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
