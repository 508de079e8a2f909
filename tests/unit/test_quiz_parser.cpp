// The quiz parser: every shipped quiz parses, each statement form and header key lands in the
// model, and each class of bad input fails at the exact file:line:column.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "quiz/quiz_parser.hpp"

namespace tq = tristate::quiz;
namespace fs = std::filesystem;

namespace {

const std::string kQuizDir = std::string(TRISTATE_SOURCE_DIR) + "/quizzes";

tq::Quiz parse(const std::string& text) { return tq::parse_quiz(text, "t.quiz"); }

// One statement in an otherwise empty quiz.
tq::Statement one(const std::string& stmt, const std::string& prelude =
                                               ">>> s1 = socket(AF_INET, SOCK_STREAM)\n") {
  tq::Quiz q = parse(prelude + ">>> " + stmt + "\n");
  return q.steps.back();
}

struct Failure {
  int line = -1;
  int column = -1;
  std::string what;
};

Failure fail_of(const std::string& text) {
  try {
    parse(text);
  } catch (const tq::ParseError& e) {
    EXPECT_EQ(e.file(), "t.quiz");
    return {e.loc().line, e.loc().column, e.what()};
  }
  ADD_FAILURE() << "parsed without error:\n" << text;
  return {};
}

#define EXPECT_FAILS_AT(text, line_, col_, fragment)                                \
  do {                                                                              \
    Failure f_ = fail_of(text);                                                     \
    EXPECT_EQ(f_.line, line_) << f_.what;                                           \
    EXPECT_EQ(f_.column, col_) << f_.what;                                          \
    EXPECT_NE(f_.what.find(fragment), std::string::npos) << f_.what;                \
    EXPECT_EQ(f_.what.rfind("t.quiz:" + std::to_string(line_) + ":" +               \
                                std::to_string(col_) + ": ", 0), 0u) << f_.what;    \
  } while (0)

const std::string kS1 = ">>> s1 = socket(AF_INET, SOCK_STREAM)\n";

}  // namespace

// ---- shipped quizzes ----

TEST(QuizParser, EveryShippedQuizParses) {
  auto paths = tq::resolve_quiz_paths({}, kQuizDir);
  ASSERT_GE(paths.size(), 21u);
  for (const auto& p : paths) {
    SCOPED_TRACE(p);
    tq::Quiz q = tq::load_quiz(p);
    EXPECT_EQ(q.name, fs::path(p).stem().string());
    EXPECT_FALSE(q.title.empty());
    EXPECT_FALSE(q.source.empty());
    EXPECT_FALSE(q.lesson.empty());
    EXPECT_GE(q.steps.size(), 3u);
  }
}

TEST(QuizParser, Post3ExpectsThePostsFailures) {
  tq::Quiz q = tq::load_quiz(kQuizDir + "/post-3.quiz");
  EXPECT_EQ(q.name, "post-3");
  ASSERT_EQ(q.steps.size(), 9u);
  const auto& connect = q.steps[5];
  EXPECT_EQ(connect.text, "s2.connect(('127.9.9.9', 1234))");
  EXPECT_EQ(connect.expect.kind, tq::Expect::Kind::Error);
  EXPECT_EQ(connect.expect.err, 99);
  EXPECT_EQ(connect.expect.text, "OSError: [Errno 99] Cannot assign requested address");
  EXPECT_EQ(q.steps[6].expect.err, 107);
  EXPECT_TRUE(q.steps[6].is_tuple);
  EXPECT_EQ(q.steps[3].expect.kind, tq::Expect::Kind::Output);
  EXPECT_EQ(q.steps[3].expect.text, "(('127.1.1.1', 60000), ('127.9.9.9', 1234))");
  EXPECT_EQ(q.setup.port_lo, 60000);
  EXPECT_EQ(q.setup.port_hi, 60000);
  ASSERT_EQ(q.setup.listeners.size(), 1u);
  EXPECT_EQ(q.setup.listeners[0].addr, "0.0.0.0");
  EXPECT_EQ(q.setup.listeners[0].port, 1234);
}

TEST(QuizParser, Post6ExpectsBindThenConnectFailures) {
  tq::Quiz q = tq::load_quiz(kQuizDir + "/post-6.quiz");
  ASSERT_EQ(q.steps.size(), 8u);
  EXPECT_EQ(q.steps[5].calls[0].op, tq::Op::Bind);
  EXPECT_EQ(q.steps[5].expect.err, 98);
  EXPECT_EQ(q.steps[6].calls[0].op, tq::Op::Connect);
  EXPECT_EQ(q.steps[6].expect.err, 99);
  EXPECT_EQ(q.steps[7].expect.err, 107);
}

TEST(QuizParser, ResolvesNamesFilesAndReportsUnknown) {
  auto by_name = tq::resolve_quiz_paths({"post-1"}, kQuizDir);
  ASSERT_EQ(by_name.size(), 1u);
  EXPECT_EQ(fs::path(by_name[0]).filename(), "post-1.quiz");
  auto by_path = tq::resolve_quiz_paths({kQuizDir + "/post-2.quiz"}, "/nonexistent");
  EXPECT_EQ(by_path[0], kQuizDir + "/post-2.quiz");
  try {
    tq::resolve_quiz_paths({"no-such-quiz"}, kQuizDir);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-quiz"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("post-1"), std::string::npos);  // lists known ones
  }
  EXPECT_THROW(tq::load_quiz("/nonexistent/x.quiz"), std::runtime_error);
}

TEST(QuizParser, WholeCloudflareStylePythonFileParses) {
  const std::string py =
      "#!/usr/bin/env -S unshare --user --map-root-user --net -- strace -e %net -- python\n"
      "\n"
      "\"\"\"\n"
      "Quiz #8\n"
      "-------\n"
      "\n"
      ">>> s1 = socket(AF_INET, SOCK_STREAM)\n"
      ">>> s1.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)\n"
      ">>> s1.bind(('127.0.0.1', 60_000))\n"
      ">>> s2 = socket(AF_INET, SOCK_STREAM)\n"
      ">>> s2.connect(('127.8.8.8', 1234))\n"
      "Traceback (most recent call last):\n"
      "  ...\n"
      "OSError: [Errno 99] Cannot assign requested address\n"
      ">>>\n"
      "\n"
      "Outcome: FAILURE. Local (IP, port) can't be shared.\n"
      "\n"
      ">>> s1.close() # a comment\n"
      ">>> s2.close()\n"
      "\"\"\"\n"
      "\n"
      "from quiz_common import run_doctest\n"
      "from socket import *\n"
      "# HACK: not a header\n";
  tq::Quiz q = tq::parse_quiz(py, "/x/quiz_8.py");
  EXPECT_EQ(q.name, "quiz_8");
  ASSERT_EQ(q.steps.size(), 7u);
  EXPECT_EQ(q.steps[4].expect.err, 99);
  EXPECT_EQ(q.steps[5].calls[0].text, "s1.close()");
  EXPECT_EQ(q.steps[6].expect.kind, tq::Expect::Kind::Nothing);  // """ ended the block
  EXPECT_EQ(q.steps[4].loc.line, 11);
  EXPECT_EQ(q.steps[4].loc.column, 5);
}

// ---- statements ----

TEST(QuizParser, SocketStatement) {
  auto st = one("s2 = socket(AF_INET6, SOCK_STREAM)");
  ASSERT_EQ(st.calls.size(), 1u);
  const auto& c = st.calls[0];
  EXPECT_EQ(c.op, tq::Op::Socket);
  EXPECT_EQ(st.kind, tq::Statement::Kind::Assign);
  EXPECT_EQ(st.targets, std::vector<std::string>{"s2"});
  EXPECT_FALSE(c.receiver.has_value());
  ASSERT_EQ(c.args.size(), 2u);
  EXPECT_EQ(c.args[0].i, 10);
  EXPECT_EQ(c.args[0].spelled, "AF_INET6");
  EXPECT_EQ(c.args[1].i, 1);
  EXPECT_EQ(c.text, "socket(AF_INET6, SOCK_STREAM)");  // the call; the step keeps the statement
  EXPECT_FALSE(st.is_tuple);
  EXPECT_EQ(st.loc.line, 2);
  EXPECT_EQ(st.loc.column, 5);
}

TEST(QuizParser, SetsockoptResolvesNamesAndKeepsSpelling) {
  auto st = one("s1.setsockopt(SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)");
  const auto& c = st.calls[0];
  EXPECT_EQ(c.op, tq::Op::Setsockopt);
  ASSERT_EQ(c.args.size(), 3u);
  EXPECT_EQ(c.args[0].i, 0);
  EXPECT_EQ(c.args[0].spelled, "SOL_IP");
  EXPECT_EQ(c.args[1].i, 24);
  EXPECT_EQ(c.args[1].spelled, "IP_BIND_ADDRESS_NO_PORT");
  EXPECT_EQ(c.args[2].i, 1);

  EXPECT_EQ(one("s1.setsockopt(SOL_SOCKET, SO_REUSEADDR, True)").calls[0].args[1].i, 2);
  EXPECT_EQ(one("s1.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1)").calls[0].args[1].i, 15);
  EXPECT_EQ(one("s1.setsockopt(IPPROTO_IP, IP_LOCAL_PORT_RANGE, 0)").calls[0].args[1].i, 51);
  auto v6 = one("s6.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 1)",
                ">>> s6 = socket(AF_INET6, SOCK_STREAM)\n");
  EXPECT_EQ(v6.calls[0].args[0].i, 41);
  EXPECT_EQ(v6.calls[0].args[1].i, 26);
  // Integers pass through unchecked, as Python passes them to the kernel.
  auto raw = one("s1.setsockopt(1, 2, 1)");
  EXPECT_EQ(raw.calls[0].args[1].i, 2);
}

TEST(QuizParser, PortRangeExpressions) {
  auto a = one("s1.setsockopt(SOL_IP, IP_LOCAL_PORT_RANGE, 60001 << 16 | 60000)");
  EXPECT_EQ(a.calls[0].args[2].i, (60001LL << 16) | 60000);
  EXPECT_EQ(a.calls[0].args[2].spelled, "60001 << 16 | 60000");
  auto b = one("s1.setsockopt(SOL_IP, IP_LOCAL_PORT_RANGE, (60_001 << 16) | 0xEA60)");
  EXPECT_EQ(b.calls[0].args[2].i, (60001LL << 16) | 60000);
  EXPECT_EQ(b.calls[0].args[2].spelled, "(60_001 << 16) | 0xEA60");
}

TEST(QuizParser, BindConnectListenAndNoArgCalls) {
  auto b = one("s1.bind(('127.0.0.1', 60_000))");
  const auto& addr = b.calls[0].args.at(0);
  EXPECT_EQ(addr.kind, tq::Arg::Kind::Tuple);
  ASSERT_EQ(addr.items.size(), 2u);
  EXPECT_EQ(addr.items[0].s, "127.0.0.1");
  EXPECT_EQ(addr.items[1].i, 60000);
  EXPECT_EQ(addr.items[1].spelled, "60_000");
  EXPECT_EQ(addr.spelled, "('127.0.0.1', 60_000)");
  EXPECT_EQ(addr.loc.column, 13);

  auto any = one("s1.bind(('', 0))");
  EXPECT_EQ(any.calls[0].args[0].items[0].s, "0.0.0.0");
  EXPECT_EQ(any.calls[0].args[0].items[0].spelled, "''");
  EXPECT_EQ(one("s1.connect((\"localhost\", 1234))").calls[0].args[0].items[0].s, "127.0.0.1");
  EXPECT_EQ(one("s1.connect(('127.9.9.9', 0x4d2))").calls[0].op, tq::Op::Connect);

  EXPECT_EQ(one("s1.listen()").calls[0].args.size(), 0u);
  EXPECT_EQ(one("s1.listen(SOMAXCONN)").calls[0].args[0].i, 4096);
  EXPECT_EQ(one("s1.getsockname()").calls[0].op, tq::Op::Getsockname);
  EXPECT_EQ(one("s1.getpeername()").calls[0].op, tq::Op::Getpeername);
  EXPECT_EQ(one("s1.close()").calls[0].op, tq::Op::Close);
}

TEST(QuizParser, Ipv6Tuples) {
  const std::string pre = ">>> s1 = socket(AF_INET6, SOCK_STREAM)\n";
  auto four = one("s1.connect(('fd00::9', 1234, 0, 1))", pre);
  ASSERT_EQ(four.calls[0].args[0].items.size(), 4u);
  EXPECT_EQ(four.calls[0].args[0].items[3].i, 1);
  auto any = one("s1.bind(('', 0))", pre);
  EXPECT_EQ(any.calls[0].args[0].items[0].s, "::");
  EXPECT_EQ(one("s1.bind(('::ffff:127.0.0.1', 0))", pre).calls[0].args[0].items[0].s,
            "::ffff:127.0.0.1");
}

TEST(QuizParser, TuplesOfCalls) {
  auto t = one("s1.getsockname(), s1.getpeername()");
  EXPECT_TRUE(t.is_tuple);
  ASSERT_EQ(t.calls.size(), 2u);
  EXPECT_EQ(t.calls[1].op, tq::Op::Getpeername);
  EXPECT_EQ(t.calls[1].text, "s1.getpeername()");
  EXPECT_EQ(t.calls[1].loc.column, 23);
  auto single = one("s1.getsockname(),");
  EXPECT_TRUE(single.is_tuple);
  EXPECT_EQ(single.calls.size(), 1u);
}

TEST(QuizParser, ExpectationsAndBlankPrompts) {
  tq::Quiz q = parse(kS1 +
                     ">>>\n"
                     ">>> s1.getsockname()\n"
                     "('0.0.0.0', 0)\n"
                     "\n"
                     "prose in between\n"
                     ">>> s1.getpeername()\n"
                     "Traceback (most recent call last):\n"
                     "  File \"<doctest>\", line 1, in <module>\n"
                     "    s1.getpeername()\n"
                     "ConnectionRefusedError: [Errno 111] Connection refused\n"
                     "\"\"\"\n");
  ASSERT_EQ(q.steps.size(), 3u);  // the bare >>> is skipped
  EXPECT_EQ(q.steps[0].expect.kind, tq::Expect::Kind::Nothing);
  EXPECT_EQ(q.steps[1].expect.kind, tq::Expect::Kind::Output);
  EXPECT_EQ(q.steps[1].expect.text, "('0.0.0.0', 0)");
  EXPECT_EQ(q.steps[2].expect.kind, tq::Expect::Kind::Error);
  EXPECT_EQ(q.steps[2].expect.err, 111);
  EXPECT_EQ(q.steps[2].loc.line, 7);
}

TEST(QuizParser, IndentedExamplesLoseTheirIndentInExpectations) {
  tq::Quiz q = parse("    >>> s1 = socket(AF_INET, SOCK_STREAM)\n"
                     "    >>> s1.getsockname()\n"
                     "    ('0.0.0.0', 0)\n");
  EXPECT_EQ(q.steps[1].expect.text, "('0.0.0.0', 0)");
  EXPECT_EQ(q.steps[1].loc.column, 9);
}

TEST(QuizParser, SocketNamesCanBeRebound) {
  tq::Quiz q = parse(kS1 + ">>> s1.close()\n>>> s1 = socket(AF_INET6, SOCK_STREAM)\n"
                           ">>> s1.bind(('::1', 0))\n");
  EXPECT_EQ(q.steps.back().calls[0].args[0].items[0].s, "::1");
}

// ---- header ----

TEST(QuizParser, HeaderKeys) {
  tq::Quiz q = parse("# title: T\n"
                     "# source: S\n"
                     "# lesson: L\n"
                     "# note: free text for readers\n"
                     "# port-range: 60000 60010\n"
                     "# listen: :: 1234\n"
                     "# listen: 127.0.0.1 4321\n"
                     "# address: fd00::1/128\n"
                     "# address: 127.5.5.5\n"
                     "# sysctl: net.ipv4.ip_autobind_reuse 1\n"
                     "# sysctl: net.ipv4.tcp_tw_reuse 0\n"
                     "#!/not/a/header\n"
                     "# Quiz #3: not a header either\n" +
                     kS1);
  EXPECT_EQ(q.title, "T");
  EXPECT_EQ(q.source, "S");
  EXPECT_EQ(q.lesson, "L");
  EXPECT_EQ(q.setup.port_lo, 60000);
  EXPECT_EQ(q.setup.port_hi, 60010);
  ASSERT_EQ(q.setup.listeners.size(), 2u);  // the first listen replaced the default
  EXPECT_EQ(q.setup.listeners[0].addr, "::");
  EXPECT_EQ(q.setup.listeners[1].port, 4321);
  ASSERT_EQ(q.setup.lo_addresses.size(), 2u);
  EXPECT_EQ(q.setup.lo_addresses[0], "fd00::1/128");
  EXPECT_EQ(q.setup.lo_addresses[1], "127.5.5.5/32");
  ASSERT_EQ(q.setup.sysctls.size(), 2u);
  EXPECT_EQ(q.setup.sysctls[0].first, "net.ipv4.ip_autobind_reuse");
  EXPECT_EQ(q.setup.sysctls[0].second, "1");
}

TEST(QuizParser, HeaderDefaultsAndListenNone) {
  tq::Quiz d = parse(kS1);
  ASSERT_EQ(d.setup.listeners.size(), 1u);
  EXPECT_EQ(d.setup.listeners[0].addr, "0.0.0.0");
  tq::Quiz n = parse("# listen: none\n" + kS1);
  EXPECT_TRUE(n.setup.listeners.empty());
}

// ---- bad input: exact file:line:column ----

TEST(QuizParserErrors, UnknownCall) {
  EXPECT_FAILS_AT(kS1 + ">>> s1.recv(10)\n", 2, 8, "unknown method 'recv', expected one of");
  EXPECT_FAILS_AT(">>> s1 = sock(AF_INET, SOCK_STREAM)\n", 1, 10, "unknown function 'sock'");
  EXPECT_FAILS_AT(kS1 + ">>> s1.close(); s1.close()\n", 2, 15, "one statement");
  EXPECT_FAILS_AT(kS1 + ">>> for x in (1, 2): pass\n", 2, 5, "the Python keyword 'for'");
  EXPECT_FAILS_AT(kS1 + ">>> def f(): pass\n", 2, 5, "the Python keyword 'def'");
  EXPECT_FAILS_AT(kS1 + ">>> s1.getsockname()[1] == 0\n", 2, 25, "found '==', expected end of line");
  EXPECT_FAILS_AT(kS1 + ">>> print(s1)\n", 2, 5, "unknown function 'print'");
  EXPECT_FAILS_AT(kS1 + ">>> a = b = 1\n", 2, 11, "chained assignments are not supported");
  EXPECT_FAILS_AT(kS1 + ">>> (a, b) = (1, 2)\n", 2, 5, "expected a name to assign to");
  EXPECT_FAILS_AT(kS1 + ">>> socket = 1\n", 2, 5, "expected a new name");
  EXPECT_FAILS_AT(kS1 + ">>> import os\n", 2, 12, "expected the module socket or struct");
  EXPECT_FAILS_AT(kS1 + ">>> from socket import frobnicate\n", 2, 24, "a name the language knows");
  EXPECT_FAILS_AT(kS1 + ">>> s1.getsockname()[0:1]\n", 2, 23, "slices are not supported");
  EXPECT_FAILS_AT(kS1 + ">>> s1.getsockname()['a']\n", 2, 22, "expected an integer index");
  EXPECT_FAILS_AT(kS1 + ">>> 'x'.close()\n", 2, 5, "expected a socket");
  EXPECT_FAILS_AT(kS1 + ">>> s1.setsockopt(SOL_SOCKET, SO_LINGER, pack('ii' 1))\n", 2, 52,
                  "expected ',' or ')'");
  EXPECT_FAILS_AT(kS1 + ">>> pack('<f', 1)\n", 2, 12, "format code 'f'");
  EXPECT_FAILS_AT(kS1 + ">>> disconnect(5)\n", 2, 16, "expected a socket");
}

TEST(QuizParserErrors, WrongArgumentCount) {
  EXPECT_FAILS_AT(kS1 + ">>> s1.close(1)\n", 2, 14, "found 1 argument to close()");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind()\n", 2, 13, "found 0 arguments to bind()");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1', 0), 5)\n", 2, 31, "found 2 arguments");
  EXPECT_FAILS_AT(kS1 + ">>> s1.setsockopt(SOL_SOCKET, SO_REUSEADDR)\n", 2, 43,
                  "expected (level, option, value)");
  EXPECT_FAILS_AT(">>> s1 = socket(AF_INET, SOCK_STREAM, 0, 0)\n", 1, 42, "found 4 arguments");
}

TEST(QuizParserErrors, WrongArgumentType) {
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind('127.0.0.1')\n", 2, 13, "expected an address tuple");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind((1234, '127.0.0.1'))\n", 2, 14, "expected a host string");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1', '0'))\n", 2, 27, "expected a port");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1', 0, 0, 0))\n", 2, 13,
                  "for an AF_INET socket");
  EXPECT_FAILS_AT(kS1 + ">>> s1.setsockopt(SOL_IP, SO_REUSEADDR, 1)\n", 2, 27,
                  "expected level SOL_SOCKET");
  EXPECT_FAILS_AT(kS1 + ">>> s1.setsockopt(SO_REUSEADDR, SOL_SOCKET, 1)\n", 2, 19,
                  "expected a level");
  EXPECT_FAILS_AT(kS1 + ">>> s1.setsockopt(SOL_SOCKET, SO_REUSEADDR, 'yes')\n", 2, 45,
                  "expected an option value");
  EXPECT_FAILS_AT(kS1 + ">>> s1.setsockopt(SOL_SOCKET, SO_REUSEADDR, FOO)\n", 2, 45,
                  "'FOO', which is not defined");
  EXPECT_FAILS_AT(">>> s1 = socket(AF_INET, 2)\n", 1, 26, "expected SOCK_STREAM");
  EXPECT_FAILS_AT(">>> s1 = socket(17, SOCK_STREAM)\n", 1, 17, "expected AF_INET or AF_INET6");
  EXPECT_FAILS_AT(kS1 + ">>> s1.listen('x')\n", 2, 15, "expected a backlog");
  EXPECT_FAILS_AT(kS1 + ">>> s1.setsockopt(SOL_IP, IP_LOCAL_PORT_RANGE, 'a' << 16)\n", 2, 48,
                  "expected an integer operand");
}

TEST(QuizParserErrors, UnterminatedTupleAndString) {
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1', 0)\n", 2, 29,
                  "expected ',' or ')' to close '(' at column 12");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1', 0\n", 2, 28,
                  "expected ',' or ')' to close '(' at column 13");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1, 0))\n", 2, 14, "unterminated string");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind((\"127.0.0.1', 0))\n", 2, 14, "unterminated string");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1' 0))\n", 2, 26, "expected ',' or ')'");
}

TEST(QuizParserErrors, UndefinedSocket) {
  EXPECT_FAILS_AT(">>> s1.close()\n", 1, 5, "no names are defined yet");
  Failure f = fail_of(kS1 + ">>> s2 = socket(AF_INET, SOCK_STREAM)\n>>> s1.getsockname(), "
                            "s3.getpeername()\n");
  EXPECT_EQ(f.line, 3);
  EXPECT_EQ(f.column, 23);
  EXPECT_NE(f.what.find("'s3', which is not defined; names defined so far: s1, s2"),
            std::string::npos) << f.what;
  // A name is defined by the assignment before it, not by one later in the file.
  EXPECT_FAILS_AT(">>> port + 1\n>>> port = 1\n", 1, 5, "'port', which is not defined");
}

TEST(QuizParserErrors, BadAddress) {
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.256', 0))\n", 2, 14, "IPv4 address literal");
  EXPECT_FAILS_AT(kS1 + ">>> s1.connect(('example.com', 80))\n", 2, 17, "not resolved");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('::1', 0))\n", 2, 14, "expected an IPv4 address");
  EXPECT_FAILS_AT(">>> s1 = socket(AF_INET6, SOCK_STREAM)\n>>> s1.bind(('127.0.0.1', 0))\n", 2,
                  14, "'::ffff:127.0.0.1'");
}

TEST(QuizParserErrors, PortOutOfRange) {
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1', 65_536))\n", 2, 27, "expected a port in 0..65535");
  EXPECT_FAILS_AT(kS1 + ">>> s1.connect(('127.0.0.1', -1))\n", 2, 30, "0..65535");
  EXPECT_FAILS_AT(">>> s1 = socket(AF_INET6, SOCK_STREAM)\n>>> s1.bind(('::', 0, 1048576))\n", 2,
                  23, "flowinfo");
}

TEST(QuizParserErrors, BadLiterals) {
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1', 60__000))\n", 2, 29, "digit on both sides");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1', 60000_))\n", 2, 32, "digit on both sides");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1', 0123))\n", 2, 27, "leading zero");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1', 99999999999999999999))\n", 2, 27, "too large");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1', 12ab))\n", 2, 29, "base-10 digit");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1', 0)) $\n", 2, 31, "found '$'");
}

TEST(QuizParserErrors, DeepNestingIsAnErrorNotACrash) {
  EXPECT_FAILS_AT(kS1 + ">>> s1.listen(" + std::string(40, '(') + "1" + std::string(40, ')') +
                      ")\n",
                  2, 47, "nested more than 32 levels");
  EXPECT_FAILS_AT(kS1 + ">>> s1.listen(" + std::string(10000, '-') + "1)\n", 2, 47,
                  "nested more than 32 levels");
}

TEST(QuizParserErrors, BadHeaderValue) {
  EXPECT_FAILS_AT("# port-range: 60000\n" + kS1, 1, 20, "expected 'port-range: LO HI'");
  EXPECT_FAILS_AT("# port-range: 0 10\n" + kS1, 1, 15, "the low port in 1..65535");
  EXPECT_FAILS_AT("# port-range: 60001 60000\n" + kS1, 1, 21, "LO <= HI");
  EXPECT_FAILS_AT("# port-range: 6000x 60000\n" + kS1, 1, 15, "expected the low port");
  EXPECT_FAILS_AT("# listen: 0.0.0.0 70000\n" + kS1, 1, 19, "a port in 0..65535");
  EXPECT_FAILS_AT("# listen: localhost 1234\n" + kS1, 1, 11, "address literal");
  EXPECT_FAILS_AT("# listen: none\n# listen: :: 1\n" + kS1, 2, 11, "after 'listen: none'");
  EXPECT_FAILS_AT("# address: fd00::1/129\n" + kS1, 1, 20, "prefix length in 0..128");
  EXPECT_FAILS_AT("# address: 10.0.0/8\n" + kS1, 1, 12, "address literal");
  EXPECT_FAILS_AT("# sysctl: kernel.pid_max 10\n" + kS1, 1, 11, "net.* sysctl key");
  EXPECT_FAILS_AT("# sysctl: net..x 1\n" + kS1, 1, 11, "net.* sysctl key");
  EXPECT_FAILS_AT("# sysctl: net.ipv4.tcp_tw_reuse\n" + kS1, 1, 32, "net.KEY VALUE");
  EXPECT_FAILS_AT("# sysctl: net.ipv4.ip_local_port_range 1 2\n" + kS1, 1, 11, "port-range");
  EXPECT_FAILS_AT("# title:\n" + kS1, 1, 9, "empty value");
  EXPECT_FAILS_AT("# title: a\n# title: b\n" + kS1, 2, 3, "first is at line 1");
}

TEST(QuizParserErrors, UnknownHeaderKey) {
  EXPECT_FAILS_AT("# title: x\n# listener: 0.0.0.0 1234\n" + kS1, 2, 3,
                  "unknown header key 'listener'");
  EXPECT_FAILS_AT(kS1 + "\n# listen: 0.0.0.0 1\n", 3, 3, "after the first '>>>'");
}

TEST(QuizParserErrors, ExpectationShapes) {
  // '...' lines continue a statement now, as in doctest (ContinuationLinesJoin… below)
  EXPECT_EQ(parse(kS1 + ">>> s1.bind(('127.0.0.1',\n... 0))\n").steps.size(), 2u);
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1',\n", 2, 26,
                  "expected a value or ')' to close '(' at column 13");
  EXPECT_EQ(parse(kS1 + ">>> s1.close()\n... \n").steps.back().expect.kind, tq::Expect::Kind::Nothing);
  EXPECT_FAILS_AT(kS1 + ">>> s1.close()\nOSError: [Errno 9] Bad file descriptor\n", 3, 1,
                  "without a traceback header");
  EXPECT_FAILS_AT(kS1 + ">>> s1.close()\nTraceback (most recent call last):\n  ...\n", 3, 1,
                  "without an exception line");
  EXPECT_FAILS_AT(kS1 + ">>> s1.close()\nTraceback (most recent call last):\noops\n", 4,
                  1, "expected an exception line");
  EXPECT_FAILS_AT(kS1 + ">>> s1.close()\nTraceback (most recent call last):\n"
                        "OSError: [Errno 9] x\nmore\n", 5, 1, "more output after");
  EXPECT_FAILS_AT(kS1 + ">>>\n(1, 2)\n", 3, 1, "bare '>>>'");
  EXPECT_FAILS_AT(kS1 + ">>>s1.close()\n", 2, 4, "expected a space");
  EXPECT_FAILS_AT("just prose\n", 1, 1, "expected at least one");
}

// ---- the Python real doctests use ----

TEST(QuizParserPython, CommentExamplesImportsAndBareNames) {
  tq::Quiz q = parse(">>> # Bind to 127.0.0.1:0. Block the port\n"
                     ">>> from socket import *\n"
                     ">>> from struct import pack\n"
                     ">>> import struct\n"
                     ">>> s1 = socket(AF_INET, SOCK_STREAM)\n"
                     ">>> s1\n"
                     ">>> # just a comment\n"
                     ">>>\n"
                     ">>> ln\n");
  ASSERT_EQ(q.steps.size(), 6u);  // comments and a bare >>> are not statements
  EXPECT_EQ(q.steps[0].kind, tq::Statement::Kind::Import);
  EXPECT_EQ(q.steps[2].kind, tq::Statement::Kind::Import);
  EXPECT_EQ(q.steps[4].kind, tq::Statement::Kind::Expr);
  ASSERT_EQ(q.steps[4].values.size(), 1u);
  EXPECT_EQ(q.steps[4].values[0].kind, tq::Arg::Kind::Name);
  EXPECT_EQ(q.steps[5].values[0].s, "ln");
  EXPECT_TRUE(q.steps[4].calls.empty());
}

TEST(QuizParserPython, AssignmentsUnpackingAndSubscripts) {
  tq::Quiz q = parse(kS1 +
                     ">>> p1, _ = ln.accept()\n"
                     ">>> host, port = s1.getsockname()\n"
                     ">>> port = ln.getsockname()[1]\n"
                     ">>> s1.bind((host, port + 1))\n"
                     ">>> s1.getsockname()[-1]\n"
                     ">>> addr = ('127.0.0.1', 1234)\n"
                     ">>> s1.connect(addr)\n"
                     ">>> x, = (1,)\n");
  const auto& acc = q.steps[1];
  EXPECT_EQ(acc.kind, tq::Statement::Kind::Assign);
  EXPECT_TRUE(acc.unpack);
  EXPECT_EQ(acc.targets, (std::vector<std::string>{"p1", "_"}));
  ASSERT_EQ(acc.calls.size(), 1u);
  EXPECT_EQ(acc.calls[0].op, tq::Op::Accept);
  EXPECT_EQ(acc.calls[0].sock, "ln");
  const auto& sub = q.steps[3];
  EXPECT_FALSE(sub.unpack);
  ASSERT_EQ(sub.values[0].kind, tq::Arg::Kind::Subscript);
  EXPECT_EQ(sub.values[0].items[1].i, 1);
  EXPECT_EQ(sub.values[0].items[0].kind, tq::Arg::Kind::Call);
  const auto& bind = q.steps[4].calls[0];
  EXPECT_EQ(bind.args[0].items[0].kind, tq::Arg::Kind::Name);
  EXPECT_EQ(bind.args[0].items[1].kind, tq::Arg::Kind::BinOp);
  EXPECT_EQ(bind.args[0].items[1].spelled, "port + 1");
  EXPECT_EQ(q.steps[5].values[0].items[1].i, -1);
  EXPECT_EQ(q.steps[7].calls[0].args[0].kind, tq::Arg::Kind::Name);
  EXPECT_TRUE(q.steps[8].unpack);
  EXPECT_EQ(q.steps[8].targets.size(), 1u);
}

TEST(QuizParserPython, NewMethodsFunctionsAndInnerCallsFirst) {
  auto st = one("s1.setsockopt(SOL_IP, IP_LOCAL_PORT_RANGE, pack('<HH', 60000, 60001))");
  ASSERT_EQ(st.calls.size(), 2u);
  EXPECT_EQ(st.calls[0].op, tq::Op::Pack);  // the argument's call runs first, as in Python
  EXPECT_EQ(st.calls[1].op, tq::Op::Setsockopt);
  EXPECT_EQ(st.calls[1].args[2].kind, tq::Arg::Kind::Call);
  EXPECT_EQ(one("s1.connect_ex(('127.0.0.1', 1234))").calls[0].op, tq::Op::ConnectEx);
  EXPECT_EQ(one("s1.setblocking(False)").calls[0].op, tq::Op::Setblocking);
  EXPECT_EQ(one("s1.shutdown(SHUT_RDWR)").calls[0].args[0].i, 2);
  EXPECT_EQ(one("s1.getsockopt(SOL_SOCKET, SO_REUSEADDR)").calls[0].op, tq::Op::Getsockopt);
  EXPECT_EQ(one("disconnect(s1)").calls[0].op, tq::Op::Disconnect);
  EXPECT_EQ(one("struct.pack('I', 1)", kS1 + ">>> import struct\n").calls[0].op, tq::Op::Pack);
  EXPECT_FAILS_AT(kS1 + ">>> struct.pack('I', 1)\n", 2, 5, "'struct', which is not defined");
  EXPECT_FAILS_AT(kS1 + ">>> import socket\n", 2, 12, "expected 'from socket import *'");
  EXPECT_FAILS_AT(kS1 + ">>> import struct\n>>> struct.unpack('I', 1)\n", 3, 12,
                  "expected struct.pack(...)");
  // A literal address is still checked against the family the socket was made with ...
  EXPECT_FAILS_AT(">>> s1 = socket(AF_INET6, SOCK_STREAM)\n>>> c, a = s1.accept()\n"
                  ">>> c.bind(('127.0.0.1', 0))\n", 3, 13, "'::ffff:127.0.0.1'");
  // ... and left to the runner (as Python) where the family comes from a name.
  EXPECT_NO_THROW(parse(">>> f = AF_INET6\n>>> s = socket(f, SOCK_STREAM)\n"
                        ">>> s.bind(('127.0.0.1', 0))\n"));
}

TEST(QuizParserPython, ExceptionsWithoutErrno) {
  tq::Quiz q = parse(kS1 + ">>> a, b = (1, 2, 3)\n"
                           "Traceback (most recent call last):\n"
                           "  ...\n"
                           "ValueError: too many values to unpack (expected 2)\n"
                           ">>> pack('B', 256)\n"
                           "Traceback (most recent call last):\n"
                           "struct.error: ubyte format requires 0 <= number <= 255\n");
  EXPECT_EQ(q.steps[1].expect.kind, tq::Expect::Kind::Error);
  EXPECT_EQ(q.steps[1].expect.err, 0);
  EXPECT_EQ(q.steps[1].expect.text, "ValueError: too many values to unpack (expected 2)");
  EXPECT_EQ(q.steps[2].expect.text, "struct.error: ubyte format requires 0 <= number <= 255");
  tq::Quiz g = parse(kS1 + ">>> x = 1\n>>> x\nTraceback (most recent call last):\n"
                     "socket.gaierror: [Errno -9] Address family for hostname not supported\n");
  EXPECT_EQ(g.steps[2].expect.kind, tq::Expect::Kind::Error);
  EXPECT_EQ(g.steps[2].expect.err, 0);  // matched as text, not as an errno
}

TEST(QuizParserPython, StateAssertionsAttachToThePrecedingStatement) {
  tq::Quiz q = parse(kS1 + ">>> s1.bind(('127.0.0.1', 0))\n"
                           ">>> # state s1: 0/0\n"
                           ">>>   #  state s1:-1/1 bhash2 0/-1\n"
                           ">>> # stateful comments are prose\n"
                           ">>> s1.close()\n");
  ASSERT_EQ(q.steps.size(), 3u);
  const auto& sa = q.steps[1].state_asserts;
  ASSERT_EQ(sa.size(), 2u);
  EXPECT_EQ(sa[0].sock, "s1");
  EXPECT_EQ(sa[0].fastreuse, 0);
  EXPECT_EQ(sa[0].fastreuseport, 0);
  EXPECT_FALSE(sa[0].bhash2.has_value());
  EXPECT_EQ(sa[0].text, "state s1: 0/0");
  EXPECT_EQ(sa[0].loc.line, 3);
  EXPECT_EQ(sa[0].loc.column, 7);
  EXPECT_EQ(sa[1].fastreuse, -1);
  EXPECT_EQ(sa[1].fastreuseport, 1);
  ASSERT_TRUE(sa[1].bhash2.has_value());
  EXPECT_EQ(*sa[1].bhash2, std::make_pair(0, -1));
  EXPECT_TRUE(q.steps[2].state_asserts.empty());
}

TEST(QuizParserPythonErrors, MalformedStateAssertions) {
  const std::string pre = kS1 + ">>> s1.bind(('127.0.0.1', 0))\n";
  EXPECT_FAILS_AT(">>> # state s1: 0/0\n" + kS1, 1, 5, "before any statement");
  EXPECT_FAILS_AT(pre + ">>> # state s1 0/0\n", 3, 15, "expected ':'");
  EXPECT_FAILS_AT(pre + ">>> # state s1: 2/0\n", 3, 17, "expected -1, 0 or 1");
  EXPECT_FAILS_AT(pre + ">>> # state s1: 0-1\n", 3, 18, "expected '/'");
  EXPECT_FAILS_AT(pre + ">>> # state s1: 0/0 bhash 0/0\n", 3, 21, "expected 'bhash2'");
  EXPECT_FAILS_AT(pre + ">>> # state s1: 0/0 bhash2 0/\n", 3, 30, "expected -1, 0 or 1");
  EXPECT_FAILS_AT(pre + ">>> # state s1: 0/0 bhash2 0/0 x\n", 3, 32, "expected end of line");
  EXPECT_FAILS_AT(pre + ">>> # state : 0/0\n", 3, 13, "name of a socket");
  EXPECT_FAILS_AT(pre + ">>> # a comment\n(1, 2)\n", 4, 1, "after a comment-only example");
}

// ---- text pasted from a web page or a word processor ----

TEST(QuizParser, PastedTypographicCharactersAreNamedWithWhatToType) {
  // 'found byte 0xe2' said nothing a teacher could act on; half of a UTF-8 sequence reached the
  // terminal for a no-break space
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind((\u2018127.0.0.1\u2019, 0))\n", 2, 14,
                  "found '\u2018' (U+2018, a typographic quote, as web pages and word processors print ': type ' instead)");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind((\u201c127.0.0.1\u201d, 0))\n", 2, 14, "(U+201C, a typographic quote");
  EXPECT_FAILS_AT(kS1 + ">>>\u00a0s1.close()\n", 2, 4,
                  "found '\u00a0' (U+00A0, a no-break or thin space, as web pages put into pasted code: type a plain "
                  "space instead) right after '>>>'");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1', \u22121))\n", 2, 27, "(U+2212, a dash or minus sign: type - instead)");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1', \xff))\n", 2, 27, "found byte 0xFF (not UTF-8)");
}

TEST(QuizParser, TabAfterThePromptIsAPromptAsInDoctest) {
  // doctest expands tabs before it looks for '>>> '
  tq::Quiz q = parse(">>>\ts1 = socket(AF_INET, SOCK_STREAM)\n>>>\ts1.close()\n");
  EXPECT_EQ(q.steps.size(), 2u);
}

TEST(QuizParser, LongOperatorChainsAreLinearAndBounded) {
  // `x + 1 + 1 + …` copied the chain before it at every '+' (an initializer list): 2,000
  // operators took 0.5 s and 20,000 minutes; string folds re-took their text per '+'.
  std::string chain = kS1 + ">>> x = 1\n>>> y = x";
  for (int i = 0; i < 1000; ++i) chain += " + 1";
  tq::Quiz q = parse(chain + "\n");
  ASSERT_EQ(q.steps.back().values.size(), 1u);
  EXPECT_EQ(q.steps.back().values[0].kind, tq::Arg::Kind::BinOp);
  std::string strs = kS1 + ">>> y = 'a'";
  for (int i = 0; i < 1000; ++i) strs += " + 'bc'";
  tq::Quiz sq = parse(strs + "\n");
  ASSERT_EQ(sq.steps.back().values.size(), 1u);
  const tq::Arg& folded = sq.steps.back().values[0];
  EXPECT_EQ(folded.kind, tq::Arg::Kind::Str);
  EXPECT_EQ(folded.s.size(), 2001u);
  EXPECT_EQ(folded.spelled, strs.substr(kS1.size() + 8));  // the whole chain's text, taken once
  EXPECT_FAILS_AT(chain + " + 1\n", 3, 4011, "found more than 1000 '+' operators in one expression");
}

TEST(QuizParser, ContinuationLinesJoinTheStatementAsDoctestDoes) {
  tq::Quiz q = parse(">>> s1 = socket(AF_INET,  # a comment, cut before joining\n"
                     "...             SOCK_STREAM)\n"
                     ">>> s1.bind(('127.0.0.1',\n"
                     "...\n"
                     "...          0))\n"
                     ">>> s1.getsockname()\n"
                     "('127.0.0.1', 60000)\n");
  ASSERT_EQ(q.steps.size(), 3u);
  EXPECT_EQ(q.steps[0].text, "s1 = socket(AF_INET,   SOCK_STREAM)");
  EXPECT_EQ(q.steps[1].expect.kind, tq::Expect::Kind::Nothing);  // the '...' lines are not output
  EXPECT_EQ(q.steps[2].expect.text, "('127.0.0.1', 60000)");
  // an error on a continuation line is reported at that line and column
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1',\n...          port))\n", 3, 14, "found 'port', which is not defined");
  EXPECT_FAILS_AT(kS1 + ">>> s1.bind(('127.0.0.1',\n...0))\n", 3, 4, "found '0' right after '...', expected a space");
}

TEST(QuizParser, APythonProgramWithoutDoctestsIsNamedAsSuch) {
  EXPECT_FAILS_AT("from socket import *\n\ndef test_reuse(sport):\n    s1 = socket()\n", 1, 1,
                  "this looks like a Python program: tristate runs the doctest examples");
  Failure plain = fail_of("just prose\n");
  EXPECT_EQ(plain.what.find("Python program"), std::string::npos) << plain.what;
}

TEST(QuizParser, LineEndsAsPythonReadsThem) {
  // \n, \r\n and a lone \r (an old Mac editor's file) end lines, as universal newlines do
  for (const char* eol : {"\n", "\r\n", "\r"}) {
    const std::string e = eol;
    tq::Quiz q = parse(">>> s1 = socket(AF_INET, SOCK_STREAM)" + e + ">>> s1.getsockname()" + e +
                       "('0.0.0.0', 0)" + e + e + "prose" + e);
    ASSERT_EQ(q.steps.size(), 2u) << "eol " << int(eol[0]);
    EXPECT_EQ(q.steps[1].expect.text, "('0.0.0.0', 0)");
    EXPECT_FAILS_AT(kS1 + "prose" + e + ">>> s1.frob()" + e, 3, 8, "unknown method 'frob'");
  }
}
