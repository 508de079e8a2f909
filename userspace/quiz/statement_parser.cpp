// The statement grammar: imports, assignments (with tuple unpacking), and expressions built
// from literals, names, calls, subscripts and integer operators, as Python reads them.
// Literal arguments are checked here (file:line:column); what depends on a name is left to
// the runner, which fails as Python would at run time.
#include "quiz/statement_parser.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <limits>

#include "quiz/call_checks.hpp"
#include "quiz/quiz_constants.hpp"
#include "quiz/quiz_lexer.hpp"

namespace tristate::quiz {

void NameTable::bind(const std::string& name, Type type) {
  if (!types.count(name)) order.push_back(name);
  types[name] = type;
}

namespace {


using Type = NameTable::Type;


struct Method {
  std::string_view name;
  Op op;
};
constexpr Method kMethods[] = {
    {"setsockopt", Op::Setsockopt},   {"getsockopt", Op::Getsockopt},
    {"bind", Op::Bind},               {"connect", Op::Connect},
    {"connect_ex", Op::ConnectEx},    {"listen", Op::Listen},
    {"accept", Op::Accept},           {"getsockname", Op::Getsockname},
    {"getpeername", Op::Getpeername}, {"shutdown", Op::Shutdown},
    {"setblocking", Op::Setblocking}, {"close", Op::Close}};
constexpr std::string_view kMethodList =
    "setsockopt, getsockopt, bind, connect, connect_ex, listen, accept, getsockname, "
    "getpeername, shutdown, setblocking, close";
constexpr std::string_view kFunctionList = "socket, pack, disconnect";

// Statements Python has and the language does not: named in the error, never guessed at.
bool is_python_keyword(std::string_view w) {
  for (std::string_view k : {"def", "class", "for", "while", "if", "elif", "else", "with", "try",
                             "except", "finally", "lambda", "return", "del", "assert", "raise",
                             "global", "nonlocal", "pass", "break", "continue", "yield",
                             "async", "await"})
    if (w == k) return true;
  return false;
}

std::optional<Op> function_op(std::string_view name) {
  if (name == "socket") return Op::Socket;
  if (name == "pack") return Op::Pack;
  if (name == "disconnect") return Op::Disconnect;
  return std::nullopt;
}


class StatementParser {
 public:
  StatementParser(std::string_view line, std::size_t start, const std::string& file, int line_no,
                  NameTable& names)
      : line_(line), file_(file), line_no_(line_no), names_(names) {
    toks_ = lex_statement(line, start, file, line_no);
  }

  void parse(Statement& st) {
    st_ = &st;
    const Token& first = peek();
    if (first.kind == Token::Kind::Name && (first.text == "from" || first.text == "import"))
      return import(st);
    if (first.kind == Token::Kind::End)
      fail(first, "found end of line, expected a statement");
    if (first.kind == Token::Kind::Name && is_python_keyword(first.text))
      fail(first, "found the Python keyword '" + first.text + "', expected a statement the "
                  "language has: NAME = value, a, b = value, an expression or call, an import "
                  "(see docs/quiz-format.md)");
    if (has_top_level_assign()) return assignment(st);
    st.kind = Statement::Kind::Expr;
    st.is_tuple = expression_list(st.values);
    expect_end("after the expression (separate several values with ',')");
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
  bool at_punct(std::string_view p, std::size_t ahead = 0) const {
    return peek(ahead).kind == Token::Kind::Punct && peek(ahead).text == p;
  }
  bool at_name(std::string_view n) const {
    return peek().kind == Token::Kind::Name && peek().text == n;
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
  // `from socket import *`, `from socket import AF_INET, socket`, `from struct import pack`,
  // `import struct`: what they import is already known, so nothing runs. `import socket` is
  // refused: in Python it rebinds `socket` to the module, and `socket(...)` then fails.
  void import(Statement& st) {
    st.kind = Statement::Kind::Import;
    const bool from = next().text == "from";
    const Token& module = peek();
    if (module.kind != Token::Kind::Name || (module.text != "socket" && module.text != "struct"))
      fail(module, "found " + describe(module) + ", expected the module socket or struct (the "
                   "only modules quizzes use)");
    next();
    if (!from && module.text == "socket")
      fail(module, "found 'import socket', expected 'from socket import *' (quizzes use "
                   "socket's names unqualified, and after 'import socket' socket(...) is the "
                   "module, not the class)");
    if (!from) {
      expect_end("after 'import struct'");
      return names_.bind("struct", Type::Value);  // struct.pack(...) from here on
    }
    if (!at_name("import")) fail(peek(), "found " + describe(peek()) + ", expected 'import'");
    next();
    if (at_punct("*")) {
      next();
      return expect_end("after 'import *'");
    }
    while (true) {
      const Token& n = peek();
      if (n.kind != Token::Kind::Name) fail(n, "found " + describe(n) + ", expected a name to import");
      const bool known = module.text == "struct" ? n.text == "pack"
                                                 : (n.text == "socket" || find_constant(n.text));
      if (!known)
        fail(n, "found '" + n.text + "', expected a name the language knows from " + module.text +
                    (module.text == "struct" ? " (pack)" : " (socket or a constant such as AF_INET)"));
      next();
      if (!at_punct(",")) break;
      next();
    }
    expect_end("after the imported names");
  }

  bool has_top_level_assign() const {
    int depth = 0;
    for (const auto& t : toks_) {
      if (t.kind != Token::Kind::Punct) continue;
      if (t.text == "(" || t.text == "[") ++depth;
      if (t.text == ")" || t.text == "]") --depth;
      if (t.text == "=" && depth == 0) return true;
    }
    return false;
  }

  // `NAME = value`, `a, b = value`, `a, = value`.
  void assignment(Statement& st) {
    st.kind = Statement::Kind::Assign;
    while (true) {
      const Token& t = peek();
      if (t.kind != Token::Kind::Name)
        fail(t, "found " + describe(t) + ", expected a name to assign to (NAME = ... or "
                "a, b = ...)");
      if (function_op(t.text) || find_constant(t.text) || t.text == "None")
        fail(t, "found '" + t.text + "' as a name to assign to, expected a new name such as s1");
      next();
      st.targets.push_back(t.text);
      if (at_punct("=")) break;
      if (!at_punct(","))
        fail(peek(), "found " + describe(peek()) + " after '" + t.text +
                         "', expected '=' or ',' and another name");
      next();
      st.unpack = true;
      if (at_punct("=")) break;  // `a, = value`
    }
    next();  // '='
    for (std::size_t k = pos_; k < toks_.size(); ++k)
      if (toks_[k].kind == Token::Kind::Punct && toks_[k].text == "=")
        fail(toks_[k], "found a second '=', expected one value (chained assignments are not "
                       "supported)");
    if (peek().kind == Token::Kind::End) fail(peek(), "found end of line, expected a value after '='");
    st.is_tuple = expression_list(st.values);
    expect_end("after the value (chained assignments are not supported)");
    const std::vector<Type> types = target_types(st);
    for (std::size_t k = 0; k < st.targets.size(); ++k) names_.bind(st.targets[k], types[k]);
  }

  // What each target will hold, as far as the parser can tell.
  std::vector<Type> target_types(const Statement& st) const {
    std::vector<Type> out(st.targets.size(), Type::Unknown);
    if (st.values.size() != 1 || st.is_tuple) {
      if (!st.unpack) out[0] = Type::Value;
      for (std::size_t k = 0; st.unpack && k < out.size() && k < st.values.size(); ++k)
        out[k] = static_type(st.values[k]);
      return out;
    }
    const Arg& v = st.values[0];
    if (!st.unpack) {
      out[0] = static_type(v);
    } else if (v.kind == Arg::Kind::Call && st.calls[v.i].op == Op::Accept &&
               out.size() == 2) {
      out[0] = receiver_type(st.calls[v.i]);
      out[1] = Type::Value;
    } else if (v.kind != Arg::Kind::Call) {
      std::fill(out.begin(), out.end(), Type::Value);
    }
    return out;
  }

  Type static_type(const Arg& v) const {
    if (v.kind == Arg::Kind::Name) {
      auto it = names_.types.find(v.s);
      return it == names_.types.end() ? Type::Unknown : it->second;
    }
    if (v.kind != Arg::Kind::Call) return v.kind == Arg::Kind::Subscript ? Type::Unknown : Type::Value;
    const Call& c = st_->calls[v.i];
    if (c.op == Op::Socket) {
      if (c.args.empty() || c.args[0].kind != Arg::Kind::Int) return Type::Unknown;
      return c.args[0].i == 10 ? Type::SocketV6 : Type::SocketV4;
    }
    return c.op == Op::Accept ? Type::Unknown : Type::Value;
  }

  Type receiver_type(const Call& c) const {
    return c.receiver ? static_type(*c.receiver) : Type::Unknown;
  }

  // expr (',' expr)* [',']; returns whether the values form a tuple.
  bool expression_list(std::vector<Arg>& out) {
    out.push_back(expr());
    bool tuple = false;
    while (at_punct(",")) {
      tuple = true;
      next();
      if (peek().kind == Token::Kind::End || at_punct("=")) break;  // trailing comma: a 1-tuple
      out.push_back(expr());
    }
    return tuple;
  }

  // -- expressions --
  // Python precedence: | below ^ below & below << >> below + - below unary below postfix.
  Arg expr() { return binary(0); }

  Arg binary(int level) {
    static constexpr std::string_view kOps[][2] = {{"|", ""}, {"^", ""}, {"&", ""},
                                                   {"<<", ">>"}, {"+", "-"}};
    if (level == 5) return unary();
    Arg lhs = binary(level + 1);
    // A folded literal's text is taken once, at the end of its chain: taking it per operator
    // made `'a' + 'b' + …` quadratic (200k operands: 16 s).
    bool stale = false;
    int operators = 0;
    while (peek().kind == Token::Kind::Punct &&
           (peek().text == kOps[level][0] || peek().text == kOps[level][1])) {
      const int lhs_end = last_end_;
      const Token op = next();
      // Each BinOp nests the chain before it one level deeper, and the runner evaluates it
      // recursively: `x + 1 + 1 + …` is bounded as parentheses are (CPython refuses such
      // chains too, with RecursionError).
      if (++operators > kMaxChain)
        fail(op, "found more than " + std::to_string(kMaxChain) + " '" + std::string(op.text) +
                     "' operators in one expression, expected a simpler one");
      Arg rhs = binary(level + 1);
      if (stale && !folds(lhs, op, rhs)) {
        lhs.spelled = source(lhs.loc.column, lhs_end);
        stale = false;
      }
      stale = folds(lhs, op, rhs);
      lhs = combine(std::move(lhs), op, std::move(rhs));
    }
    if (stale) lhs.spelled = source(lhs.loc.column, last_end_);
    return lhs;
  }

  // Whether combine() folds the two operands into one literal (two Ints, or + of two Strs or
  // two Tuples) instead of making a BinOp.
  static bool folds(const Arg& a, const Token& op, const Arg& b) {
    if (a.kind == Arg::Kind::Int && b.kind == Arg::Kind::Int) return true;
    return op.text == "+" && a.kind == b.kind && (a.kind == Arg::Kind::Str || a.kind == Arg::Kind::Tuple);
  }

  // Two literals fold into one Int (so `60001 << 16 | 60000` is checked like a number); an
  // operand that is a name or a call makes a BinOp the runner evaluates. A fold leaves
  // `spelled` to binary(), which knows where the chain ends.
  Arg combine(Arg a, const Token& op, Arg b) {
    const bool plus = op.text == "+";  // also joins strings and tuples, as in Python
    for (const Arg* x : {&a, &b})
      if (!plus && (x->kind == Arg::Kind::Str || x->kind == Arg::Kind::Tuple))
        fail(x->loc.column, "found " + kind_word(*x) + ", expected an integer operand of '" +
                                op.text + "'");
    Arg out;
    out.loc = a.loc;
    if (plus && a.kind == b.kind && (a.kind == Arg::Kind::Str || a.kind == Arg::Kind::Tuple)) {
      out = std::move(a);
      out.s += b.s;
      for (auto& item : b.items) out.items.push_back(std::move(item));
      return out;
    }
    if (a.kind != Arg::Kind::Int || b.kind != Arg::Kind::Int) {
      out.kind = Arg::Kind::BinOp;
      out.s = op.text;
      out.spelled = source(a.loc.column, last_end_);
      // not `items = {a, b}`: an initializer list copies, and each operator copied the whole
      // chain before it (2,000 operators: 0.5 s; 20,000: minutes)
      out.items.reserve(2);
      out.items.push_back(std::move(a));
      out.items.push_back(std::move(b));
      return out;
    }
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
    out.kind = Arg::Kind::Int;
    out.i = static_cast<long long>(r);
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
  static constexpr int kMaxChain = 1000;  // operators of one precedence level in a row

  Arg unary() {
    if (!(at_punct("-") || at_punct("+") || at_punct("~"))) return postfix();
    Depth guard(*this);
    const Token op = next();
    Arg v = unary();
    if (v.kind == Arg::Kind::Str || v.kind == Arg::Kind::Tuple)
      fail(v.loc.column, "found " + kind_word(v) + ", expected an integer after '" + op.text + "'");
    if (v.kind != Arg::Kind::Int) {
      Arg u;
      u.kind = Arg::Kind::Unary;
      u.s = op.text;
      u.loc = loc(op);
      u.spelled = source(op.column, last_end_);
      u.items = {std::move(v)};
      return u;
    }
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

  // primary ( '[' expr ']' | '.' method '(' args ')' )*
  Arg postfix() {
    Arg a = primary();
    int links = 0;
    while (at_punct("[") || at_punct(".")) {
      if (++links > kMaxDepth)
        fail(peek(), "found more than " + std::to_string(kMaxDepth) +
                         " subscripts or calls in a row, expected a simpler expression");
      a = at_punct("[") ? subscript(std::move(a)) : method_call(std::move(a));
    }
    return a;
  }

  Arg subscript(Arg object) {
    Depth guard(*this);
    const Token open = next();  // '['
    if (at_punct("]")) fail(peek(), "found ']', expected an index such as [0] or [-1]");
    Arg index = expr();
    if (index.kind == Arg::Kind::Str || index.kind == Arg::Kind::Tuple)
      fail(index.loc.column, "found " + kind_word(index) + ", expected an integer index");
    if (!at_punct("]"))
      fail(peek(), "found " + describe(peek()) + ", expected ']' to close '[' at column " +
                       std::to_string(open.column) + " (slices are not supported)");
    next();
    Arg s;
    s.kind = Arg::Kind::Subscript;
    s.loc = object.loc;
    s.spelled = source(object.loc.column, last_end_);
    s.items = {std::move(object), std::move(index)};
    return s;
  }

  Arg method_call(Arg receiver) {
    next();  // '.'
    const Token method = peek();
    if (method.kind != Token::Kind::Name)
      fail(method, "found " + describe(method) + " after '.', expected a method name");
    next();
    const auto m = std::find_if(std::begin(kMethods), std::end(kMethods),
                                [&](const Method& k) { return k.name == method.text; });
    if (m == std::end(kMethods))
      fail(method, "found unknown method '" + method.text + "', expected one of " +
                       std::string(kMethodList));
    if (receiver.kind == Arg::Kind::Str || receiver.kind == Arg::Kind::Int ||
        receiver.kind == Arg::Kind::Tuple)
      fail(receiver.loc.column, "found " + kind_word(receiver) + " before '." + method.text +
                                    "', expected a socket");
    Call c;
    c.op = m->op;
    if (receiver.kind == Arg::Kind::Name) c.sock = receiver.s;
    c.loc = receiver.loc;
    const Type type = static_type(receiver);
    c.receiver = std::move(receiver);
    c.args = arguments(method.text);
    c.text = source(c.loc.column, last_end_);
    check_method_args(c, method.text, type, file_, line_no_, last_end_);
    return call_arg(std::move(c));
  }

  // Appends the call (after the calls its arguments made) and returns the value node.
  Arg call_arg(Call c) {
    Arg a;
    a.kind = Arg::Kind::Call;
    a.loc = c.loc;
    a.spelled = c.text;
    a.i = static_cast<long long>(st_->calls.size());
    st_->calls.push_back(std::move(c));
    return a;
  }

  Arg function_call(const Token& name, Op op) {
    Call c;
    c.op = op;
    c.loc = loc(name);
    c.args = arguments(name.text);
    c.text = source(name.column, last_end_);
    check_function_args(c, file_, line_no_, last_end_);
    return call_arg(std::move(c));
  }

  Arg name_value(const Token& t) {
    // `struct.pack(...)` after `import struct`.
    if (t.text == "struct" && names_.types.count("struct") && at_punct(".") &&
        peek(1).kind == Token::Kind::Name) {
      if (peek(1).text != "pack" || !at_punct("(", 2))
        fail(peek(1), "found struct." + peek(1).text + ", expected struct.pack(...)");
      next();
      const Token fn = next();
      Arg a = function_call(fn, Op::Pack);
      st_->calls[a.i].loc = loc(t);
      st_->calls[a.i].text = a.spelled = source(t.column, last_end_);
      a.loc = loc(t);
      return a;
    }
    if (auto op = function_op(t.text)) {
      if (!at_punct("("))
        fail(peek(), "found " + describe(peek()) + " after '" + t.text + "', expected '(' (" +
                         t.text + " is a function)");
      return function_call(t, *op);
    }
    Arg a;
    a.loc = loc(t);
    a.spelled = t.text;
    if (auto c = find_constant(t.text)) {
      a.kind = Arg::Kind::Int;
      a.i = c->value;
      return a;
    }
    if (at_punct("("))
      fail(t, "found unknown function '" + t.text + "', expected one of " +
                  std::string(kFunctionList) + " or a method call such as s1.bind(...)");
    if (!names_.types.count(t.text) && t.text != "_" && t.text != "None")
      fail(t, undefined_message(t.text));
    a.kind = Arg::Kind::Name;
    a.s = t.text;
    return a;
  }

  std::string undefined_message(const std::string& name) const {
    std::string msg = "found '" + name + "', which is not defined; ";
    std::vector<std::string> shown;
    for (const auto& n : names_.order)
      if (n != "ln") shown.push_back(n);
    if (shown.empty()) {
      msg += "no names are defined yet (expected sN = socket(...) first)";
    } else {
      msg += "names defined so far: ";
      for (std::size_t i = 0; i < shown.size(); ++i) msg += (i ? ", " : "") + shown[i];
    }
    return msg + "; constants as from socket import *, e.g. AF_INET, SO_REUSEADDR";
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
      case Token::Kind::Name:
        next();
        return name_value(t);
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
      Arg inner = std::move(a.items.front());
      inner.loc = a.loc;
      inner.spelled = source(open.column, last_end_);
      return inner;
    }
    a.spelled = source(open.column, last_end_);
    return a;
  }

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

  std::string_view line_;
  const std::string& file_;
  int line_no_;
  NameTable& names_;
  Statement* st_ = nullptr;
  std::vector<Token> toks_;
  std::size_t pos_ = 0;
  int last_end_ = 0;
  int depth_ = 0;
};

}  // namespace

void parse_statement(std::string_view line, std::size_t start, const std::string& file,
                     int line_no, NameTable& names, Statement& st) {
  StatementParser(line, start, file, line_no, names).parse(st);
}

}  // namespace tristate::quiz
