#include "ports/netns_target.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "trace/live_state.hpp"

namespace tristate::ports {

namespace {

trace::Result<NetnsTarget> open_path(const std::string& path, const std::string& name) {
  NetnsTarget t;
  t.name = name;
  t.fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!t.fd) return trace::Error{"--netns " + name + ": cannot open " + path + " (" + std::strerror(errno) + ")"};
  struct statfs fs {};
  struct stat st {};
  // a namespace file lives on nsfs; anything else is not a namespace
  if (fstatfs(t.fd.get(), &fs) != 0 || fs.f_type != NSFS_MAGIC || fstat(t.fd.get(), &st) != 0)
    return trace::Error{"--netns " + name + ": " + path +
                        " is not a namespace file (expected /proc/PID/ns/net or a bind mount under /run/netns)"};
  // a pid or mount namespace file passes the nsfs test, and setns() then said EINVAL, which
  // read as "needs CAP_SYS_ADMIN"
  if (const int type = ::ioctl(t.fd.get(), NS_GET_NSTYPE); type >= 0 && type != CLONE_NEWNET)
    return trace::Error{"--netns " + name + ": " + path +
                        " is a namespace file, but not of a network namespace (expected /proc/PID/ns/net or a "
                        "bind mount under /run/netns)"};
  t.inode = st.st_ino;
  return t;
}

}  // namespace

trace::Result<std::vector<NetnsTarget>> open_netns_targets(const std::string& text, const std::string& proc_root,
                                                           const std::string& run_netns) {
  std::vector<NetnsTarget> out;
  if (text.empty()) {
    auto t = open_path("/proc/self/ns/net", "self");
    if (!t) return t.error();
    t.value().fd.reset();  // read from here: no setns
    out.push_back(std::move(t.value()));
    return out;
  }
  if (text == "all") {
    for (const auto& [inode, path] : trace::find_network_namespaces(proc_root, run_netns)) {
      auto t = open_path(path, "inode " + std::to_string(inode) + " (" + path + ")");
      if (t) out.push_back(std::move(t.value()));  // a process that exited since the scan is no error
    }
    if (out.empty()) return trace::Error{"--netns all: no network namespace found under " + proc_root};
    return out;
  }
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const std::string path = proc_root + "/" + text + "/ns/net";
    struct stat st {};
    if (::stat((proc_root + "/" + text).c_str(), &st) != 0)
      return trace::Error{"--netns " + text + ": no process " + text + " (" + std::strerror(errno) + ")"};
    auto t = open_path(path, "pid " + text);
    if (!t) return t.error();
    out.push_back(std::move(t.value()));
    return out;
  }
  if (text.find('/') == std::string::npos)
    return trace::Error{"--netns '" + text + "': expected a path (/run/netns/NAME, /proc/PID/ns/net), a pid or 'all'"};
  auto t = open_path(text, text);
  if (!t) return t.error();
  out.push_back(std::move(t.value()));
  return out;
}

}  // namespace tristate::ports
