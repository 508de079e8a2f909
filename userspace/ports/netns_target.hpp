// Which network namespaces `tristate ports --netns` reads, each opened once at the start (an
// open namespace file keeps the namespace alive, and a pid that exits later changes nothing).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trace/result.hpp"
#include "util/unique_fd.hpp"

namespace tristate::ports {

struct NetnsTarget {
  std::string name;       // "self", the path given, "pid 812", or "inode N (/proc/812/ns/net)"
  std::uint64_t inode = 0;
  util::UniqueFd fd;      // an open namespace file; -1 for the caller's own (no setns needed)
};

// `text`: empty (the caller's), a path (/run/netns/NAME, /proc/PID/ns/net), a pid, or "all"
// (every namespace a process or /run/netns holds, found under proc_root and run_netns).
trace::Result<std::vector<NetnsTarget>> open_netns_targets(const std::string& text,
                                                           const std::string& proc_root = "/proc",
                                                           const std::string& run_netns = "/run/netns");

}  // namespace tristate::ports
