// Staging files of killed runs: recognised by name, removed when their PID is gone or they are
// old, kept while their writer lives (rootless).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "lab/cache.hpp"
#include "lab/leftovers.hpp"
#include "lab/sealed_file.hpp"
#include "lab/sha256.hpp"
#include "lab_test_util.hpp"

namespace fs = std::filesystem;
using namespace tristate::lab;
using tristate::lab::testing::TempDir;

namespace {

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// A PID that existed and is gone (reaped): what a SIGKILLed tristate leaves behind.
long dead_pid() {
  const pid_t p = fork();
  if (p == 0) _exit(0);
  waitpid(p, nullptr, 0);
  return p;
}

}  // namespace

TEST(LabLeftovers, StagingNamesCarryTheWritersPid) {
  EXPECT_EQ(staging_pid(".stage-0123456789abcdef-4242"), 4242);
  EXPECT_EQ(staging_pid("0123456789abcdef0123456789abcdef.cpio.gz.tmp-77"), 77);
  EXPECT_EQ(staging_pid(".tmp-linux-image-6.1.0-57-cloud-amd64-9"), 9);
  EXPECT_EQ(staging_pid(".tmp-linux-binary-7.2.13+deb14-cloud-amd64-123"), 123);
  EXPECT_EQ(staging_pid(".payload.tmp-5"), 5);
  EXPECT_EQ(staging_pid(".vmlinux.pvh.tmp-6"), 6);
  EXPECT_EQ(staging_pid("vmlinux.pvh.sha256.tmp-7"), 7);
  // what the cache keeps
  for (auto keep : {"0123.cpio.gz", "0123.lock", "0123.cpio.gz.sha256", "vmlinuz", "vmlinux.pvh",
                    "manifest.json", "linux-image-6.1.0-57-cloud-amd64", "vmlinux.pvh.lock", ".stage-x",
                    ".tmp-", "x.tmp-abc"})
    EXPECT_FALSE(staging_pid(keep)) << keep;
}

TEST(LabLeftovers, DeadPidsAndOldFilesGoLiveOnesStay) {
  TempDir t;
  Cache c(t.path);
  const long dead = dead_pid();
  const std::string d = std::to_string(dead), live = std::to_string(getpid());
  const fs::path kernel = c.kernel_dir("linux-image-6.1.0-57-cloud-amd64");
  write(kernel / "vmlinuz", "k");
  write(kernel / "vmlinux.pvh", "elf");
  seal_file(kernel / "vmlinux.pvh");
  write(c.initramfs_dir() / "aa.cpio.gz", "img");
  write(c.initramfs_dir() / "aa.lock", "");
  const std::vector<fs::path> gone = {
      c.initramfs_dir() / (".stage-0123456789abcdef-" + d) / "usr" / "bin" / "tristate",
      c.initramfs_dir() / ("aa.cpio.gz.tmp-" + d),
      c.kernels_dir() / (".tmp-linux-image-6.1.0-57-cloud-amd64-" + d) / "x.deb",
      kernel / (".payload.tmp-" + d),
      kernel / (".vmlinux.pvh.tmp-" + d),
      c.apt_dir("6.1") / ("sources.list.tmp-" + d),
  };
  const std::vector<fs::path> kept = {
      c.initramfs_dir() / (".stage-0123456789abcdef-" + live) / "init",
      c.initramfs_dir() / ("bb.cpio.gz.tmp-" + live),
      c.kernels_dir() / (".tmp-linux-image-6.12.1-" + live) / "x.deb",
      c.apt_dir("6.12") / ("sources.list.tmp-" + live),
  };
  write(c.apt_dir("6.1") / "sources.list", "deb ...");
  write(c.apt_dir("6.1") / "lists" / ("partial.tmp-" + d), "apt's own, below the series' directory");
  for (auto& p : gone) write(p, std::string(2048, 'x'));
  for (auto& p : kept) write(p, "mine");
  // a live PID's file that is old: its PID was reused (or lives in another PID namespace)
  const fs::path stale = c.initramfs_dir() / ("cc.cpio.gz.tmp-" + live);
  write(stale, "old");
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(25));

  const auto removed = sweep_leftovers(c);
  EXPECT_EQ(removed.size(), gone.size() + 1);
  // what the sweep removes: the staging name itself (a directory with all it holds, or a file)
  auto staging_top = [&](fs::path p) {
    while (!staging_pid(p.filename().string())) p = p.parent_path();
    return p;
  };
  for (auto& p : gone) {
    const fs::path top = staging_top(p);
    EXPECT_FALSE(fs::exists(top)) << top;
    bool said = false;
    for (auto& r : removed)
      if (r.path == top) {
        said = true;
        EXPECT_EQ(r.why, "pid " + d + " is gone");
        EXPECT_GE(r.bytes, 2048u);
      }
    EXPECT_TRUE(said) << top;
  }
  EXPECT_FALSE(fs::exists(stale));
  for (auto& r : removed)
    if (r.path == stale) {
      EXPECT_EQ(r.why, "older than 24 h");
    }
  for (auto& p : kept) EXPECT_TRUE(fs::exists(p)) << p;
  for (auto p : {kernel / "vmlinuz", kernel / "vmlinux.pvh", kernel / "vmlinux.pvh.sha256",
                 c.initramfs_dir() / "aa.cpio.gz", c.initramfs_dir() / "aa.lock", c.apt_dir("6.1") / "sources.list",
                 c.apt_dir("6.1") / "lists" / ("partial.tmp-" + d)})
    EXPECT_TRUE(fs::exists(p)) << p;
  EXPECT_TRUE(sweep_leftovers(c).empty());  // nothing twice
}

TEST(LabSealedFile, RecordsAndChecksSizeAndContent) {
  TempDir t;
  const fs::path f = t.path / "img";
  write(f, "0123456789");
  EXPECT_EQ(check_seal(f).state, SealState::Unsealed);
  seal_file(f);
  EXPECT_EQ(check_seal(f).state, SealState::Intact);
  write(f, "0123456780");
  auto c = check_seal(f);
  EXPECT_EQ(c.state, SealState::Damaged);
  EXPECT_NE(c.why.find("crc32"), std::string::npos) << c.why;
  write(f, "012");
  c = check_seal(f);
  EXPECT_EQ(c.state, SealState::Damaged);
  EXPECT_EQ(c.why, "3 bytes, 10 when it was made");
  fs::remove(f);
  EXPECT_EQ(check_seal(f).state, SealState::Damaged);
  remove_sealed(f);
  EXPECT_FALSE(fs::exists(seal_path(f)));
}

// A record written before CRCs were recorded ("SIZE SHA256") is still checked, by its sha256;
// a record with a CRC is checked by the CRC, so a wrong CRC is damage however right the sha256.
TEST(LabSealedFile, RecordsWithoutACrcAreCheckedByTheirSha256) {
  TempDir t;
  const fs::path f = t.path / "img";
  write(f, "0123456789");
  const std::string sha = sha256_file(f.string());
  write(seal_path(f), "10 " + sha + "\n");
  EXPECT_EQ(check_seal(f).state, SealState::Intact);
  std::ifstream upgraded(seal_path(f));  // the CRC added once the bytes were found intact
  std::string size, sha_read, crc;
  upgraded >> size >> sha_read >> crc;
  EXPECT_EQ(sha_read, sha);
  EXPECT_EQ(crc.size(), 8u);
  write(seal_path(f), "10 " + sha + "\n");
  write(f, "0123456780");
  auto c = check_seal(f);
  EXPECT_EQ(c.state, SealState::Damaged);
  EXPECT_NE(c.why.find("sha256"), std::string::npos) << c.why;
  write(f, "0123456789");
  write(seal_path(f), "10 " + sha + " 00000000\n");
  c = check_seal(f);
  EXPECT_EQ(c.state, SealState::Damaged);
  EXPECT_NE(c.why.find("crc32"), std::string::npos) << c.why;
  seal_file(f);
  EXPECT_EQ(check_seal(f).state, SealState::Intact);
}
