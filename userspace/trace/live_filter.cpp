#include "trace/live_filter.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <linux/magic.h>
#include <stdexcept>

namespace tristate::trace {
namespace {

// The whole string as a number in [lo, hi], or nullopt-like false.
bool parse_uint(const std::string& s, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out >= lo && out <= hi;
}

}  // namespace

PortRange parse_port_range(const std::string& text) {
  const auto dash = text.find('-');
  const std::string a = text.substr(0, dash);
  const std::string b = dash == std::string::npos ? a : text.substr(dash + 1);
  std::uint64_t lo = 0, hi = 0;
  if (!parse_uint(a, 1, 65535, lo) || !parse_uint(b, 1, 65535, hi))
    throw std::invalid_argument("--port '" + text + "': expected a port 1-65535 or a range P-Q");
  if (lo > hi)
    throw std::invalid_argument("--port '" + text + "': the range is empty (" + a + " > " + b + ")");
  return {static_cast<std::uint16_t>(lo), static_cast<std::uint16_t>(hi)};
}

std::uint64_t resolve_netns(const std::string& text) {
  std::uint64_t inode = 0;
  if (parse_uint(text, 1, UINT32_MAX, inode)) return inode;
  if (text.find('/') == std::string::npos)
    throw std::invalid_argument("--netns '" + text +
                                "': expected an inode number or a path such as /proc/PID/ns/net or /run/netns/NAME");
  struct stat st {};
  if (stat(text.c_str(), &st) != 0)
    throw std::invalid_argument("--netns " + text + ": " + std::strerror(errno));
  struct statfs fs {};
  // a namespace file lives on nsfs; anything else would give an inode no netns has
  if (statfs(text.c_str(), &fs) != 0 || fs.f_type != NSFS_MAGIC)
    throw std::invalid_argument("--netns " + text +
                                ": not a namespace file (expected /proc/PID/ns/net or a bind mount of one under /run/netns)");
  return st.st_ino;
}

std::uint64_t resolve_cgroup(const std::string& path) {
  struct statfs fs {};
  if (statfs(path.c_str(), &fs) != 0)
    throw std::invalid_argument("--cgroup " + path + ": " + std::strerror(errno));
  if (fs.f_type != CGROUP2_SUPER_MAGIC)
    throw std::invalid_argument("--cgroup " + path +
                                ": not on a cgroup v2 filesystem (mount -t cgroup2 none /sys/fs/cgroup)");
  alignas(struct file_handle) unsigned char buf[sizeof(struct file_handle) + 16] = {};
  auto* fh = reinterpret_cast<struct file_handle*>(buf);
  fh->handle_bytes = 16;
  int mount_id = 0;
  if (name_to_handle_at(AT_FDCWD, path.c_str(), fh, &mount_id, 0) == 0 && fh->handle_bytes == 8) {
    std::uint64_t id;
    std::memcpy(&id, fh->f_handle, sizeof(id));
    return id;
  }
  struct stat st {};
  if (stat(path.c_str(), &st) != 0)
    throw std::invalid_argument("--cgroup " + path + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) throw std::invalid_argument("--cgroup " + path + ": not a directory");
  return st.st_ino;
}

std::uint32_t parse_pid(const std::string& text) {
  std::uint64_t pid = 0;
  if (!parse_uint(text, 1, 4194304, pid))  // PID_MAX_LIMIT
    throw std::invalid_argument("-p '" + text + "': expected a process id");
  return static_cast<std::uint32_t>(pid);
}

}  // namespace tristate::trace
