// The initramfs writer against GNU cpio, an independent reader of the same format: what goes
// in comes out with its bytes, modes and link targets, and the archive is the same for the
// same tree.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "lab/cpio_newc.hpp"
#include "lab/process.hpp"
#include "lab/sha256.hpp"
#include "lab_test_util.hpp"

namespace fs = std::filesystem;
using namespace tristate::lab;
using tristate::lab::testing::TempDir;

namespace {

void write(const fs::path& p, const std::string& text, fs::perms perms) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
  fs::permissions(p, perms);
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST(LabCpio, GnuCpioReadsBackWhatWasPacked) {
  if (!have_program("cpio")) GTEST_FAIL() << "cpio is required to check the archive (apt-get install cpio)";
  TempDir t;
  const fs::path tree = t.path / "tree", out = t.path / "out";
  // sizes around the 4-byte padding, an empty file, binary bytes, a deep directory
  write(tree / "init", "#!/bin/sh\necho hi\n", fs::perms(0755));
  write(tree / "bin" / "a", "x", fs::perms(0644));
  write(tree / "bin" / "ab", "xy", fs::perms(0600));
  write(tree / "bin" / "abc", std::string("x\0y", 3), fs::perms(0644));
  write(tree / "empty", "", fs::perms(0644));
  write(tree / "usr" / "lib" / "x" / "deep.so", std::string(70001, '\x7f'), fs::perms(0755));
  fs::create_symlink("usr/lib/x/deep.so", tree / "link");
  const fs::path archive = t.path / "a.cpio";
  pack_newc(tree, archive);

  fs::create_directories(out);
  auto r = run_tool({"sh", "-c", "cd \"$1\" && cpio -id --quiet < \"$2\"", "sh", out.string(), archive.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  for (auto f : {"init", "bin/a", "bin/ab", "bin/abc", "empty", "usr/lib/x/deep.so"}) {
    EXPECT_EQ(read(out / f), read(tree / f)) << f;
    EXPECT_EQ(fs::status(out / f).permissions(), fs::status(tree / f).permissions()) << f;
  }
  EXPECT_TRUE(fs::is_directory(out / "usr" / "lib" / "x"));
  ASSERT_TRUE(fs::is_symlink(out / "link"));
  EXPECT_EQ(fs::read_symlink(out / "link"), "usr/lib/x/deep.so");

  auto listing = run_tool({"sh", "-c", "cpio -t --quiet < \"$1\"", "sh", archive.string()});
  EXPECT_EQ(listing.out, "bin\nbin/a\nbin/ab\nbin/abc\nempty\ninit\nlink\nusr\nusr/lib\nusr/lib/x\nusr/lib/x/deep.so\n");

  // no mtimes, inodes by position: the same tree packs to the same bytes
  const fs::path again = t.path / "b.cpio";
  fs::last_write_time(tree / "bin" / "a", fs::file_time_type::clock::now() - std::chrono::hours(5));
  pack_newc(tree, again);
  EXPECT_EQ(sha256_file(archive.string()), sha256_file(again.string()));
}

TEST(LabCpio, RefusesWhatTheGuestCannotGet) {
  TempDir t;
  const fs::path tree = t.path / "tree";
  fs::create_directories(tree);
  ASSERT_EQ(mkfifo((tree / "fifo").c_str(), 0644), 0);
  try {
    pack_newc(tree, t.path / "a.cpio");
    FAIL() << "a FIFO was packed";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((tree / "fifo").string()), std::string::npos) << e.what();
  }
  EXPECT_THROW(pack_newc(tree, t.path / "no" / "such" / "dir" / "a.cpio"), std::runtime_error);
}
