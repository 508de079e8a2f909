// The quiz sandbox: a private network namespace for the calling (forked, single-threaded)
// process, and the few things a quiz setup does inside it. Holding a PrivateNetns is the proof
// that the process left the host's namespace, which is what makes writing net.* sysctls safe.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace tristate::quiz {

// The sandbox could not be made or set up; what() is one line naming the missing privilege
// or the failing operation and its errno.
class SandboxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Inode of the network namespace of `pid` ("self" or a number); 0 when it cannot be read.
std::uint64_t netns_inode(const std::string& pid);

class PrivateNetns {
 public:
  // Leaves the current network namespace: unshare(CLONE_NEWNET) when privileged, otherwise a
  // user namespace that maps root to the caller plus a network namespace (what
  // `unshare --user --map-root-user --net` does). Must run in a single-threaded process.
  // `host_inode` is the namespace that must never be touched (the parent's): entering is
  // only successful when the new inode differs from it. Throws SandboxError.
  static PrivateNetns enter(std::uint64_t host_inode);

  std::uint64_t inode() const { return inode_; }
  const std::string& method() const { return method_; }  // "netns" | "userns+netns"

  // ioctl(SIOCSIFFLAGS) IFF_UP on lo.
  void set_lo_up() const;
  // rtnetlink RTM_NEWADDR on lo: "127.5.5.5/8", "fd00::2/128" (no prefix: /32 or /128).
  // IPv6 addresses get IFA_F_NODAD so they are usable at once.
  void add_lo_address(const std::string& cidr) const;
  // Waits until `addr` can be bound and routed to. IPv6 addresses (::1 when lo comes up, and
  // the ones added) get their local route from a kernel workqueue after the netlink call
  // returns, so a connect() made at once can fail with ENETUNREACH. Throws SandboxError when
  // the address is still not usable after `limit_ms`.
  void wait_address_usable(const std::string& addr, int limit_ms = 2000) const;
  // Writes /proc/sys/<name with / for .>; net.* names only, and only after re-checking that
  // this process is still outside the host's namespace.
  void write_sysctl(const std::string& name, const std::string& value) const;
  // Reads a net.* sysctl, whitespace runs collapsed to one space ("60000 60000").
  std::string read_sysctl(const std::string& name) const;

 private:
  PrivateNetns(std::uint64_t host, std::uint64_t inode, std::string method)
      : host_inode_(host), inode_(inode), method_(std::move(method)) {}
  void check_private() const;

  std::uint64_t host_inode_ = 0;
  std::uint64_t inode_ = 0;
  std::string method_;
};

}  // namespace tristate::quiz
