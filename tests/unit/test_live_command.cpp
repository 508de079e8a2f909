// `tristate trace -- CMD`: the command is held before exec until release(), a command that
// cannot be exec'd is release()'s error (trace turns it into exit 127), and a command never
// released is told to give up instead of running untraced. No BPF involved.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "trace/live_command.hpp"

namespace fs = std::filesystem;
using tristate::trace::TracedCommand;

namespace {

sigset_t no_signals() {
  sigset_t s;
  sigemptyset(&s);
  return s;
}

std::optional<int> wait_for_exit(TracedCommand& c) {
  for (int i = 0; i < 500; ++i) {
    if (auto st = c.try_wait()) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

fs::path scratch(const char* name) {
  return fs::temp_directory_path() / (std::string("ts-live-command-") + name + "-" + std::to_string(getpid()));
}

}  // namespace

TEST(LiveCommand, HeldUntilReleasedThenItsExitStatus) {
  const fs::path mark = scratch("held");
  fs::remove(mark);
  auto started = TracedCommand::start({"sh", "-c", "touch \"$0\"; exit 3", mark.string()}, no_signals());
  ASSERT_TRUE(started) << started.error().message;
  TracedCommand& cmd = started.value();
  EXPECT_GT(cmd.pid(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(fs::exists(mark)) << "the command ran before release()";
  EXPECT_FALSE(cmd.try_wait());
  ASSERT_TRUE(cmd.release());
  EXPECT_EQ(wait_for_exit(cmd), 3);
  EXPECT_TRUE(fs::exists(mark));
  fs::remove(mark);
}

TEST(LiveCommand, ACommandThatCannotBeExecdIsReleasesError) {
  auto started = TracedCommand::start({"/nonexistent/tristate-no-such-command"}, no_signals());
  ASSERT_TRUE(started) << started.error().message;
  const auto released = started.value().release();
  ASSERT_FALSE(released);
  EXPECT_EQ(released.error().message,
            "cannot run '/nonexistent/tristate-no-such-command': No such file or directory");
}

TEST(LiveCommand, NeverReleasedNeverRuns) {
  const fs::path mark = scratch("never");
  fs::remove(mark);
  {
    auto started = TracedCommand::start({"touch", mark.string()}, no_signals());
    ASSERT_TRUE(started) << started.error().message;
  }  // destroyed unreleased: told to give up, reaped
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(fs::exists(mark));
}

TEST(LiveCommand, NoCommandIsAnError) {
  auto started = TracedCommand::start({}, no_signals());
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().message, "no command given after --");
}
