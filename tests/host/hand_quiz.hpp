// Builds Quiz values in code, for runner tests that must not depend on the parser (and for
// scenarios no shipped quiz has: a step that blocks, a quiz that fails on purpose).
#pragma once

#include <sys/socket.h>

#include <string>
#include <vector>

#include "quiz/quiz.hpp"

namespace tristate::test {

using quiz::Arg;
using quiz::Call;
using quiz::Expect;
using quiz::Op;
using quiz::Statement;

inline Arg int_arg(long long v) {
  Arg a;
  a.kind = Arg::Kind::Int;
  a.i = v;
  a.spelled = std::to_string(v);
  return a;
}

inline Arg addr_arg(const std::string& host, long long port) {
  Arg a;
  a.kind = Arg::Kind::Tuple;
  Arg h;
  h.kind = Arg::Kind::Str;
  h.s = host;
  h.spelled = "'" + host + "'";
  a.items = {h, int_arg(port)};
  a.spelled = "(" + h.spelled + ", " + std::to_string(port) + ")";
  return a;
}

inline Call call(Op op, const std::string& sock, std::vector<Arg> args, std::string text) {
  Call c;
  c.op = op;
  c.sock = sock;
  c.args = std::move(args);
  c.text = std::move(text);
  return c;
}

inline Call socket_call(const std::string& s, int family = AF_INET) {
  return call(Op::Socket, s, {int_arg(family), int_arg(SOCK_STREAM)},
              s + " = socket(" + (family == AF_INET ? "AF_INET" : "AF_INET6") + ", SOCK_STREAM)");
}
inline Call bind_call(const std::string& s, const std::string& host, int port) {
  return call(Op::Bind, s, {addr_arg(host, port)},
              s + ".bind(('" + host + "', " + std::to_string(port) + "))");
}
inline Call connect_call(const std::string& s, const std::string& host, int port) {
  return call(Op::Connect, s, {addr_arg(host, port)},
              s + ".connect(('" + host + "', " + std::to_string(port) + "))");
}
inline Call listen_call(const std::string& s, int backlog) {
  return call(Op::Listen, s, {int_arg(backlog)}, s + ".listen(" + std::to_string(backlog) + ")");
}
inline Call setsockopt_call(const std::string& s, int level, int name, int value,
                            const std::string& spelled) {
  return call(Op::Setsockopt, s, {int_arg(level), int_arg(name), int_arg(value)},
              s + ".setsockopt(" + spelled + ")");
}
inline Call name_call(const std::string& s) { return call(Op::Getsockname, s, {}, s + ".getsockname()"); }
inline Call peer_call(const std::string& s) { return call(Op::Getpeername, s, {}, s + ".getpeername()"); }
inline Call close_call(const std::string& s) { return call(Op::Close, s, {}, s + ".close()"); }

inline Expect nothing() { return {}; }
inline Expect output(std::string text) { return {Expect::Kind::Output, std::move(text), 0}; }
inline Expect error(int err, std::string line) { return {Expect::Kind::Error, std::move(line), err}; }

// `sN = socket(...)` becomes an assignment to sN; every other call is a method of its `sock`.
inline Statement stmt(std::vector<Call> calls, Expect expect = {}) {
  Statement s;
  s.is_tuple = calls.size() > 1;
  for (std::size_t k = 0; k < calls.size(); ++k) s.text += (k ? ", " : "") + calls[k].text;
  for (auto& c : calls) {
    Arg v;
    v.kind = Arg::Kind::Call;
    v.i = static_cast<long long>(s.calls.size());
    v.spelled = c.text;
    if (c.op == Op::Socket && !c.sock.empty()) {
      s.kind = Statement::Kind::Assign;
      s.targets = {c.sock};
      c.sock.clear();
    } else if (c.op != Op::Socket) {
      Arg r;
      r.kind = Arg::Kind::Name;
      r.s = r.spelled = c.sock;
      c.receiver = r;
    }
    s.values.push_back(std::move(v));
    s.calls.push_back(std::move(c));
  }
  s.expect = std::move(expect);
  return s;
}

// The post's Quiz 1: two sockets bound to distinct IPs share port 60000.
inline quiz::Quiz post1() {
  quiz::Quiz q;
  q.name = "hand-post-1";
  q.title = "Quiz 1 (built in code)";
  q.steps = {
      stmt({socket_call("s1")}),
      stmt({bind_call("s1", "127.1.1.1", 0)}),
      stmt({connect_call("s1", "127.9.9.9", 1234)}),
      stmt({name_call("s1"), peer_call("s1")}, output("(('127.1.1.1', 60000), ('127.9.9.9', 1234))")),
      stmt({socket_call("s2")}),
      stmt({bind_call("s2", "127.2.2.2", 0)}),
      stmt({connect_call("s2", "127.9.9.9", 1234)}),
      stmt({name_call("s2"), peer_call("s2")}, output("(('127.2.2.2', 60000), ('127.9.9.9', 1234))")),
      stmt({close_call("s1")}),
      stmt({close_call("s2")}),
  };
  for (std::size_t k = 0; k < q.steps.size(); ++k) q.steps[k].loc.line = static_cast<int>(k) + 5;
  return q;
}

// The post's Quiz 3 as the post ran it: s2's connect() fails with EADDRNOTAVAIL because s1's
// bind() made the port's bucket a bind bucket.
inline quiz::Quiz post3() {
  quiz::Quiz q;
  q.name = "hand-post-3";
  q.title = "Quiz 3 (built in code)";
  q.steps = {
      stmt({socket_call("s1")}),
      stmt({bind_call("s1", "127.1.1.1", 0)}),
      stmt({connect_call("s1", "127.9.9.9", 1234)}),
      stmt({name_call("s1"), peer_call("s1")}, output("(('127.1.1.1', 60000), ('127.9.9.9', 1234))")),
      stmt({socket_call("s2")}),
      stmt({connect_call("s2", "127.9.9.9", 1234)},
           error(99, "OSError: [Errno 99] Cannot assign requested address")),
      stmt({name_call("s2"), peer_call("s2")},
           error(107, "OSError: [Errno 107] Transport endpoint is not connected")),
      stmt({close_call("s1")}),
      stmt({close_call("s2")}),
  };
  for (std::size_t k = 0; k < q.steps.size(); ++k) q.steps[k].loc.line = static_cast<int>(k) + 5;
  return q;
}

}  // namespace tristate::test
