// Rootless parts of the runner: Python repr, exception lines, doctest comparison, errno names.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cerrno>

#include "quiz/pyrepr.hpp"
#include "quiz/quiz_runner.hpp"
#include "util/errno_names.hpp"

namespace tristate::quiz {
namespace {

PyValue addr(const char* ip, int port) {
  return PyValue::tuple({PyValue::str(ip), PyValue::integer(port)});
}

TEST(PyRepr, ScalarsAndStrings) {
  EXPECT_EQ(repr(PyValue::none()), "None");
  EXPECT_EQ(repr(PyValue::integer(60000)), "60000");
  EXPECT_EQ(repr(PyValue::integer(-9)), "-9");
  EXPECT_EQ(repr(PyValue::str("127.0.0.1")), "'127.0.0.1'");
  EXPECT_EQ(repr(PyValue::str("")), "''");
  EXPECT_EQ(repr(PyValue::str("it's")), "\"it's\"");
  EXPECT_EQ(repr(PyValue::str("a'b\"c")), "'a\\'b\"c'");
  EXPECT_EQ(repr(PyValue::str("back\\slash\n")), "'back\\\\slash\\n'");
  EXPECT_EQ(repr(PyValue::str(std::string("\x01", 1))), "'\\x01'");
}

TEST(PyRepr, TuplesAsThePostPrintsThem) {
  EXPECT_EQ(repr(PyValue::tuple({addr("127.1.1.1", 60000), addr("127.9.9.9", 1234)})),
            "(('127.1.1.1', 60000), ('127.9.9.9', 1234))");
  EXPECT_EQ(repr(PyValue::tuple({})), "()");
  EXPECT_EQ(repr(PyValue::tuple({PyValue::integer(1)})), "(1,)");
  EXPECT_EQ(repr(PyValue::tuple({PyValue::none(), PyValue::none()})), "(None, None)");
}

TEST(PyRepr, SockaddrV4AndV6) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(60000);
  inet_pton(AF_INET, "127.1.1.1", &in.sin_addr);
  EXPECT_EQ(repr(sockaddr_to_py(reinterpret_cast<sockaddr*>(&in), sizeof in)),
            "('127.1.1.1', 60000)");
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(60000);
  inet_pton(AF_INET6, "::1", &in6.sin6_addr);
  EXPECT_EQ(repr(sockaddr_to_py(reinterpret_cast<sockaddr*>(&in6), sizeof in6)),
            "('::1', 60000, 0, 0)");
  inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6.sin6_addr);
  in6.sin6_flowinfo = htonl(5);
  in6.sin6_scope_id = 2;
  EXPECT_EQ(repr(sockaddr_to_py(reinterpret_cast<sockaddr*>(&in6), sizeof in6)),
            "('::ffff:127.0.0.1', 60000, 5, 2)");
}

TEST(PyRepr, ExceptionLinesUsePythonsClassesAndMessages) {
  EXPECT_EQ(os_error_line(EADDRINUSE), "OSError: [Errno 98] Address already in use");
  EXPECT_EQ(os_error_line(EADDRNOTAVAIL), "OSError: [Errno 99] Cannot assign requested address");
  EXPECT_EQ(os_error_line(ENOTCONN), "OSError: [Errno 107] Transport endpoint is not connected");
  EXPECT_EQ(os_error_line(ECONNREFUSED), "ConnectionRefusedError: [Errno 111] Connection refused");
  EXPECT_EQ(os_error_line(EINVAL), "OSError: [Errno 22] Invalid argument");
  EXPECT_EQ(os_error_line(ENOPROTOOPT), "OSError: [Errno 92] Protocol not available");
  EXPECT_EQ(os_error_line(EBADF), "OSError: [Errno 9] Bad file descriptor");
  EXPECT_EQ(os_error_line(EPERM), "PermissionError: [Errno 1] Operation not permitted");
  EXPECT_EQ(os_error_line(EACCES), "PermissionError: [Errno 13] Permission denied");
  EXPECT_EQ(os_error_line(ETIMEDOUT), "TimeoutError: [Errno 110] Connection timed out");
  EXPECT_EQ(os_error_line(ENOSPC), "OSError: [Errno 28] No space left on device");  // strerror
}

Expect want(Expect::Kind k, std::string text = "", int err = 0) { return {k, std::move(text), err}; }

TEST(Doctest, NothingExpectsNoOutputAndNoException) {
  EXPECT_TRUE(doctest_matches(want(Expect::Kind::Nothing), {false, 0, ""}));
  EXPECT_TRUE(doctest_matches(want(Expect::Kind::Nothing), {false, 0, "  \n"}));
  EXPECT_FALSE(doctest_matches(want(Expect::Kind::Nothing), {false, 0, "None"}));
  EXPECT_FALSE(doctest_matches(want(Expect::Kind::Nothing), {true, 99, os_error_line(99)}));
}

TEST(Doctest, OutputComparesTextExactlyUpToTrailingWhitespace) {
  const std::string t = "(('127.1.1.1', 60000), ('127.9.9.9', 1234))";
  EXPECT_TRUE(doctest_matches(want(Expect::Kind::Output, t), {false, 0, t}));
  EXPECT_TRUE(doctest_matches(want(Expect::Kind::Output, t + "  \n"), {false, 0, t}));
  EXPECT_FALSE(doctest_matches(want(Expect::Kind::Output, t), {false, 0, " " + t}));
  EXPECT_FALSE(doctest_matches(want(Expect::Kind::Output, "(('127.1.1.1', 60001), ('127.9.9.9', 1234))"),
                               {false, 0, t}));
  EXPECT_FALSE(doctest_matches(want(Expect::Kind::Output, t), {true, 99, os_error_line(99)}));
  EXPECT_TRUE(doctest_matches(want(Expect::Kind::Output, "a\nb"), {false, 0, "a \nb\t\n"}));
}

TEST(Doctest, ErrorMatchesByErrnoOrByLine) {
  const auto e99 = want(Expect::Kind::Error, "OSError: [Errno 99] Cannot assign requested address", 99);
  EXPECT_TRUE(doctest_matches(e99, {true, 99, os_error_line(99)}));
  // The errno decides, not the wording (another libc or Python version may word it otherwise).
  EXPECT_TRUE(doctest_matches(e99, {true, 99, "OSError: [Errno 99] something else"}));
  EXPECT_FALSE(doctest_matches(e99, {true, 98, os_error_line(98)}));
  EXPECT_FALSE(doctest_matches(e99, {false, 0, ""}));
  const auto name_err = want(Expect::Kind::Error, "NameError: name 's9' is not defined", 0);
  EXPECT_TRUE(doctest_matches(name_err, {true, 0, "NameError: name 's9' is not defined"}));
  EXPECT_FALSE(doctest_matches(name_err, {true, 0, "NameError: name 's8' is not defined"}));
}

TEST(Doctest, TrimTrailingWhitespace) {
  EXPECT_EQ(trim_trailing_ws("a  \nb\t\n\n"), "a\nb");
  EXPECT_EQ(trim_trailing_ws(""), "");
  EXPECT_EQ(trim_trailing_ws("  x"), "  x");
}

TEST(ErrnoNames, BothWays) {
  EXPECT_EQ(util::errno_name(99), "EADDRNOTAVAIL");
  EXPECT_EQ(util::errno_name(98), "EADDRINUSE");
  EXPECT_EQ(util::errno_name(107), "ENOTCONN");
  EXPECT_EQ(util::errno_name(111), "ECONNREFUSED");
  EXPECT_EQ(util::errno_name(EAGAIN), "EAGAIN");  // not the alias EWOULDBLOCK
  EXPECT_EQ(util::errno_name(0), "");
  EXPECT_EQ(util::errno_name(4095), "");
  EXPECT_EQ(util::errno_from_name("EADDRNOTAVAIL"), 99);
  EXPECT_EQ(util::errno_from_name("EWOULDBLOCK"), EAGAIN);
  EXPECT_EQ(util::errno_from_name("ENOTSUP"), EOPNOTSUPP);
  EXPECT_EQ(util::errno_from_name("EDEADLOCK"), EDEADLK);
  EXPECT_EQ(util::errno_name(EDEADLK), "EDEADLK");         // not the alias EDEADLOCK
  EXPECT_EQ(util::errno_name(EOPNOTSUPP), "EOPNOTSUPP");   // not the alias ENOTSUP
  EXPECT_EQ(util::errno_name(-1), "");
  EXPECT_EQ(util::errno_from_name(""), std::nullopt);
  EXPECT_EQ(util::errno_from_name("eaddrnotavail"), std::nullopt);
  EXPECT_EQ(util::errno_from_name("EFOO"), std::nullopt);
  EXPECT_EQ(util::errno_label(99), "EADDRNOTAVAIL");
  EXPECT_EQ(util::errno_label(9999), "E?9999");
  for (int e = 1; e < 134; ++e) {
    auto n = util::errno_name(e);
    if (n.empty()) continue;  // 41 and 58 are unused on Linux
    EXPECT_EQ(util::errno_from_name(n), e) << n;
  }
}

TEST(SetupSummary, DefaultAndExtras) {
  quiz::Setup s;
  EXPECT_EQ(setup_summary(s), "netns, lo up, ip_local_port_range 60000 60000, listener 0.0.0.0:1234");
  s.port_hi = 60001;
  s.listeners = {quiz::Listener{"::", 1234}, quiz::Listener{"127.0.0.1", 80}};
  s.lo_addresses = {"fd00::1/128"};
  s.sysctls = {{"net.ipv4.ip_autobind_reuse", "1"}};
  EXPECT_EQ(setup_summary(s),
            "netns, lo up, lo +fd00::1/128, ip_local_port_range 60000 60001, "
            "net.ipv4.ip_autobind_reuse=1, listener [::]:1234, listener 127.0.0.1:80");
  s.listeners.clear();
  EXPECT_NE(setup_summary(s).find("no listener"), std::string::npos);
}

}  // namespace
}  // namespace tristate::quiz
