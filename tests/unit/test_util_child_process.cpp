// util/child_process: exit statuses as a shell reports them, exec failures named, streams
// wired, and a child the owner forgets is killed and reaped, never left running.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "lab/process.hpp"
#include "util/child_process.hpp"
#include "util/unique_fd.hpp"

using namespace tristate;
using util::ChildOptions;
using util::ChildProcess;
using util::ChildStream;

namespace {

std::string read_all(int fd) {
  std::string s;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, std::size_t(n));
  return s;
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

}  // namespace

TEST(ChildProcess, ExitStatusAndSignal) {
  auto c = ChildProcess::exec({"sh", "-c", "exit 3"});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c.value().wait(), 3);
  EXPECT_EQ(c.value().wait(), 3);  // a second wait returns the same status
  EXPECT_TRUE(c.value().reaped());
  auto k = ChildProcess::exec({"sh", "-c", "kill -TERM $$"});
  ASSERT_TRUE(k);
  EXPECT_EQ(k.value().wait(), 128 + SIGTERM);
}

TEST(ChildProcess, MissingProgramIsNamed) {
  auto c = ChildProcess::exec({"/nonexistent/tristate-no-such-tool"});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("/nonexistent/tristate-no-such-tool"), std::string::npos);
  EXPECT_NE(c.error().message.find("No such file"), std::string::npos);
  auto d = ChildProcess::exec({"true"}, ChildOptions{.cwd = "/nonexistent-dir-for-tristate"});
  ASSERT_FALSE(d);
  EXPECT_FALSE(ChildProcess::exec({}));
}

TEST(ChildProcess, StreamsAndDirectory) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  util::UniqueFd rd(p[0]), wr(p[1]);
  ChildOptions o;
  o.out = ChildStream::to(wr.get());
  o.err = ChildStream::dev_null();
  o.cwd = "/proc";
  auto c = ChildProcess::exec({"sh", "-c", "pwd; cat; echo gone >&2"}, o);  // stdin: /dev/null
  ASSERT_TRUE(c) << c.error().message;
  wr.reset();
  EXPECT_EQ(read_all(rd.get()), "/proc\n");
  EXPECT_EQ(c.value().wait(), 0);
}

TEST(ChildProcess, CallRunsAFunction) {
  auto c = ChildProcess::call([] { return 42; });
  ASSERT_TRUE(c);
  EXPECT_EQ(c.value().wait(), 42);
  auto t = ChildProcess::call([]() -> int { throw 1; });
  ASSERT_TRUE(t);
  EXPECT_EQ(t.value().wait(), 127);
}

TEST(ChildProcess, DestructorKillsAndReaps) {
  pid_t pid = -1;
  {
    auto c = ChildProcess::exec({"sleep", "30"});
    ASSERT_TRUE(c);
    pid = c.value().pid();
    EXPECT_FALSE(c.value().try_wait().has_value());  // still running
  }
  // Reaped, not a zombie: the pid no longer exists (it is not reused this fast).
  EXPECT_FALSE(alive(pid));
  EXPECT_LT(::waitpid(pid, nullptr, WNOHANG), 0);
}

TEST(ChildProcess, MoveKeepsOneOwner) {
  auto c = ChildProcess::exec({"sleep", "30"});
  ASSERT_TRUE(c);
  ChildProcess a = std::move(c.value());
  EXPECT_TRUE(c.value().reaped());  // moved-from owns nothing
  const pid_t pid = a.pid();
  EXPECT_EQ(a.kill_and_wait(), 128 + SIGKILL);
  EXPECT_FALSE(alive(pid));
}

TEST(ChildProcess, TryWaitSeesTheExit) {
  auto c = ChildProcess::exec({"true"});
  ASSERT_TRUE(c);
  std::optional<int> st;
  for (int i = 0; i < 500 && !st; ++i) {
    st = c.value().try_wait();
    if (!st) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(*st, 0);
}

TEST(LabProcess, RunToolCollectsBothStreams) {
  auto r = lab::run_tool({"sh", "-c", "echo out; echo err >&2; exit 5"});
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_EQ(r.status, 5);
  EXPECT_EQ(lab::run_tool({"pwd"}, "/proc").out, "/proc\n");
  EXPECT_THROW(lab::run_tool({"/nonexistent/tristate-no-such-tool"}), std::runtime_error);
}

TEST(LabProcess, ChildMergesOutputAndDiesWithItsHandle) {
  pid_t pid = -1;
  {
    lab::Child c = lab::Child::spawn({"sh", "-c", "echo one; echo two >&2; exec sleep 30"});
    pid = c.pid();
    std::string got;
    char buf[64];
    while (got.size() < 8) {
      const ssize_t n = ::read(c.output_fd(), buf, sizeof buf);
      ASSERT_GT(n, 0);
      got.append(buf, std::size_t(n));
    }
    EXPECT_EQ(got, "one\ntwo\n");
    EXPECT_EQ(::getpgid(pid), pid);  // its own process group
  }
  EXPECT_FALSE(alive(pid));
}
