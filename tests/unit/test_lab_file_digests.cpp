// The memo of shipped files' digests (lab/file_digests): reused only for a file stat() shows
// unchanged, never for a rewritten one, and an initramfs named from it changes with its files.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "lab/file_digests.hpp"
#include "lab/initramfs.hpp"
#include "lab/process.hpp"
#include "lab/sha256.hpp"
#include "lab_test_util.hpp"

namespace fs = std::filesystem;
using namespace tristate::lab;
using namespace std::chrono_literals;
using tristate::lab::testing::TempDir;

namespace {

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::trunc) << text;
}

// Past one tick of the coarse clock file timestamps come from (a jiffy, at most 10 ms).
void next_tick() { std::this_thread::sleep_for(50ms); }

}  // namespace

TEST(LabFileDigests, ReusedWhileUnchangedHashedAgainOnceRewritten) {
  TempDir t;
  const fs::path memo = t.path / "digests.txt", a = t.path / "a", b = t.path / "b";
  write(a, "first a");
  write(b, "first b");
  next_tick();
  {
    auto d = FileDigests::load(memo, 0ns);
    EXPECT_EQ(d.sha256(a.string()), sha256_file(a.string()));
    EXPECT_EQ(d.sha256(b.string()), sha256_file(b.string()));
    EXPECT_EQ(d.hashed(), 2u);
    ASSERT_TRUE(d.save());
  }
  {
    auto d = FileDigests::load(memo, 0ns);
    EXPECT_EQ(d.sha256(a.string()), sha256_file(a.string()));
    EXPECT_EQ(d.reused(), 1u);
    EXPECT_EQ(d.hashed(), 0u);
  }
  next_tick();
  write(a, "other a");  // same size, new bytes
  const std::string b_old_sha = sha256_file(b.string());
  {
    auto d = FileDigests::load(memo, 0ns);
    EXPECT_EQ(d.sha256(a.string()), sha256_file(a.string()));
    EXPECT_EQ(d.hashed(), 1u);
    EXPECT_EQ(d.sha256(b.string()), sha256_file(b.string()));
    EXPECT_EQ(d.reused(), 1u);
    ASSERT_TRUE(d.save());
  }
  // A rewrite given back its old mtime still changes the ctime, which no user can set.
  struct stat st {};
  ASSERT_EQ(::stat(b.c_str(), &st), 0);
  next_tick();
  write(b, "other b");
  const timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, b.c_str(), times, 0), 0);
  {
    auto d = FileDigests::load(memo, 0ns);
    EXPECT_EQ(d.sha256(b.string()), sha256_file(b.string()));
    EXPECT_NE(d.sha256(b.string()), b_old_sha);
    EXPECT_EQ(d.hashed(), 1u);  // the second look is the rewritten file, remembered
  }
}

// Timestamps have a coarse clock's resolution: a file written again in the tick it was hashed
// in keeps every stat() field. Such a file is not remembered until it has settled.
TEST(LabFileDigests, AFileJustWrittenIsNotRemembered) {
  TempDir t;
  const fs::path memo = t.path / "digests.txt", a = t.path / "a";
  write(a, "first a");
  {
    auto d = FileDigests::load(memo);
    d.sha256(a.string());
    ASSERT_TRUE(d.save());
  }
  write(a, "other a");  // same size, likely the same tick
  auto d = FileDigests::load(memo);
  EXPECT_EQ(d.sha256(a.string()), sha256_file(a.string()));
  EXPECT_EQ(d.reused(), 0u);
}

TEST(LabFileDigests, AGarbledMemoIsIgnored) {
  TempDir t;
  const fs::path memo = t.path / "digests.txt", a = t.path / "a";
  write(a, "a");
  write(memo, std::string("tristate-file-digests/1\n") + std::string(64, '0') + " 1 2 3 4 5 " + a.string() +
                  "\nnot a line\n");
  auto d = FileDigests::load(memo, 0ns);
  EXPECT_EQ(d.sha256(a.string()), sha256_file(a.string()));
  EXPECT_EQ(d.reused(), 0u);
  EXPECT_THROW(d.sha256((t.path / "missing").string()), std::runtime_error);
}

// The image's name with the memo in place: a shipped file hashed and remembered on one run,
// rewritten with the same size before the next, gives a new image; touched only, the same one.
TEST(LabInitramfs, ARewrittenShippedFileRenamesTheImage) {
  if (!fs::exists("/bin/busybox") || !have_program("cpio"))
    GTEST_FAIL() << "busybox-static and cpio are required (apt-get install busybox-static cpio)";
  TempDir t;
  Cache c(t.path);
  const fs::path quiz = t.path / "data" / "q.quiz";
  write(quiz, ">>> 1\n1\n");
  std::this_thread::sleep_for(FileDigests::kSettle + 100ms);  // settled: its digest is remembered
  InitramfsSpec s;
  s.executables = {"/bin/true"};
  s.files = {{quiz.string(), "/quizzes/q.quiz"}};
  s.init = make_init_script({"true"}, "/tmp/result");
  auto quiet = [](const std::string&) {};
  const fs::path first = build_initramfs(s, c, quiet);
  std::ifstream memo(c.initramfs_dir() / "digests.txt");
  const std::string text{std::istreambuf_iterator<char>(memo), {}};
  ASSERT_NE(text.find(" " + quiz.string() + "\n"), std::string::npos) << text;

  EXPECT_EQ(build_initramfs(s, c, quiet), first);
  ASSERT_EQ(::utimensat(AT_FDCWD, quiz.c_str(), nullptr, 0), 0);  // touched
  EXPECT_EQ(build_initramfs(s, c, quiet), first);
  write(quiz, ">>> 2\n2\n");  // same size
  const fs::path second = build_initramfs(s, c, quiet);
  EXPECT_NE(second, first);
  auto listing = run_tool({"sh", "-c", "cpio -i --quiet --to-stdout quizzes/q.quiz < \"$1\"", "sh", second.string()});
  EXPECT_EQ(listing.out, ">>> 2\n2\n");
}
