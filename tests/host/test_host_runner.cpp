// The runner against the real kernel, with quizzes built in code: results, doctest
// semantics, timing fields, the observer's readiness point, timeouts and privilege errors.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <grp.h>
#include <sys/wait.h>

#include <thread>

#include <regex>

#include "host_env.hpp"
#include "hand_quiz.hpp"
#include "quiz/netns.hpp"
#include "quiz/quiz_runner.hpp"

namespace tristate::test {
namespace {

using namespace std::chrono_literals;

quiz::RunOptions opts(std::chrono::milliseconds timeout = 10s, quiz::Observer* obs = nullptr) {
  quiz::RunOptions o;
  o.timeout = timeout;
  o.observer = obs;
  return o;
}

std::string dump_steps(const report::Quiz& q) {
  std::string out = "status=" + std::string(tristate::report::name(q.status)) + " error=" + q.error + "\n";
  for (const auto& s : q.steps)
    out += "  [" + std::to_string(s.index) + "] " + s.source + " -> '" + s.actual + "' (expected '" +
           s.expected + "')" + (s.matched ? "" : "  MISMATCH") + "\n";
  return out;
}

class RunnerHost : public HostTest {};

TEST_F(RunnerHost, Post1SharesPort60000AcrossTwoBoundAddresses) {
  auto q = quiz::run_quiz(post1(), opts());
  ASSERT_EQ(q.status, tristate::report::QuizStatus::ok) << dump_steps(q);
  ASSERT_EQ(q.steps.size(), 10u);
  EXPECT_EQ(q.steps[3].actual, "(('127.1.1.1', 60000), ('127.9.9.9', 1234))");
  EXPECT_EQ(q.steps[7].actual, "(('127.2.2.2', 60000), ('127.9.9.9', 1234))");
  ASSERT_EQ(q.steps[3].calls.size(), 2u);
  EXPECT_EQ(q.steps[3].calls[0].value, "('127.1.1.1', 60000)");
  EXPECT_EQ(q.steps[3].calls[1].value, "('127.9.9.9', 1234)");
  EXPECT_EQ(q.steps[2].calls[0].value, "None");
  EXPECT_EQ(q.sysctls.ip_local_port_range, "60000 60000");
  EXPECT_FALSE(q.sysctls.ip_autobind_reuse.empty());
  EXPECT_EQ(q.setup, "netns, lo up, ip_local_port_range 60000 60000, listener 0.0.0.0:1234");
  EXPECT_GT(q.duration_ms, 0.0);
  const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)");
  std::uint64_t prev_end = 0;
  for (const auto& s : q.steps) {
    EXPECT_GT(s.tid, 0u);
    EXPECT_NE(s.tid, static_cast<std::uint32_t>(::getpid())) << "steps run in the child";
    EXPECT_LE(s.t_start_ns, s.t_end_ns);
    EXPECT_GE(s.t_start_ns, prev_end);
    prev_end = s.t_end_ns;
    EXPECT_TRUE(std::regex_match(s.wall_time, iso)) << s.wall_time;
  }
  EXPECT_EQ(q.steps[0].index, 1);
  EXPECT_EQ(q.steps[0].line, 5);
}

TEST_F(RunnerHost, Post3SecondConnectFailsWithEaddrnotavail) {
  auto q = quiz::run_quiz(post3(), opts());
  ASSERT_EQ(q.status, tristate::report::QuizStatus::ok) << dump_steps(q);
  ASSERT_EQ(q.steps.size(), 9u);
  const auto& c = q.steps[5];
  ASSERT_EQ(c.calls.size(), 1u);
  EXPECT_FALSE(c.calls[0].ok);
  EXPECT_EQ(c.calls[0].err, 99);
  EXPECT_EQ(c.calls[0].err_name, "EADDRNOTAVAIL");
  EXPECT_EQ(c.actual, "OSError: [Errno 99] Cannot assign requested address");
  // getsockname() ran and succeeded, getpeername() raised: the tuple stops there.
  const auto& t = q.steps[6];
  ASSERT_EQ(t.calls.size(), 2u);
  EXPECT_TRUE(t.calls[0].ok);
  EXPECT_EQ(t.calls[0].value, "('0.0.0.0', 0)");
  EXPECT_EQ(t.calls[1].err_name, "ENOTCONN");
  EXPECT_EQ(t.actual, "OSError: [Errno 107] Transport endpoint is not connected");
}

TEST_F(RunnerHost, MismatchIsReportedAndLaterStepsStillRun) {
  auto quiz = post3();
  quiz.steps[5].expect = nothing();                 // claim the connect() succeeds
  quiz.steps[3].expect = output("(('127.1.1.1', 60001), ('127.9.9.9', 1234))");
  auto q = quiz::run_quiz(quiz, opts());
  EXPECT_EQ(q.status, tristate::report::QuizStatus::mismatch);
  ASSERT_EQ(q.steps.size(), 9u) << "doctest goes on after a failing example";
  EXPECT_FALSE(q.steps[3].matched);
  EXPECT_FALSE(q.steps[5].matched);
  EXPECT_TRUE(q.steps[6].matched);
  EXPECT_TRUE(q.steps[8].matched);
}

TEST_F(RunnerHost, ClosedSocketRaisesEbadfAndUnknownNameRaisesNameError) {
  quiz::Quiz quiz;
  quiz.name = "closed";
  quiz.steps = {
      stmt({socket_call("s1")}),
      stmt({close_call("s1")}),
      stmt({bind_call("s1", "127.0.0.1", 0)}, error(9, "OSError: [Errno 9] Bad file descriptor")),
      stmt({close_call("s1")}),  // closing twice is fine in Python
      stmt({name_call("s9")}, error(0, "NameError: name 's9' is not defined")),
      stmt({connect_call("s1", "127.0.0.1", 1)}, error(9, "")),
  };
  auto q = quiz::run_quiz(quiz, opts());
  ASSERT_EQ(q.status, tristate::report::QuizStatus::ok) << dump_steps(q);
  EXPECT_EQ(q.steps[2].actual, "OSError: [Errno 9] Bad file descriptor");
  EXPECT_EQ(q.steps[4].actual, "NameError: name 's9' is not defined");
}

TEST_F(RunnerHost, ConnectWithoutListenerIsRefusedAtOnce) {
  quiz::Quiz quiz;
  quiz.name = "refused";
  quiz.setup.listeners.clear();
  quiz.steps = {
      stmt({socket_call("s")}),
      stmt({connect_call("s", "127.0.0.1", 1234)},
           error(111, "ConnectionRefusedError: [Errno 111] Connection refused")),
  };
  auto q = quiz::run_quiz(quiz, opts(2s));
  ASSERT_EQ(q.status, tristate::report::QuizStatus::ok) << dump_steps(q);
  EXPECT_EQ(q.steps[1].actual, "ConnectionRefusedError: [Errno 111] Connection refused");
  EXPECT_EQ(q.setup, "netns, lo up, ip_local_port_range 60000 60000, no listener");
}

TEST_F(RunnerHost, Ipv6AddressOnLoIsUsableAtOnceAndReprIsAFourTuple) {
  quiz::Quiz quiz;
  quiz.name = "ipv6";
  quiz.setup.listeners = {quiz::Listener{"::", 1234}};
  quiz.setup.lo_addresses = {"fd00::2/128"};
  quiz.steps = {
      stmt({socket_call("s", AF_INET6)}),
      stmt({bind_call("s", "fd00::2", 0)}),
      stmt({connect_call("s", "::1", 1234)}),
      stmt({name_call("s"), peer_call("s")}, output("(('fd00::2', 60000, 0, 0), ('::1', 1234, 0, 0))")),
      stmt({socket_call("t", AF_INET6)}),
      stmt({bind_call("t", "127.0.0.1", 0)},
           error(-9, "socket.gaierror: [Errno -9] Address family for hostname not supported")),
  };
  auto q = quiz::run_quiz(quiz, opts());
  ASSERT_EQ(q.status, tristate::report::QuizStatus::ok) << dump_steps(q);
  EXPECT_EQ(q.setup,
            "netns, lo up, lo +fd00::2/128, ip_local_port_range 60000 60000, listener [::]:1234");
}

TEST_F(RunnerHost, ExtraSysctlIsSetInsideTheNamespaceAndPortRangeIsReadBack) {
  quiz::Quiz quiz;
  quiz.name = "sysctl";
  quiz.setup.port_lo = 40000;
  quiz.setup.port_hi = 40001;
  quiz.setup.sysctls = {{"net.ipv4.ip_autobind_reuse", "1"},
                        {"net.ipv4.ip_local_reserved_ports", "40000"}};
  quiz.steps = {
      stmt({socket_call("s")}),
      stmt({connect_call("s", "127.0.0.1", 1234)}),
      stmt({name_call("s")}, output("('127.0.0.1', 40001)")),  // 40000 is reserved
  };
  auto q = quiz::run_quiz(quiz, opts());
  ASSERT_EQ(q.status, tristate::report::QuizStatus::ok) << dump_steps(q);
  EXPECT_EQ(q.sysctls.ip_local_port_range, "40000 40001");
  EXPECT_EQ(q.sysctls.ip_local_reserved_ports, "40000");
  EXPECT_EQ(q.sysctls.ip_autobind_reuse, "1");
}

TEST_F(RunnerHost, NonNetSysctlIsRefused) {
  quiz::Quiz quiz;
  quiz.name = "bad-sysctl";
  quiz.setup.sysctls = {{"kernel.hostname", "x"}};
  auto q = quiz::run_quiz(quiz, opts());
  EXPECT_EQ(q.status, tristate::report::QuizStatus::error);
  EXPECT_NE(q.error.find("only net.*"), std::string::npos) << q.error;
}

TEST_F(RunnerHost, ListenerThatCannotBindIsASetupError) {
  quiz::Quiz quiz;
  quiz.name = "listener-clash";
  quiz.setup.listeners = {quiz::Listener{"0.0.0.0", 1234}, quiz::Listener{"0.0.0.0", 1234}};
  auto q = quiz::run_quiz(quiz, opts());
  EXPECT_EQ(q.status, tristate::report::QuizStatus::error);
  EXPECT_NE(q.error.find("EADDRINUSE"), std::string::npos) << q.error;
}

// Records what the runner tells a tracer, and checks the child at the readiness point.
class RecordingObserver : public quiz::Observer {
 public:
  void sandbox_ready(std::uint64_t inode, pid_t pid) override {
    ++ready_calls;
    ready_inode = inode;
    ready_pid = pid;
    inode_seen_in_proc = quiz::netns_inode(std::to_string(pid));
    if (throw_on_ready) throw std::runtime_error("tracer could not attach");
    std::this_thread::sleep_for(delay);
  }
  void quiz_done(report::Quiz& q) override {
    ++done_calls;
    done_status = q.status;
    child_gone = ::kill(ready_pid, 0) != 0 && errno == ESRCH;
  }
  int ready_calls = 0, done_calls = 0;
  std::uint64_t ready_inode = 0, inode_seen_in_proc = 0;
  pid_t ready_pid = 0;
  bool throw_on_ready = false, child_gone = false;
  std::chrono::milliseconds delay{0};
  tristate::report::QuizStatus done_status = tristate::report::QuizStatus::error;
};

TEST_F(RunnerHost, ObserverSeesThePrivateNamespaceBeforeAnythingRuns) {
  RecordingObserver obs;
  obs.delay = 300ms;  // the tracer's attach time: must neither count as quiz time nor time out
  auto q = quiz::run_quiz(post3(), opts(250ms, &obs));
  ASSERT_EQ(q.status, tristate::report::QuizStatus::ok) << dump_steps(q);
  EXPECT_EQ(obs.ready_calls, 1);
  EXPECT_EQ(obs.done_calls, 1);
  EXPECT_EQ(obs.done_status, tristate::report::QuizStatus::ok);
  EXPECT_NE(obs.ready_inode, 0u);
  EXPECT_NE(obs.ready_inode, quiz::netns_inode("self"));
  EXPECT_EQ(obs.inode_seen_in_proc, obs.ready_inode) << "pid and inode must describe the child";
  EXPECT_TRUE(obs.child_gone);
  EXPECT_LT(q.duration_ms, 250.0);
  // The steps ran after the readiness point, in the process the observer was told about.
  EXPECT_EQ(q.steps[0].tid, static_cast<std::uint32_t>(obs.ready_pid));
}

TEST_F(RunnerHost, ObserverRefusalIsAnErrorAndNothingRuns) {
  RecordingObserver obs;
  obs.throw_on_ready = true;
  auto q = quiz::run_quiz(post3(), opts(2s, &obs));
  EXPECT_EQ(q.status, tristate::report::QuizStatus::error);
  EXPECT_NE(q.error.find("tracer could not attach"), std::string::npos) << q.error;
  EXPECT_TRUE(q.steps.empty());
  EXPECT_EQ(obs.done_calls, 1);
  EXPECT_TRUE(obs.child_gone);
}

// A connect() to a listener whose accept queue is full: the SYN is dropped and connect()
// blocks in SYN retransmission, a step that really hangs.
quiz::Quiz blocking_quiz() {
  quiz::Quiz q;
  q.name = "blocks";
  q.setup.port_hi = 60010;  // a and b need distinct 4-tuples to the same listener
  q.steps = {
      stmt({socket_call("l")}),
      stmt({bind_call("l", "127.0.0.1", 5000)}),
      stmt({listen_call("l", 0)}),
      stmt({socket_call("a")}),
      stmt({connect_call("a", "127.0.0.1", 5000)}),
      stmt({socket_call("b")}),
      stmt({connect_call("b", "127.0.0.1", 5000)}),  // blocks
      stmt({close_call("b")}),
  };
  return q;
}

TEST_F(RunnerHost, TimeoutKillsTheChildAndNamesTheBlockedStep) {
  RecordingObserver obs;
  auto q = quiz::run_quiz(blocking_quiz(), opts(400ms, &obs));
  EXPECT_EQ(q.status, tristate::report::QuizStatus::error);
  EXPECT_EQ(q.error, "timed out after 400 ms at step 7 (b.connect(('127.0.0.1', 5000)))");
  EXPECT_EQ(q.steps.size(), 6u) << "the steps before the blocked one are kept";
  EXPECT_TRUE(obs.child_gone);
  EXPECT_LT(q.duration_ms, 2000.0);
}

TEST_F(RunnerHost, TinyTimeoutIsAnErrorNotAHang) {
  auto q = quiz::run_quiz(post1(), opts(1ms));
  EXPECT_EQ(q.status, tristate::report::QuizStatus::error);
  EXPECT_EQ(q.error.rfind("timed out after 1 ms", 0), 0u) << q.error;
}

// Runs `fn` in a forked process and returns its exit status (0 = pass).
template <class Fn>
int in_child(Fn fn) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(fn());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

TEST_F(RunnerHost, WithoutRootTheRunnerEntersAUserNamespace) {
  // As nobody, unshare(CLONE_NEWNET) is refused; the runner must fall back to
  // `unshare --user --map-root-user --net` and give the same results.
  int rc = in_child([] {
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) return 10;
    // Changing uid made this process non-dumpable, which locks its own /proc/self/uid_map;
    // a process started by an ordinary user is dumpable, so restore that.
    if (::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) return 10;
    auto q = quiz::run_quiz(post3(), opts());
    if (q.status != tristate::report::QuizStatus::ok) {
      std::fprintf(stderr, "status %s: %s\n", tristate::report::name(q.status).data(), q.error.c_str());
      return 11;
    }
    return q.sysctls.ip_local_port_range == "60000 60000" ? 0 : 12;
  });
  EXPECT_EQ(rc, 0) << "10: could not drop to nobody, 11: quiz not ok, 12: port range not set";
}

TEST_F(RunnerHost, WhenNoNamespaceCanBeMadeTheErrorNamesTheMissingPrivilege) {
  // seccomp makes unshare() fail with EPERM, as in a container without CAP_SYS_ADMIN and
  // without user namespaces.
  int rc = in_child([] {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_unshare, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(std::size(filter)), filter};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 10;
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) return 10;
    auto q = quiz::run_quiz(post3(), opts());
    if (q.status != tristate::report::QuizStatus::error) return 11;
    if (q.error.find("CAP_SYS_ADMIN") == std::string::npos) return 12;
    if (q.error.find("CLONE_NEWUSER") == std::string::npos) return 13;
    if (q.error.find('\n') != std::string::npos) return 14;
    return q.steps.empty() ? 0 : 15;
  });
  EXPECT_EQ(rc, 0) << "10: seccomp, 11: not an error, 12/13: reason does not name the "
                      "privilege/user namespaces, 14: not one line, 15: steps ran";
}

}  // namespace
}  // namespace tristate::test
