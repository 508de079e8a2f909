#include "lab/file_digests.hpp"

#include <sys/stat.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "util/atomic_file.hpp"

namespace fs = std::filesystem;

namespace tristate::lab {
namespace {

constexpr const char* kHeader = "tristate-file-digests/1";

std::int64_t ns(const timespec& t) { return std::int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec; }

template <typename Key>
std::optional<Key> stat_key(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  Key k;
  k.dev = st.st_dev;
  k.ino = st.st_ino;
  k.size = std::uint64_t(st.st_size);
  k.mtime_ns = ns(st.st_mtim);
  k.ctime_ns = ns(st.st_ctim);
  return k;
}

std::int64_t realtime_ns() {
  timespec t{};
  clock_gettime(CLOCK_REALTIME, &t);
  return ns(t);
}

}  // namespace

FileDigests FileDigests::load(const fs::path& file, std::chrono::nanoseconds settle) {
  FileDigests d;
  d.file_ = file;
  d.settle_ = settle;
  std::ifstream in(file);
  std::string line;
  if (!std::getline(in, line) || line != kHeader) return d;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    Entry e;
    std::string path;
    if (!(s >> e.sha256 >> e.key.dev >> e.key.ino >> e.key.size >> e.key.mtime_ns >> e.key.ctime_ns) ||
        e.sha256.size() != 64 || s.get() != ' ' || !std::getline(s, path) || path.empty() || path[0] != '/') {
      d.entries_.clear();  // garbled: trust none of it
      return d;
    }
    d.entries_[path] = e;
  }
  return d;
}

std::string FileDigests::sha256(const std::string& path) {
  const auto before = stat_key<Key>(path);
  if (before) {
    auto it = entries_.find(path);
    if (it != entries_.end() && it->second.key == *before) {
      it->second.used = true;
      ++reused_;
      return it->second.sha256;
    }
  }
  const std::int64_t started = realtime_ns();
  const std::string sha = sha256_file(path);  // throws, naming the path
  ++hashed_;
  const auto after = stat_key<Key>(path);
  // Remembered only for a file that did not change while it was read and had settled before.
  const std::int64_t settle = settle_.count();
  if (before && after && *before == *after && path.find('\n') == std::string::npos &&
      after->ctime_ns <= started - settle && after->mtime_ns <= started - settle) {
    entries_[path] = {*after, sha, true};
    changed_ = true;
  } else if (entries_.erase(path)) {
    changed_ = true;
  }
  return sha;
}

util::Result<void> FileDigests::save() const {
  if (!changed_ || file_.empty()) return {};
  std::ostringstream out;
  out << kHeader << '\n';
  for (const auto& [path, e] : entries_) {
    // an entry this run did not look at stays while its file is still as remembered
    if (!e.used) {
      const auto now = stat_key<Key>(path);
      if (!now || !(*now == e.key)) continue;
    }
    out << e.sha256 << ' ' << e.key.dev << ' ' << e.key.ino << ' ' << e.key.size << ' ' << e.key.mtime_ns << ' '
        << e.key.ctime_ns << ' ' << path << '\n';
  }
  std::error_code ec;
  fs::create_directories(file_.parent_path(), ec);
  return util::write_file_atomic(file_, out.str());
}

}  // namespace tristate::lab
