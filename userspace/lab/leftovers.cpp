#include "lab/leftovers.hpp"

#include <signal.h>

#include <cerrno>
#include <regex>

namespace fs = std::filesystem;

namespace tristate::lab {
namespace {

bool pid_alive(long pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

void sweep_dir(const fs::path& dir, std::chrono::seconds max_age, std::vector<Leftover>& out, int depth) {
  std::error_code ec;
  const auto old = fs::file_time_type::clock::now() - max_age;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    const fs::path p = it->path();
    const auto pid = staging_pid(p.filename().string());
    if (!pid) {
      if (depth > 0 && it->is_directory(ec) && !it->is_symlink(ec)) sweep_dir(p, max_age, out, depth - 1);
      continue;
    }
    std::string why;
    if (!pid_alive(*pid)) why = "pid " + std::to_string(*pid) + " is gone";
    else if (auto t = fs::last_write_time(p, ec); !ec && t < old)
      why = "older than " + std::to_string(std::chrono::duration_cast<std::chrono::hours>(max_age).count()) + " h";
    if (why.empty()) continue;
    const std::uint64_t bytes = it->is_directory(ec) ? Cache::disk_usage(p) : it->file_size(ec);
    std::error_code rm;
    fs::remove_all(p, rm);
    if (!rm) out.push_back({p, bytes, why});
  }
}

}  // namespace

std::optional<long> staging_pid(const std::string& name) {
  static const std::regex re(R"(^(\.stage-.+|\.tmp-.+|.+\.tmp)-([0-9]{1,9})$)");
  std::smatch m;
  if (!std::regex_match(name, m, re)) return std::nullopt;
  return std::stol(m[2].str());
}

std::vector<Leftover> sweep_leftovers(const Cache& cache, std::chrono::seconds max_age) {
  std::vector<Leftover> out;
  sweep_dir(cache.initramfs_dir(), max_age, out, 0);
  sweep_dir(cache.kernels_dir(), max_age, out, 1);  // and inside each kernel entry
  sweep_dir(cache.root() / "apt", max_age, out, 1);  // each series' sources.list, written atomically
  return out;
}

}  // namespace tristate::lab
