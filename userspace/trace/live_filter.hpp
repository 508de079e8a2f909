// Parsing of the live-trace filter arguments (`tristate trace -p/-c/--netns/--port/--cgroup`)
// into the values the BPF filters take. Pure except for the stat()/name_to_handle_at() of the
// paths a user names; errors are std::invalid_argument with a message for the user.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace tristate::trace {

struct PortRange {
  std::uint16_t lo = 0;
  std::uint16_t hi = 0;  // inclusive; lo == hi for one port
};

// "80", "32768-60999". Ports 1..65535, lo <= hi.
PortRange parse_port_range(const std::string& text);

// A network namespace given as an inode number ("4026531840") or as a path to a namespace
// file (/proc/PID/ns/net, /run/netns/NAME): the inode the kernel numbers it by.
std::uint64_t resolve_netns(const std::string& text);

// A cgroup v2 directory (e.g. /sys/fs/cgroup/system.slice/x.service) -> the id
// bpf_get_current_cgroup_id() returns: the kernfs id from name_to_handle_at(), which is the
// directory's inode number on 64-bit kernels (used when file handles are unsupported).
std::uint64_t resolve_cgroup(const std::string& path);

// -p: a positive process id.
std::uint32_t parse_pid(const std::string& text);

}  // namespace tristate::trace
