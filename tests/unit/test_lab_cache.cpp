// Cache layout, manifests, corruption detection, initramfs content hashing (rootless).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "lab/cache.hpp"
#include "lab/catalog.hpp"
#include "lab/initramfs.hpp"
#include "lab/process.hpp"
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

Kernel fake_kernel(const Cache& c, const std::string& pkg, const std::string& series) {
  write(c.kernel_dir(pkg) / "vmlinuz", "not really a kernel: " + pkg);
  KernelManifest m;
  m.series = series;
  m.package = pkg;
  m.version = "1";
  return c.install(c.kernel_dir(pkg), m);
}

}  // namespace

TEST(LabSha256, KnownVectors) {
  Sha256 a;
  EXPECT_EQ(a.hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 b;
  b.update("abc");
  EXPECT_EQ(b.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 c;  // crosses block boundaries in odd pieces
  std::string s(1000, 'a');
  c.update(s.substr(0, 63));
  c.update(s.substr(63));
  Sha256 d;
  d.update(s);
  EXPECT_EQ(c.hex(), d.hex());
  Sha256 e;
  e.update("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
  EXPECT_EQ(e.hex(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(LabCache, RootFromEnvironment) {
  const char* old_xdg = getenv("XDG_CACHE_HOME");
  std::string saved = old_xdg ? old_xdg : "";
  setenv("XDG_CACHE_HOME", "/x/cache", 1);
  EXPECT_EQ(Cache::from_environment().root(), "/x/cache/tristate");
  unsetenv("XDG_CACHE_HOME");
  const char* home = getenv("HOME");
  if (home) {
    EXPECT_EQ(Cache::from_environment().root(), fs::path(home) / ".cache" / "tristate");
  }
  if (old_xdg) setenv("XDG_CACHE_HOME", saved.c_str(), 1);
}

TEST(LabCache, Layout) {
  Cache c("/r");
  EXPECT_EQ(c.kernel_dir("linux-image-6.1.0-56-cloud-amd64"), "/r/kernels/linux-image-6.1.0-56-cloud-amd64");
  EXPECT_EQ(c.apt_dir("5.10"), "/r/apt/5.10");
  EXPECT_EQ(c.initramfs_dir(), "/r/initramfs");
}

TEST(LabCache, InstallLoadAndListNewestFirst) {
  TempDir t;
  Cache c(t.path);
  fake_kernel(c, "linux-image-6.1.0-9-cloud-amd64", "6.1");
  fake_kernel(c, "linux-image-6.1.0-28-cloud-amd64", "6.1");
  fake_kernel(c, "linux-image-5.10.0-46-cloud-amd64", "5.10");
  auto k = c.load(c.kernel_dir("linux-image-6.1.0-28-cloud-amd64"));
  EXPECT_EQ(k.manifest.sha256, sha256_file(k.vmlinuz.string()));
  EXPECT_EQ(k.manifest.size, fs::file_size(k.vmlinuz));
  auto newest = c.newest_of_series("6.1");
  ASSERT_TRUE(newest);
  EXPECT_EQ(newest->manifest.package, "linux-image-6.1.0-28-cloud-amd64");
  EXPECT_FALSE(c.newest_of_series("6.12"));
  EXPECT_EQ(c.list().size(), 3u);
  // resolving a cached series needs no apt at all: point apt at nothing and it still works
  setenv("TRISTATE_DEBIAN_SOURCES", "/nonexistent", 1);
  auto r = resolve_kernel(parse_kernel_spec("6.1"), c, nullptr);
  unsetenv("TRISTATE_DEBIAN_SOURCES");
  EXPECT_EQ(r.manifest.package, "linux-image-6.1.0-28-cloud-amd64");
}

TEST(LabCache, ManifestRoundTrip) {
  KernelManifest m;
  m.series = "6.12";
  m.package = "linux-image-6.12.117+deb12-cloud-amd64";
  m.version = "6.12.117-1~deb12u1";
  m.release = "6.12.117+deb12-cloud-amd64";
  m.size = 123;
  m.sha256 = "ab";
  auto back = manifest_from_json(manifest_to_json(m), "m.json");
  EXPECT_EQ(back.package, m.package);
  EXPECT_EQ(back.version, m.version);
  EXPECT_EQ(back.release, m.release);
  EXPECT_EQ(back.size, 123u);
  EXPECT_THROW(manifest_from_json("{", "m.json"), std::runtime_error);
  EXPECT_THROW(manifest_from_json("{\"series\":\"6.1\"}", "m.json"), std::runtime_error);
}

TEST(LabCache, CorruptEntriesNameThePathAndTheFix) {
  TempDir t;
  Cache c(t.path);
  auto k = fake_kernel(c, "linux-image-6.1.0-28-cloud-amd64", "6.1");
  auto expect_corrupt = [&](const std::string& why) {
    try {
      c.load(k.vmlinuz.parent_path());
      ADD_FAILURE() << why << ": load succeeded";
    } catch (const CorruptCacheEntry& e) {
      std::string m = e.what();
      EXPECT_NE(m.find(k.vmlinuz.parent_path().string()), std::string::npos) << m;
      EXPECT_NE(m.find("tristate kernels prune"), std::string::npos) << m;
      EXPECT_NE(m.find(why), std::string::npos) << m;
    }
  };
  write(k.vmlinuz, "not really a kernel: linux-image-6.1.0-28-cloud-amd6X");  // same size
  expect_corrupt("crc32");
  {  // a manifest of an earlier version (no crc32) is checked by its sha256
    std::ifstream in(k.vmlinuz.parent_path() / "manifest.json");
    auto j = nlohmann::json::parse(in);
    ASSERT_TRUE(j.contains("crc32"));
    j.erase("crc32");
    write(k.vmlinuz.parent_path() / "manifest.json", j.dump());
  }
  expect_corrupt("sha256");
  write(k.vmlinuz, "not really a kernel: linux-image-6.1.0-28-cloud-amd64");  // as installed
  EXPECT_EQ(c.load(k.vmlinuz.parent_path()).manifest.crc32, crc32_file(k.vmlinuz));  // and now recorded
  {
    std::ifstream in(k.vmlinuz.parent_path() / "manifest.json");
    EXPECT_EQ(nlohmann::json::parse(in).value("crc32", ""), crc32_file(k.vmlinuz));
  }
  write(k.vmlinuz, "short");
  expect_corrupt("bytes");
  fs::remove(k.vmlinuz);
  expect_corrupt("missing");
}

TEST(LabCache, CorruptEntryWithoutMirrorFailsWithBothReasons) {
  TempDir t;
  Cache c(t.path);
  auto k = fake_kernel(c, "linux-image-6.1.0-28-cloud-amd64", "6.1");
  write(k.vmlinuz, "tampered");
  write(t.path / "bad.sources", "Types: deb\n");  // no URIs: the refetch must fail
  setenv("TRISTATE_DEBIAN_SOURCES", (t.path / "bad.sources").c_str(), 1);
  std::vector<std::string> progress;
  try {
    resolve_kernel(parse_kernel_spec("6.1"), c, [&](const std::string& s) { progress.push_back(s); });
    ADD_FAILURE() << "resolved a corrupt entry";
  } catch (const std::runtime_error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("corrupt kernel cache entry"), std::string::npos) << m;
    EXPECT_NE(m.find("fetching it again failed"), std::string::npos) << m;
    EXPECT_NE(m.find("bad.sources"), std::string::npos) << m;
  }
  unsetenv("TRISTATE_DEBIAN_SOURCES");
  ASSERT_FALSE(progress.empty());
  EXPECT_NE(progress[0].find("fetching it again"), std::string::npos);
}

TEST(LabInitramfs, CachedByContent) {
  if (!fs::exists("/bin/busybox") || !have_program("cpio"))
    GTEST_FAIL() << "busybox-static and cpio are required (apt-get install busybox-static cpio)";
  TempDir t;
  Cache c(t.path);
  write(t.path / "data" / "q.quiz", ">>> 1\n1\n");
  InitramfsSpec s;
  s.executables = {"/bin/true"};
  s.files = {{(t.path / "data" / "q.quiz").string(), "/quizzes/q.quiz"}};
  s.init = make_init_script({"true"}, "/tmp/result");
  int builds = 0;
  auto count = [&](const std::string&) { ++builds; };
  auto a = build_initramfs(s, c, count);
  auto b = build_initramfs(s, c, count);
  EXPECT_EQ(a, b);
  EXPECT_EQ(builds, 1);
  s.init = make_init_script({"false"}, "/tmp/result");
  auto d = build_initramfs(s, c, count);
  EXPECT_NE(a, d);
  write(t.path / "data" / "q.quiz", ">>> 2\n2\n");
  s.init = make_init_script({"true"}, "/tmp/result");
  EXPECT_NE(build_initramfs(s, c, count), a);  // a changed quiz is a new image
  auto listing = run_tool({"sh", "-c", "cpio -t --quiet < \"$1\"", "sh", a.string()});
  for (auto want : {"init", "bin/busybox", "usr/bin/true", "quizzes/q.quiz", "lib64/ld-linux-x86-64.so.2"})
    EXPECT_NE(listing.out.find(std::string(want) + "\n"), std::string::npos) << want << "\n" << listing.out;
}

// The image's name hashes its inputs, so a damaged image kept its name and was booted on every
// run ("wrote no report (exit status 127)"); its bytes are now checked against a record.
TEST(LabInitramfs, DamagedImageIsRebuiltSayingSo) {
  if (!fs::exists("/bin/busybox") || !have_program("cpio"))
    GTEST_FAIL() << "busybox-static and cpio are required (apt-get install busybox-static cpio)";
  TempDir t;
  Cache c(t.path);
  InitramfsSpec s;
  s.executables = {"/bin/true"};
  s.init = make_init_script({"true"}, "/tmp/result");
  std::vector<std::string> said;
  auto note = [&](const std::string& l) { said.push_back(l); };
  const fs::path img = build_initramfs(s, c, note);
  ASSERT_TRUE(fs::exists(img.string() + ".sha256"));
  const auto good = sha256_file(img.string());
  const auto size = fs::file_size(img);

  // The archive records no mtimes, so a rebuilt image is byte-identical to the first.
  auto damaged_then_rebuilt = [&](const std::string& what) {
    said.clear();
    EXPECT_EQ(build_initramfs(s, c, note), img);
    EXPECT_EQ(sha256_file(img.string()), good) << what;
    EXPECT_EQ(check_seal(img).state, SealState::Intact) << what;
    EXPECT_EQ(run_tool({"sh", "-c", "cpio -t --quiet < \"$1\" > /dev/null", "sh", img.string()}).status, 0) << what;
    ASSERT_EQ(said.size(), 2u) << what;  // the damage, then the build
    EXPECT_NE(said[0].find("cached initramfs " + img.string() + " is damaged"), std::string::npos) << said[0];
  };
  {  // same size, one byte changed in the middle
    std::fstream f(img, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(size / 2));
    const char c = static_cast<char>(f.get());
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.put(static_cast<char>(c ^ 0x5a));
  }
  ASSERT_EQ(fs::file_size(img), size);
  ASSERT_NE(sha256_file(img.string()), good);
  damaged_then_rebuilt("same-size damage");
  fs::resize_file(img, size / 3);
  damaged_then_rebuilt("truncated");

  said.clear();
  EXPECT_EQ(build_initramfs(s, c, note), img);  // intact: reused silently
  EXPECT_TRUE(said.empty());
}

// One image per distinct set of shipped files: without a bound the cache grew by an image per
// build of a shipped binary (~150 images, 700 MB in a day of work).
TEST(LabCache, TrimInitramfsKeepsTheMostRecentlyUsed) {
  // even images are today's, odd ones the compressed images of earlier versions
  auto image = [](int i) { return "img" + std::to_string(i) + (i % 2 ? ".cpio.gz" : ".cpio"); };
  TempDir t;
  Cache c(t.path);
  const auto now = fs::file_time_type::clock::now();
  for (int i = 0; i < 6; ++i) {
    const fs::path img = c.initramfs_dir() / image(i);
    write(img, std::string(100, 'x'));
    write(c.initramfs_dir() / ("img" + std::to_string(i) + ".lock"), "");
    // img0 used 6 hours ago ... img5 1 hour ago; img1 used just now
    fs::last_write_time(img, i == 1 ? now : now - std::chrono::hours(6 - i));
  }
  write(c.initramfs_dir() / "notes.txt", "not an image");
  EXPECT_EQ(c.trim_initramfs(10, std::chrono::minutes(30)), 0u);  // under the bound: nothing
  // keep 2: img1 (just used) and img5 stay; img4, img3, img2, img0 go with their locks
  EXPECT_EQ(c.trim_initramfs(2, std::chrono::minutes(30)), 400u);
  for (int i = 0; i < 6; ++i) {
    const bool kept = i == 1 || i == 5;
    EXPECT_EQ(fs::exists(c.initramfs_dir() / image(i)), kept) << i;
    EXPECT_EQ(fs::exists(c.initramfs_dir() / ("img" + std::to_string(i) + ".lock")), kept) << i;
  }
  EXPECT_TRUE(fs::exists(c.initramfs_dir() / "notes.txt"));
  // an image used within min_age stays even past the bound: a guest may be about to boot it
  EXPECT_EQ(c.trim_initramfs(0, std::chrono::hours(2)), 0u);
  EXPECT_TRUE(fs::exists(c.initramfs_dir() / image(1)));
  EXPECT_TRUE(fs::exists(c.initramfs_dir() / image(5)));
  EXPECT_EQ(c.trim_initramfs(0, std::chrono::minutes(30)), 100u);  // img5, an hour old, goes
  EXPECT_TRUE(fs::exists(c.initramfs_dir() / image(1)));
}

TEST(LabInitramfs, LddListsLoaderAndLibc) {
  auto libs = ldd_libraries("/bin/true");
  bool libc = false, loader = false;
  for (auto& l : libs) {
    if (l.find("libc.so") != std::string::npos) libc = true;
    if (l == "/lib64/ld-linux-x86-64.so.2") loader = true;
  }
  EXPECT_TRUE(libc);
  EXPECT_TRUE(loader);
  EXPECT_TRUE(ldd_libraries("/bin/busybox").empty());  // static
}

TEST(LabCache, SizesForTheBound) {
  EXPECT_EQ(parse_size("4G"), 4ull << 30);
  EXPECT_EQ(parse_size("500M"), 500ull << 20);
  EXPECT_EQ(parse_size("1.5GiB"), 3ull << 29);
  EXPECT_EQ(parse_size("123"), 123u);
  EXPECT_FALSE(parse_size("lots"));
  EXPECT_FALSE(parse_size("-1G"));
  EXPECT_FALSE(parse_size("4X"));
  setenv("XDG_CACHE_HOME", "/x", 1);
  setenv("TRISTATE_CACHE_MAX", "2G", 1);
  EXPECT_EQ(Cache::from_environment().max_bytes(), 2ull << 30);
  setenv("TRISTATE_CACHE_MAX", "big", 1);
  EXPECT_THROW(Cache::from_environment(), std::runtime_error);
  unsetenv("TRISTATE_CACHE_MAX");
  EXPECT_EQ(Cache::from_environment().max_bytes(), kDefaultCacheMax);
  unsetenv("XDG_CACHE_HOME");
}

// The bound removes the least recently used kernels (load() marks a use), never the one just
// fetched nor one used in the last minutes.
TEST(LabCache, EvictsLeastRecentlyUsedKernels) {
  TempDir t;
  Cache c(t.path);
  const auto now = fs::file_time_type::clock::now();
  std::vector<std::string> pkgs;
  for (int i = 0; i < 5; ++i) {
    const std::string pkg = "linux-image-6.17." + std::to_string(i) + "+deb13-cloud-amd64";
    write(c.kernel_dir(pkg) / "vmlinuz", std::string(100000, char('a' + i)));
    KernelManifest m;
    m.series = "6.17";
    m.package = pkg;
    m.origin = "version";
    c.install(c.kernel_dir(pkg), m);
    // used 5 h ago (i = 0) ... 1 h ago (i = 4)
    fs::last_write_time(c.kernel_dir(pkg) / "manifest.json", now - std::chrono::hours(5 - i));
    pkgs.push_back(pkg);
  }
  c.load(c.kernel_dir(pkgs[1]));  // used now: the most recent, and too recent to evict
  const auto order = c.by_last_use();
  ASSERT_EQ(order.size(), 5u);
  EXPECT_EQ(order[0].manifest.package, pkgs[1]);
  EXPECT_EQ(order[4].manifest.package, pkgs[0]);
  c.set_max_bytes(1u << 30);
  EXPECT_TRUE(c.evict().empty());  // under the bound
  c.set_max_bytes(250000);         // room for two entries
  const auto gone = c.evict(pkgs[0]);
  std::vector<std::string> names;
  for (auto& e : gone) names.push_back(e.package);
  EXPECT_EQ(names, (std::vector<std::string>{pkgs[2], pkgs[3], pkgs[4]}));  // oldest first; 0 kept, 1 recent
  EXPECT_TRUE(fs::exists(c.kernel_dir(pkgs[0])));
  EXPECT_TRUE(fs::exists(c.kernel_dir(pkgs[1])));
  EXPECT_FALSE(fs::exists(c.kernel_dir(pkgs[2])));
  EXPECT_LE(Cache::disk_usage(t.path), 250000u);
}

// A build fetched by version carries its minor as series; `--kernel 6.12` must still mean the
// series' own newest (bookworm-security), not a newer-named trixie build fetched for a bisect
// (seen: 6.12.118+deb13 taken for series 6.12 broke the offline and boot tests).
TEST(LabCache, SeriesIgnoresBuildsFetchedByVersion) {
  TempDir t;
  Cache c(t.path);
  fake_kernel(c, "linux-image-6.12.118+deb12-cloud-amd64", "6.12");
  write(c.kernel_dir("linux-image-6.12.118+deb13-cloud-amd64") / "vmlinuz", "k");
  KernelManifest m;
  m.series = "6.12";
  m.origin = "version";
  m.package = "linux-image-6.12.118+deb13-cloud-amd64";
  c.install(c.kernel_dir(m.package), m);
  auto k = c.newest_of_series("6.12");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->manifest.package, "linux-image-6.12.118+deb12-cloud-amd64");
}

TEST(LabCatalog, AKernelPathMustBeAKernelImage) {
  // any other file reached qemu, which said "linux kernel too old to load a ram disk"
  TempDir d;
  Cache c(d.path / "cache");
  const auto text = d.path / "passwd-copy";
  std::ofstream(text) << "root:x:0:0:root:/root:/bin/bash\n";
  try {
    resolve_kernel(parse_kernel_spec(text.string()), c, nullptr);
    FAIL() << "a text file was taken for a kernel";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), text.string() + ": not a Linux kernel image (no bzImage header, not an ELF); "
                                                      "expected a vmlinuz/bzImage file");
  }
  std::string bz(0x400, '\0');
  bz.replace(0x202, 4, "HdrS");
  std::ofstream(d.path / "vmlinuz", std::ios::binary) << bz;
  EXPECT_EQ(resolve_kernel(parse_kernel_spec((d.path / "vmlinuz").string()), c, nullptr).manifest.origin, "path");
  std::ofstream(d.path / "vmlinux", std::ios::binary) << std::string("\x7f" "ELF\2\1\1", 7) << std::string(64, '\0');
  EXPECT_EQ(resolve_kernel(parse_kernel_spec((d.path / "vmlinux").string()), c, nullptr).manifest.origin, "path");
}
