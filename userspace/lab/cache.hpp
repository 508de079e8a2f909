// The lab's on-disk cache:
//   <root>/apt/<series>/{sources.list,lists/,cache/}   private apt configuration per series
//   <root>/apt/<series>.lock                            flock while apt runs for that series
//   <root>/kernels/<package>/{vmlinuz,manifest.json}    one extracted kernel per package
//   <root>/kernels/<package>/vmlinux.pvh[.none]         its uncompressed ELF (boot_image.hpp)
//   <root>/initramfs/<sha256>.cpio                      initramfs images by content hash, the
//                                                       most recently used kept (trim_initramfs)
// <root> is $XDG_CACHE_HOME/tristate, else $HOME/.cache/tristate.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tristate::lab {

struct KernelManifest {
  std::string origin = "series";  // series | package | version | path
  std::string series;             // "6.1" ("" when unknown)
  std::string package;            // Debian package the vmlinuz came from
  std::string version;            // Debian package version, e.g. 6.1.158-1
  std::string release;            // kernel release (uname -r), e.g. 6.1.0-41-cloud-amd64
  std::uint64_t size = 0;         // bytes of vmlinuz
  std::string sha256;             // of vmlinuz
  // of vmlinuz, what load() checks (lab/sealed_file: CRC-32 finds accidental damage at ~5x
  // SHA-256's speed); "" in a manifest written before, checked by its sha256 then
  std::string crc32;
  std::string fetched;            // ISO 8601 UTC
};

// True for an entry a series spec (`--kernel 6.12`) may use: fetched as that series or by
// package name. A build fetched by version (`--kernel 6.12.95`, bisect) carries its minor as
// series too, but the series means its own suites' newest (kernel_spec.hpp), not any build.
bool serves_series(const KernelManifest& m);

std::string manifest_to_json(const KernelManifest& m);
// Throws std::runtime_error naming `what` on bad JSON or missing fields.
KernelManifest manifest_from_json(const std::string& text, const std::string& what);

// A kernel ready to boot.
struct Kernel {
  std::filesystem::path vmlinuz;
  KernelManifest manifest;
};

// Thrown when a cache entry is present but unusable (missing vmlinuz, sha mismatch, bad
// manifest). what() names the path and the fix.
struct CorruptCacheEntry : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A kernel entry removed to keep the cache bounded, or by `kernels prune`.
struct Evicted {
  std::string package;
  std::uint64_t bytes = 0;
};

inline constexpr std::uint64_t kDefaultCacheMax = 4ull << 30;  // 4 GiB

// "4G", "500M", "123456" (bytes), "1.5G"; nullopt when not a size.
std::optional<std::uint64_t> parse_size(const std::string& text);

class Cache {
 public:
  // Root from the environment ($XDG_CACHE_HOME, $HOME); size bound from $TRISTATE_CACHE_MAX
  // (default 4 GiB). Throws naming the variable when its value is not a size.
  static Cache from_environment();
  explicit Cache(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path apt_dir(const std::string& series) const { return root_ / "apt" / series; }
  std::filesystem::path apt_lock(const std::string& series) const {
    return root_ / "apt" / (series + ".lock");
  }
  std::filesystem::path kernels_dir() const { return root_ / "kernels"; }
  std::filesystem::path kernel_dir(const std::string& package) const { return kernels_dir() / package; }
  std::filesystem::path initramfs_dir() const { return root_ / "initramfs"; }

  // Loads and verifies one entry (vmlinuz present, size and sha256 as recorded).
  // Throws CorruptCacheEntry naming the path and the fix.
  Kernel load(const std::filesystem::path& entry_dir) const;
  // Entries whose manifest reads; unverified (listing must stay fast). Newest first per series.
  std::vector<Kernel> list() const;
  // The newest cached entry of a series, verified; nullopt when none is cached.
  std::optional<Kernel> newest_of_series(const std::string& series) const;
  // Writes manifest.json for an extracted vmlinuz in entry_dir (computes size and sha256).
  Kernel install(const std::filesystem::path& entry_dir, KernelManifest m) const;
  // Removes everything under the root; returns the bytes freed.
  std::uint64_t prune() const;
  // Bounds the initramfs images (one per distinct set of files shipped, so one per build of
  // the binaries shipped: a day of work left ~150 images, 700 MB). Keeps the `keep` most
  // recently used (build_initramfs refreshes an image's mtime on each use) and any used less
  // than `min_age` ago, which a guest may be about to boot; removes the rest with their lock
  // files. Returns the bytes freed.
  std::uint64_t trim_initramfs(std::size_t keep, std::chrono::seconds min_age) const;
  // Total bytes under a directory (0 when it does not exist).
  static std::uint64_t disk_usage(const std::filesystem::path& dir);

  std::uint64_t max_bytes() const { return max_bytes_; }
  void set_max_bytes(std::uint64_t b) { max_bytes_ = b; }
  // Kernel entries by last use (load() refreshes the manifest's mtime), most recent first.
  std::vector<Kernel> by_last_use() const;
  // While the cache holds more than max_bytes(), removes the least recently used kernel
  // entries, never `keep` (the one just fetched) nor one used in the last 10 minutes (a
  // guest of this run may be about to boot it). Returns what it removed.
  std::vector<Evicted> evict(const std::string& keep = "") const;
  // Removes one kernel entry (vmlinuz, vmlinux.pvh, changelog, manifest).
  Evicted remove_kernel(const Kernel& k) const;

 private:
  std::filesystem::path root_;
  std::uint64_t max_bytes_ = kDefaultCacheMax;
};

// Holds an exclusive flock on a file (created if needed) for the object's lifetime, so two
// tristate processes never run apt on the same private lists or build the same entry.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

std::string utc_now_iso8601();

}  // namespace tristate::lab
