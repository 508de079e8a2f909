// util/output_file and util/input_file: what a command writes never replaces a device, a FIFO
// or a symlink, never follows a planted temporary, and what it reads is bounded.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/input_file.hpp"
#include "util/output_file.hpp"
#include "util/text.hpp"

namespace fs = std::filesystem;
using namespace tristate::util;

namespace {

class Scratch : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ts-util-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string slurp(const std::string& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  fs::path dir_;
};

}  // namespace

TEST_F(Scratch, NewFileIsCreatedWithNoTemporaryLeft) {
  ASSERT_TRUE(write_output(path("r.json"), "{}\n"));
  EXPECT_EQ(slurp(path("r.json")), "{}\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(Scratch, RegularFileIsReplacedKeepingItsMode) {
  std::ofstream(path("r.json")) << "old old old";
  ::chmod(path("r.json").c_str(), 0640);
  ASSERT_TRUE(write_output(path("r.json"), "new"));
  EXPECT_EQ(slurp(path("r.json")), "new");
  EXPECT_EQ(fs::status(path("r.json")).permissions(),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
}

TEST_F(Scratch, SymlinkIsFollowedNotReplaced) {
  std::ofstream(path("target")) << "old";
  fs::create_symlink("target", path("link"));
  ASSERT_TRUE(write_output(path("link"), "new"));
  EXPECT_TRUE(fs::is_symlink(path("link")));
  EXPECT_EQ(slurp(path("target")), "new");
}

TEST_F(Scratch, PlantedTemporarySymlinkIsNeverFollowed) {
  // The old writer used the predictable PATH.tmp: a symlink planted there redirected the write.
  std::ofstream(path("victim")) << "victim";
  fs::create_symlink(path("victim"), path("r.json.tmp"));
  ASSERT_TRUE(write_output(path("r.json"), "report"));
  EXPECT_EQ(slurp(path("victim")), "victim");
  EXPECT_EQ(slurp(path("r.json")), "report");
}

TEST_F(Scratch, FifoIsWrittenInPlace) {
  ASSERT_EQ(::mkfifo(path("f").c_str(), 0600), 0);
  const int reader = ::open(path("f").c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  ASSERT_TRUE(write_output(path("f"), "through"));
  char buf[16] = {};
  EXPECT_EQ(::read(reader, buf, sizeof buf), 7);
  ::close(reader);
  struct stat st {};
  ASSERT_EQ(::lstat(path("f").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST_F(Scratch, DeviceNodeStaysADevice) {
  // A private copy of /dev/null (needs CAP_MKNOD: root, as the tool's users run it).
  if (::mknod(path("null").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0)
    GTEST_SKIP() << "mknod refused (not root): covered by tests/hostile as root";
  ASSERT_TRUE(write_output(path("null"), "gone"));
  struct stat st {};
  ASSERT_EQ(::lstat(path("null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST_F(Scratch, FullDeviceIsAnErrorNamingThePath) {
  auto r = write_output("/dev/full", "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "cannot write /dev/full: No space left on device");
}

TEST_F(Scratch, DirectoryAndEmptyPathAreRefused) {
  EXPECT_FALSE(write_output(dir_.string(), "x"));
  EXPECT_FALSE(write_output("", "x"));
}

TEST_F(Scratch, CheckOutputRefusesWhatWriteOutputWouldFailOn) {
  // what write_output accepts passes beforehand
  EXPECT_TRUE(check_output("-"));
  EXPECT_TRUE(check_output(path("new.json")));
  std::ofstream(path("old.json")) << "old";
  EXPECT_TRUE(check_output(path("old.json")));
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  EXPECT_TRUE(check_output(path("fifo")));  // checked without opening it (no reader waits)
  EXPECT_TRUE(check_output("/dev/null"));
  // and what it would refuse at the end is refused first, naming the reason
  auto missing = check_output(path("no/such/dir/x.json"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            "cannot write " + path("no/such/dir/x.json") + ": there is no directory " + path("no/such/dir"));
  auto dir = check_output(dir_.string());
  ASSERT_FALSE(dir);
  EXPECT_NE(dir.error().message.find("it is a directory"), std::string::npos);
  std::ofstream(path("file")) << "x";
  auto under_file = check_output(path("file/x.json"));
  ASSERT_FALSE(under_file);
  EXPECT_NE(under_file.error().message.find("Not a directory"), std::string::npos)
      << under_file.error().message;
  fs::create_symlink(path("gone"), path("dangling"));
  EXPECT_FALSE(check_output(path("dangling")));  // write_output opens a symlink's target in place
}

TEST_F(Scratch, ReadBoundedRefusesLargeFilesAndEndlessDevices) {
  std::ofstream(path("big")) << std::string(2048, 'a');
  auto big = read_bounded(path("big"), 1024);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("too large (2.0 KiB)"), std::string::npos) << big.error().message;
  auto zero = read_bounded("/dev/zero", 1 << 20);
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().message.find("/dev/zero: more than 1.0 MiB"), std::string::npos);
  auto ok = read_bounded(path("big"), 4096);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok.value().size(), 2048u);
}

TEST(UtilText, ShortenQuotedKeepsShortTokensAndCutsLongOnes) {
  EXPECT_EQ(shorten_quoted("found 'p1', expected x"), "found 'p1', expected x");
  const std::string msg = "found name '" + std::string(5000, 'x') + "', expected y";
  const std::string s = shorten_quoted(msg, 10);
  EXPECT_EQ(s, "found name 'xxxxx...(4990 more characters)...xxxxx', expected y");
  EXPECT_EQ(shorten_quoted("it's fine"), "it's fine");  // a lone quote is not a token
}

// open_output_stream: the JSON Lines of trace and state --watch, written as they come.
TEST_F(Scratch, StreamCreatesOrTruncatesAndWritesInPlace) {
  {
    auto s = open_output_stream(path("new.jsonl"));
    ASSERT_TRUE(s) << s.error().message;
    *s.value() << "{\"a\":1}\n" << std::flush;
    EXPECT_EQ(slurp(path("new.jsonl")), "{\"a\":1}\n") << "a line is in the file once flushed";
  }
  std::ofstream(path("old.jsonl")) << "a much longer old content\n";
  struct stat before {};
  ASSERT_EQ(::stat(path("old.jsonl").c_str(), &before), 0);
  {
    auto s = open_output_stream(path("old.jsonl"));
    ASSERT_TRUE(s) << s.error().message;
    *s.value() << "{}\n";
  }
  EXPECT_EQ(slurp(path("old.jsonl")), "{}\n");
  struct stat after {};
  ASSERT_EQ(::stat(path("old.jsonl").c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino) << "a stream is written in place, not replaced";
}

TEST_F(Scratch, StreamRefusesADirectory) {
  fs::create_directories(path("d"));
  auto s = open_output_stream(path("d"));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("it is a directory"), std::string::npos) << s.error().message;
}

TEST_F(Scratch, StreamFollowsOnesOwnSymlink) {
  std::ofstream(path("target")) << "old content";
  fs::create_symlink("target", path("link"));
  {
    auto s = open_output_stream(path("link"));
    ASSERT_TRUE(s) << s.error().message;
    *s.value() << "new\n";
  }
  EXPECT_TRUE(fs::is_symlink(path("link")));
  EXPECT_EQ(slurp(path("target")), "new\n");
}

TEST_F(Scratch, StreamRefusesAnotherUsersSymlinkInAStickySharedDirectory) {
  // What fs.protected_symlinks=1 refuses, refused at the open whatever the sysctl says:
  // root's `trace --json /tmp/events.jsonl` must not truncate what another user points it at.
  fs::create_directories(path("shared"));
  ::chmod(path("shared").c_str(), 01777);
  std::ofstream(path("victim")) << "victim";
  fs::create_symlink(path("victim"), path("shared/events.jsonl"));
  if (::lchown(path("shared/events.jsonl").c_str(), 65534, 65534) != 0)
    GTEST_SKIP() << "lchown refused (not root): covered by tests/hostile as root";
  auto s = open_output_stream(path("shared/events.jsonl"));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("another user (uid 65534)"), std::string::npos) << s.error().message;
  EXPECT_EQ(slurp(path("victim")), "victim");
}
