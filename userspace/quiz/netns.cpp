#include "quiz/netns.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/unique_fd.hpp"
#include "util/errno_names.hpp"

namespace tristate::quiz {
namespace {

std::string errno_text(int err) {
  return util::errno_label(err) + " (" + std::strerror(err) + ")";
}

[[noreturn]] void fail(const std::string& what, int err) {
  throw SandboxError(what + ": " + errno_text(err));
}

// Writes a whole small file (uid_map, setgroups, a sysctl) with one write(), as the kernel
// expects for these files.
int write_file(const std::string& path, const std::string& text) {
  util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return errno;
  ssize_t n = ::write(fd.get(), text.data(), text.size());
  if (n < 0) return errno;
  if (static_cast<std::size_t>(n) != text.size()) return EIO;
  return 0;
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  return line;
}

// Why an unprivileged user namespace could not be made, from the knobs that forbid it.
std::string userns_hint() {
  std::string hint;
  const std::string clone = read_first_line("/proc/sys/kernel/unprivileged_userns_clone");
  if (clone == "0") hint += "; user namespaces disabled: /proc/sys/kernel/unprivileged_userns_clone = 0";
  const std::string max = read_first_line("/proc/sys/user/max_user_namespaces");
  if (max == "0") hint += "; user namespaces disabled: /proc/sys/user/max_user_namespaces = 0";
  return hint;
}

// "net.ipv4.ip_local_port_range" -> "/proc/sys/net/ipv4/ip_local_port_range"; anything that
// is not a plain net.* name is refused so no other sysctl can ever be reached.
std::string sysctl_path(const std::string& name) {
  if (name.rfind("net.", 0) != 0 || name.find("..") != std::string::npos || name.back() == '.')
    throw SandboxError("refusing sysctl '" + name + "': only net.* names are per-namespace");
  std::string path = "/proc/sys/";
  for (char c : name) {
    if (c == '.') {
      path += '/';
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') {
      path += c;
    } else {
      throw SandboxError("refusing sysctl '" + name + "': unexpected character");
    }
  }
  return path;
}

// An address for lo as the quiz file wrote it: "ADDR" or "ADDR/PREFIX", IPv4 or IPv6.
struct LoAddress {
  int family = AF_INET;
  unsigned char bytes[16] = {};
  std::size_t len = 4;
  int prefix = 32;
};

LoAddress parse_lo_address(const std::string& cidr) {
  LoAddress a;
  std::string addr = cidr;
  int prefix = -1;
  if (auto slash = cidr.find('/'); slash != std::string::npos) {
    addr = cidr.substr(0, slash);
    try {
      prefix = std::stoi(cidr.substr(slash + 1));
    } catch (const std::exception&) {
      throw SandboxError("bad address '" + cidr + "': prefix length is not a number");
    }
  }
  if (inet_pton(AF_INET, addr.c_str(), a.bytes) != 1) {
    if (inet_pton(AF_INET6, addr.c_str(), a.bytes) != 1)
      throw SandboxError("bad address '" + cidr + "': not an IPv4 or IPv6 literal");
    a.family = AF_INET6;
    a.len = 16;
  }
  const int max_prefix = a.family == AF_INET ? 32 : 128;
  if (prefix > max_prefix)
    throw SandboxError("bad address '" + cidr + "': prefix length above " + std::to_string(max_prefix));
  a.prefix = prefix < 0 ? max_prefix : prefix;
  return a;
}

// Sends one rtnetlink request and waits for the kernel's acknowledgement; `what` names the
// request in errors.
void rtnetlink_call(const nlmsghdr& request, const std::string& what) {
  util::UniqueFd nl(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!nl) fail("socket(AF_NETLINK, NETLINK_ROUTE)", errno);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(nl.get(), &request, request.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    fail("rtnetlink " + what, errno);
  char buf[4096];
  ssize_t n = ::recv(nl.get(), buf, sizeof buf, 0);
  if (n < 0) fail("rtnetlink " + what + " (reading the answer)", errno);
  for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<unsigned>(n)); h = NLMSG_NEXT(h, n)) {
    if (h->nlmsg_type == NLMSG_ERROR) {
      const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
      if (e->error != 0) fail("rtnetlink " + what, -e->error);
      return;
    }
  }
  throw SandboxError("rtnetlink " + what + ": no acknowledgement from the kernel");
}

}  // namespace

std::uint64_t netns_inode(const std::string& pid) {
  struct stat st {};
  if (::stat(("/proc/" + pid + "/ns/net").c_str(), &st) != 0) return 0;
  return st.st_ino;
}

PrivateNetns PrivateNetns::enter(std::uint64_t host_inode) {
  if (host_inode == 0) throw SandboxError("cannot read /proc/self/ns/net: is /proc mounted?");
  std::string method = "netns";
  if (::unshare(CLONE_NEWNET) != 0) {
    const int net_err = errno;
    if (net_err != EPERM) fail("unshare(CLONE_NEWNET)", net_err);
    // No CAP_SYS_ADMIN: a user namespace grants it over a network namespace it owns.
    const uid_t uid = ::geteuid();
    const gid_t gid = ::getegid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) {
      const int user_err = errno;
      throw SandboxError(
          "cannot create a network namespace: unshare(CLONE_NEWNET) needs CAP_SYS_ADMIN "
          "(EPERM), and unshare(CLONE_NEWUSER|CLONE_NEWNET) failed with " +
          errno_text(user_err) + userns_hint());
    }
    // setgroups must be denied before an unprivileged process may write its gid_map.
    if (int e = write_file("/proc/self/setgroups", "deny"); e && e != ENOENT)
      fail("user namespace: writing /proc/self/setgroups", e);
    if (int e = write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1"))
      fail("user namespace: writing /proc/self/uid_map", e);
    if (int e = write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"))
      fail("user namespace: writing /proc/self/gid_map", e);
    method = "userns+netns";
  }
  const std::uint64_t inode = netns_inode("self");
  if (inode == 0 || inode == host_inode)
    throw SandboxError("unshare succeeded but /proc/self/ns/net is still the host's namespace");
  return PrivateNetns(host_inode, inode, method);
}

void PrivateNetns::check_private() const {
  const std::uint64_t now = netns_inode("self");
  if (now == 0 || now == host_inode_ || now != inode_)
    throw SandboxError("not inside the quiz's own network namespace: refusing to change it");
}

void PrivateNetns::set_lo_up() const {
  check_private();
  util::UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) fail("socket(AF_INET, SOCK_DGRAM) for ioctl", errno);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) fail("ioctl(SIOCGIFFLAGS, lo)", errno);
  ifr.ifr_flags |= IFF_UP;
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) fail("ioctl(SIOCSIFFLAGS, lo up)", errno);
}

void PrivateNetns::add_lo_address(const std::string& cidr) const {
  check_private();
  const LoAddress a = parse_lo_address(cidr);
  const unsigned ifindex = if_nametoindex("lo");
  if (ifindex == 0) fail("if_nametoindex(lo)", errno);

  struct {
    nlmsghdr nh;
    ifaddrmsg ifa;
    char attrs[64];
  } req{};
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(ifaddrmsg));
  req.nh.nlmsg_type = RTM_NEWADDR;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
  req.nh.nlmsg_seq = 1;
  req.ifa.ifa_family = static_cast<unsigned char>(a.family);
  req.ifa.ifa_prefixlen = static_cast<unsigned char>(a.prefix);
  req.ifa.ifa_flags = a.family == AF_INET6 ? IFA_F_NODAD : 0;
  req.ifa.ifa_scope = RT_SCOPE_HOST;
  req.ifa.ifa_index = ifindex;
  auto add_attr = [&](unsigned short type, const void* data, std::size_t n) {
    auto* rta = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&req) +
                                          NLMSG_ALIGN(req.nh.nlmsg_len));
    rta->rta_type = type;
    rta->rta_len = static_cast<unsigned short>(RTA_LENGTH(n));
    std::memcpy(RTA_DATA(rta), data, n);
    req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
  };
  add_attr(IFA_LOCAL, a.bytes, a.len);
  add_attr(IFA_ADDRESS, a.bytes, a.len);
  if (a.family == AF_INET6 && a.prefix == 128) {
    // A /128's prefix route only duplicates its local route, and with it this kernel (6.18)
    // made TCP connect()s to the address fail once with ENETUNREACH about a second after the
    // address was added (SYN-ACK route lookup: Ip6OutNoRoutes); without it, no such flap.
    const std::uint32_t flags = IFA_F_NODAD | IFA_F_NOPREFIXROUTE;
    add_attr(IFA_FLAGS, &flags, sizeof flags);
  }
  rtnetlink_call(req.nh, "RTM_NEWADDR " + cidr + " on lo");
}

void PrivateNetns::wait_address_usable(const std::string& cidr, int limit_ms) const {
  const std::string addr = cidr.substr(0, cidr.find('/'));
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
  if (inet_pton(AF_INET, addr.c_str(), &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr) == 1) {
    ss.ss_family = AF_INET;
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, addr.c_str(), &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr) == 1) {
    ss.ss_family = family = AF_INET6;
    len = sizeof(sockaddr_in6);
  } else {
    throw SandboxError("bad address '" + cidr + "': not an IPv4 or IPv6 literal");
  }
  // UDP probes: bind() fails while the address is tentative, connect() while it has no
  // route. Neither touches the TCP bind table the quizzes are about.
  int last_err = 0;
  std::string last_what;
  for (int waited_us = 0; waited_us <= limit_ms * 1000; waited_us += 50) {
    util::UniqueFd u(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!u) fail("socket(SOCK_DGRAM) to probe " + addr, errno);
    reinterpret_cast<sockaddr_in*>(&ss)->sin_port = 0;  // same offset in sockaddr_in6
    if (::bind(u.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      last_err = errno;
      last_what = "bind";
    } else {
      reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(9);
      if (::connect(u.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0) return;
      last_err = errno;
      last_what = "route";
    }
    ::usleep(50);
  }
  throw SandboxError("address " + addr + " on lo not usable after " + std::to_string(limit_ms) +
                     " ms (" + last_what + ": " + errno_text(last_err) + ")");
}

void PrivateNetns::write_sysctl(const std::string& name, const std::string& value) const {
  const std::string path = sysctl_path(name);
  check_private();
  if (int e = write_file(path, value + "\n")) fail("writing " + name + " = " + value, e);
}

std::string PrivateNetns::read_sysctl(const std::string& name) const {
  const std::string path = sysctl_path(name);
  std::ifstream in(path);
  if (!in) throw SandboxError("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string out, word;
  std::istringstream words(ss.str());
  while (words >> word) {
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

}  // namespace tristate::quiz
