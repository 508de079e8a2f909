// util/atomic_file: a cache file is replaced whole through "<path>.tmp-<pid>", the name the
// lab's leftovers sweep recognises, and a failed write leaves the old file and no temporary.
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lab/leftovers.hpp"
#include "util/atomic_file.hpp"

namespace fs = std::filesystem;
using namespace tristate;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path scratch(const char* name) {
  fs::path d = fs::temp_directory_path() / ("ts-atomic-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST(AtomicFile, ReplacesWholeAndLeavesNoTemporary) {
  const fs::path d = scratch("replace");
  const fs::path f = d / "manifest.json";
  ASSERT_TRUE(util::write_file_atomic(f, "first\n"));
  EXPECT_EQ(slurp(f), "first\n");
  ASSERT_TRUE(util::write_file_atomic(f, "second, longer\n"));
  EXPECT_EQ(slurp(f), "second, longer\n");
  ASSERT_TRUE(util::write_file_atomic(f, ""));
  EXPECT_EQ(slurp(f), "");
  EXPECT_EQ(std::distance(fs::directory_iterator(d), fs::directory_iterator()), 1);
  fs::remove_all(d);
}

TEST(AtomicFile, TemporaryIsWhatTheSweepRecognises) {
  const fs::path tmp = util::atomic_temp_path("/cache/kernels/6.1/vmlinux.pvh.sha256");
  EXPECT_EQ(tmp.parent_path(), "/cache/kernels/6.1");
  EXPECT_EQ(lab::staging_pid(tmp.filename().string()), ::getpid());
}

TEST(AtomicFile, FailureNamesThePathAndKeepsTheOldFile) {
  const fs::path d = scratch("fail");
  const fs::path f = d / "builds.json";
  ASSERT_TRUE(util::write_file_atomic(f, "old\n"));
  // The rename cannot replace a non-empty directory: the old one stays, the temporary goes.
  const fs::path dir_target = d / "occupied";
  fs::create_directories(dir_target / "x");
  auto r = util::write_file_atomic(dir_target, "new\n");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(dir_target.string()), std::string::npos) << r.error().message;
  EXPECT_TRUE(fs::is_directory(dir_target / "x"));
  EXPECT_FALSE(fs::exists(util::atomic_temp_path(dir_target)));
  auto missing = util::write_file_atomic(d / "no-such-dir" / "f", "x");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no-such-dir"), std::string::npos);
  EXPECT_EQ(slurp(f), "old\n");
  fs::remove_all(d);
}
