// Doctest forms that the twin comparison cannot see: state assertions without snapshots
// (not checked), what a step records for calls that raise other exceptions than OSError,
// and the setup's listener as `ln`.
#include "host_env.hpp"
#include "quiz/quiz_parser.hpp"
#include "quiz/quiz_runner.hpp"

namespace tristate::test {
namespace {

class DoctestForms : public HostTest {};

report::Quiz run_text(const std::string& text) {
  quiz::RunOptions o;
  o.timeout = std::chrono::seconds(10);
  return quiz::run_quiz(quiz::parse_quiz(text, "forms.quiz"), o);
}

// Without a snapshot (no StepProbe: BPF iterators refused or --no-state) an assertion is
// reported "not checked", never passed, and does not change the outcome.
TEST_F(DoctestForms, StateAssertionsWithoutSnapshotsAreNotChecked) {
  auto r = run_text(">>> s1 = socket(AF_INET, SOCK_STREAM)\n"
                    ">>> s1.bind(('127.0.0.1', 0))\n"
                    ">>> # state s1: 0/0\n"
                    ">>> # state s1: 0/0 bhash2 0/0\n"
                    ">>> s1.close()\n");
  ASSERT_EQ(r.status, tristate::report::QuizStatus::ok) << r.error;
  ASSERT_EQ(r.steps.size(), 3u);
  EXPECT_TRUE(r.steps[0].state_checks.empty());
  ASSERT_EQ(r.steps[1].state_checks.size(), 2u);
  EXPECT_EQ(r.steps[1].state_checks[0].text, "state s1: 0/0");
  EXPECT_EQ(r.steps[1].state_checks[0].line, 3);
  EXPECT_EQ(r.steps[1].state_checks[0].outcome, tristate::report::CheckOutcome::not_checked);
  EXPECT_EQ(r.steps[1].state_checks[1].text, "state s1: 0/0 bhash2 0/0");
  EXPECT_EQ(r.steps[1].state_checks[1].outcome, tristate::report::CheckOutcome::not_checked);
  EXPECT_TRUE(r.steps[2].state_checks.empty());
}

TEST_F(DoctestForms, CallsRecordPythonExceptionsAndLnIsTheListener) {
  auto r = run_text(">>> c = socket(AF_INET, SOCK_STREAM)\n"
                    ">>> c.connect(('127.0.0.1', 1234))\n"
                    ">>> p, addr = ln.accept()\n"
                    ">>> p.getpeername()[1] - addr[1]\n"
                    "0\n"
                    ">>> port = 'x'\n"
                    ">>> c.bind(('127.0.0.1', port))\n"
                    "Traceback (most recent call last):\n"
                    "TypeError: 'str' object cannot be interpreted as an integer\n"
                    ">>> c.connect_ex(('127.0.0.1', 1234))\n"
                    "106\n");
  ASSERT_EQ(r.status, tristate::report::QuizStatus::ok) << r.error;
  ASSERT_EQ(r.steps.size(), 7u);
  const auto& accept = r.steps[2];
  ASSERT_EQ(accept.calls.size(), 1u);
  EXPECT_EQ(accept.calls[0].call, "ln.accept()");
  EXPECT_EQ(accept.calls[0].value.rfind("(<socket.socket fd=", 0), 0u) << accept.calls[0].value;
  EXPECT_NE(accept.calls[0].value.find("raddr=('127.0.0.1', 60000)>, ('127.0.0.1', 60000))"),
            std::string::npos) << accept.calls[0].value;
  EXPECT_EQ(accept.actual, "");  // an assignment prints nothing
  const auto& bind = r.steps[5];
  ASSERT_EQ(bind.calls.size(), 1u);
  EXPECT_FALSE(bind.calls[0].ok);
  EXPECT_EQ(bind.calls[0].err, 0);
  EXPECT_EQ(bind.calls[0].err_name, "TypeError");
  EXPECT_EQ(bind.actual, "TypeError: 'str' object cannot be interpreted as an integer");
  // connect_ex returns the errno (EISCONN) as a value: the call itself did not raise.
  EXPECT_TRUE(r.steps[6].calls[0].ok);
  EXPECT_EQ(r.steps[6].calls[0].value, "106");
}

}  // namespace
}  // namespace tristate::test
