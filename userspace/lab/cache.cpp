#include "lab/cache.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/file.h>
#include <unistd.h>

#include "lab/kernel_spec.hpp"
#include "lab/sealed_file.hpp"
#include "lab/sha256.hpp"
#include "util/atomic_file.hpp"

namespace fs = std::filesystem;

namespace tristate::lab {

std::string utc_now_iso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool serves_series(const KernelManifest& m) { return m.origin == "series" || m.origin == "package"; }

std::string manifest_to_json(const KernelManifest& m) {
  nlohmann::json j = {{"origin", m.origin},   {"series", m.series},   {"package", m.package},
                      {"version", m.version}, {"release", m.release}, {"size", m.size},
                      {"sha256", m.sha256},   {"fetched", m.fetched}};
  if (!m.crc32.empty()) j["crc32"] = m.crc32;
  return j.dump(2) + "\n";
}

KernelManifest manifest_from_json(const std::string& text, const std::string& what) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(what + ": not JSON: " + e.what());
  }
  KernelManifest m;
  try {
    m.origin = j.value("origin", "series");
    m.series = j.value("series", "");
    m.package = j.at("package").get<std::string>();
    m.version = j.value("version", "");
    m.release = j.value("release", "");
    m.size = j.at("size").get<std::uint64_t>();
    m.sha256 = j.at("sha256").get<std::string>();
    m.fetched = j.value("fetched", "");
    m.crc32 = j.value("crc32", "");
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(what + ": " + e.what());
  }
  return m;
}

std::optional<std::uint64_t> parse_size(const std::string& text) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  std::string unit = text.substr(used);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  if (unit.size() == 2 && (unit[1] == 'i' || unit[1] == 'I')) unit.pop_back();
  double mult = 1;
  if (unit.empty()) mult = 1;
  else if (unit == "K" || unit == "k") mult = 1024.0;
  else if (unit == "M" || unit == "m") mult = 1024.0 * 1024;
  else if (unit == "G" || unit == "g") mult = 1024.0 * 1024 * 1024;
  else if (unit == "T" || unit == "t") mult = 1024.0 * 1024 * 1024 * 1024;
  else return std::nullopt;
  if (!(v >= 0) || v * mult > 1e18) return std::nullopt;
  return static_cast<std::uint64_t>(v * mult);
}

Cache Cache::from_environment() {
  fs::path root;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) {
    root = fs::path(x) / "tristate";
  } else {
    const char* home = std::getenv("HOME");
    if (!home || !*home)
      throw std::runtime_error("cannot place the kernel cache: neither XDG_CACHE_HOME nor HOME is set");
    root = fs::path(home) / ".cache" / "tristate";
  }
  Cache c(root);
  if (const char* m = std::getenv("TRISTATE_CACHE_MAX"); m && *m) {
    auto b = parse_size(m);
    if (!b) throw std::runtime_error(std::string("TRISTATE_CACHE_MAX='") + m + "' is not a size (e.g. 4G, 500M)");
    c.set_max_bytes(*b);
  }
  return c;
}

std::vector<Kernel> Cache::by_last_use() const {
  auto all = list();
  std::vector<std::pair<fs::file_time_type, Kernel>> t;
  std::error_code ec;
  for (auto& k : all) t.push_back({fs::last_write_time(k.vmlinuz.parent_path() / "manifest.json", ec), k});
  std::stable_sort(t.begin(), t.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::vector<Kernel> out;
  for (auto& [_, k] : t) out.push_back(k);
  return out;
}

Evicted Cache::remove_kernel(const Kernel& k) const {
  const fs::path dir = k.vmlinuz.parent_path();
  Evicted e{k.manifest.package, disk_usage(dir)};
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) throw std::runtime_error("cannot remove " + dir.string() + ": " + ec.message());
  return e;
}

std::vector<Evicted> Cache::evict(const std::string& keep) const {
  std::vector<Evicted> out;
  std::uint64_t used = disk_usage(root_);
  if (used <= max_bytes_) return out;
  auto kernels = by_last_use();
  const auto recent = fs::file_time_type::clock::now() - std::chrono::minutes(10);
  std::error_code ec;
  for (auto it = kernels.rbegin(); it != kernels.rend() && used > max_bytes_; ++it) {
    if (it->manifest.package == keep) continue;
    if (fs::last_write_time(it->vmlinuz.parent_path() / "manifest.json", ec) > recent) continue;
    auto e = remove_kernel(*it);
    used = used > e.bytes ? used - e.bytes : 0;
    out.push_back(e);
  }
  return out;
}

Kernel Cache::load(const fs::path& dir) const {
  const std::string fix = "; run `tristate kernels prune` (or delete " + dir.string() +
                          ") and fetch it again";
  fs::path mpath = dir / "manifest.json";
  std::ifstream in(mpath);
  if (!in) throw CorruptCacheEntry("corrupt kernel cache entry " + dir.string() + ": " + mpath.string() + " is missing" + fix);
  std::stringstream ss;
  ss << in.rdbuf();
  KernelManifest m;
  try {
    m = manifest_from_json(ss.str(), mpath.string());
  } catch (const std::exception& e) {
    throw CorruptCacheEntry("corrupt kernel cache entry: " + std::string(e.what()) + fix);
  }
  fs::path vmlinuz = dir / "vmlinuz";
  std::error_code ec;
  auto size = fs::file_size(vmlinuz, ec);
  if (ec) throw CorruptCacheEntry("corrupt kernel cache entry: " + vmlinuz.string() + " is missing" + fix);
  if (size != m.size)
    throw CorruptCacheEntry("corrupt kernel cache entry: " + vmlinuz.string() + " has " +
                            std::to_string(size) + " bytes, manifest says " + std::to_string(m.size) + fix);
  // Every matrix loads each of its kernels: the CRC (~4 GB/s) where the manifest has one.
  const ContentCheck c = check_content(vmlinuz, m.sha256, m.crc32);
  if (!c.same)
    throw CorruptCacheEntry("corrupt kernel cache entry: " + vmlinuz.string() + " " + c.algorithm + " " + c.actual +
                            " does not match the manifest's " + (c.algorithm == "crc32" ? m.crc32 : m.sha256) + fix);
  if (!c.crc32.empty()) {  // found intact the slow way: the next load is the fast one (best effort)
    m.crc32 = c.crc32;
    if (!util::write_file_atomic(mpath, manifest_to_json(m))) m.crc32.clear();
  }
  // the manifest's mtime is the entry's last use: the size bound evicts the least recent
  fs::last_write_time(mpath, fs::file_time_type::clock::now(), ec);
  return {vmlinuz, m};
}

std::vector<Kernel> Cache::list() const {
  std::vector<Kernel> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(kernels_dir(), ec)) {
    if (!e.is_directory() || e.path().filename().string().starts_with(".")) continue;
    std::ifstream in(e.path() / "manifest.json");
    if (!in) continue;
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      out.push_back({e.path() / "vmlinuz", manifest_from_json(ss.str(), e.path().string())});
    } catch (const std::exception&) {
      // listed as nothing; load() reports it when someone asks for this kernel
    }
  }
  std::sort(out.begin(), out.end(), [](const Kernel& a, const Kernel& b) {
    if (a.manifest.series != b.manifest.series) return a.manifest.series < b.manifest.series;
    return version_less(b.manifest.package, a.manifest.package);
  });
  return out;
}

std::optional<Kernel> Cache::newest_of_series(const std::string& series) const {
  for (auto& k : list())
    if (k.manifest.series == series && serves_series(k.manifest))
      return load(k.vmlinuz.parent_path());
  return std::nullopt;
}

Kernel Cache::install(const fs::path& dir, KernelManifest m) const {
  fs::path vmlinuz = dir / "vmlinuz";
  m.size = fs::file_size(vmlinuz);
  m.sha256 = sha256_file(vmlinuz.string());
  m.crc32 = crc32_file(vmlinuz);
  if (m.fetched.empty()) m.fetched = utc_now_iso8601();
  const auto written = util::write_file_atomic(dir / "manifest.json", manifest_to_json(m));
  if (!written) throw std::runtime_error(written.error().message);
  return {vmlinuz, m};
}

std::uint64_t Cache::disk_usage(const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec))
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
  return total;
}

std::uint64_t Cache::prune() const {
  std::uint64_t bytes = disk_usage(root_);
  std::error_code ec;
  fs::remove_all(root_, ec);
  if (ec) throw std::runtime_error("cannot remove " + root_.string() + ": " + ec.message());
  return bytes;
}

std::uint64_t Cache::trim_initramfs(std::size_t keep, std::chrono::seconds min_age) const {
  struct Image {
    fs::path path;
    fs::file_time_type used;
  };
  std::vector<Image> images;
  std::error_code ec;
  for (auto it = fs::directory_iterator(initramfs_dir(), ec); !ec && it != fs::end(it); it.increment(ec)) {
    const fs::path& p = it->path();
    // .cpio.gz: the compressed images of earlier versions, trimmed like the others
    const std::string name = p.filename().string();
    if ((name.ends_with(".cpio") || name.ends_with(".cpio.gz")) && it->is_regular_file(ec)) {
      auto t = fs::last_write_time(p, ec);
      if (!ec) images.push_back({p, t});
    }
  }
  if (images.size() <= keep) return 0;
  std::sort(images.begin(), images.end(), [](const Image& a, const Image& b) { return a.used > b.used; });
  const auto young = fs::file_time_type::clock::now() - min_age;
  std::uint64_t freed = 0;
  for (std::size_t i = keep; i < images.size(); ++i) {
    if (images[i].used >= young) continue;
    const auto size = fs::file_size(images[i].path, ec);
    if (fs::remove(images[i].path, ec) && !ec) freed += size;
    // <hash>.cpio or <hash>.cpio.gz -> <hash>.lock
    const std::string name = images[i].path.filename().string();
    fs::remove(images[i].path.parent_path() / (name.substr(0, name.find('.')) + ".lock"), ec);
    fs::remove(images[i].path.string() + ".sha256", ec);
  }
  return freed;
}

FileLock::FileLock(const fs::path& path) {
  fs::create_directories(path.parent_path());
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open lock " + path.string() + ": " + std::strerror(errno));
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) {
      ::close(fd_);
      throw std::runtime_error("cannot lock " + path.string() + ": " + std::strerror(errno));
    }
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace tristate::lab
