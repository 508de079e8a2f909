#include "ports/port_count.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

extern "C" {
#include "bpf/ports.h"
}

namespace tristate::ports {

const char* holder_kind_name(HolderKind k) {
  switch (k) {
    case HolderKind::Listener: return "listener";
    case HolderKind::ExplicitPort: return "explicit_port";
    case HolderKind::PortZero: return "port0_bind";
    case HolderKind::NoFile: return "no_file";
  }
  return "?";
}

// Cloudflare's "The quantum state of a TCP port" ends with this advice; a kind gets the part
// that applies to it.
const char* holder_kind_remedy(HolderKind k) {
  switch (k) {
    case HolderKind::Listener:
      return "a server port inside ip_local_port_range: move the range off it, or add the port to "
             "ip_local_reserved_ports";
    case HolderKind::ExplicitPort:
      return "bind() to a fixed port before connect(): connect() without bind(), or bind(addr, 0) with "
             "IP_BIND_ADDRESS_NO_PORT (SO_REUSEADDR does not let connect() share the port)";
    case HolderKind::PortZero:
      return "bind(addr, 0) before connect(): set IP_BIND_ADDRESS_NO_PORT before bind() so that the port "
             "is picked at connect() and shared per destination (or IP_LOCAL_PORT_RANGE, 6.3+, to split the range)";
    case HolderKind::NoFile:
      return "no process holds these (TIME_WAIT, closing, or not yet accept()ed) but their bucket stays "
             "bind()-made until they end; the remedy of whoever bound them applies";
  }
  return "";
}

namespace {

constexpr unsigned kTimeWait = 6, kListen = 10;

bool is_v4_mapped(const std::uint8_t* a) {
  static const std::uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(a, prefix, 12) == 0;
}

// An address as (family, 16 bytes) with v4-mapped IPv6 turned into IPv4: a dual-stack socket
// connected to an IPv4 peer holds the same 4-tuple as an AF_INET one.
struct Addr {
  int family;
  std::uint8_t b[16];
  bool operator==(const Addr& o) const { return family == o.family && std::memcmp(b, o.b, 16) == 0; }
};
Addr norm(bool v6, const std::uint8_t* a) {
  Addr x{AF_INET, {}};
  if (v6 && !is_v4_mapped(a)) {
    x.family = AF_INET6;
    std::memcpy(x.b, a, 16);
  } else {
    std::memcpy(x.b, v6 ? a + 12 : a, 4);
  }
  return x;
}
bool loopback(const Addr& a) {
  if (a.family == AF_INET) return a.b[0] == 127;
  static const std::uint8_t one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::memcmp(a.b, one, 16) == 0;
}
std::string text_of(const Addr& a) {
  char t[INET6_ADDRSTRLEN] = "";
  inet_ntop(a.family, a.b, t, sizeof t);
  return a.family == AF_INET6 ? "[" + std::string(t) + "]" : std::string(t);
}

// tcp_twsk_unique() with a non-NULL twp, as __inet_hash_connect() calls it: may connect() take
// over this TIME_WAIT 4-tuple?
bool time_wait_reusable(const ts_port_sock& r, const NetnsSettings& s) {
  int reuse = s.tw_reuse;
  if (r.flags & TS_PORT_F_TW_FW2) reuse = 0;  // 6.12+ (and stable): a FIN_WAIT2 timewait is never reused
  if (reuse == 2) {  // loopback traffic only: either address
    const bool v6 = r.flags & TS_PORT_F_V6;
    reuse = loopback(norm(v6, r.laddr)) || loopback(norm(v6, r.raddr)) ? 1 : 0;
  }
  if (!reuse || !(r.flags & TS_PORT_F_TW_TS)) return false;
  if (r.flags & TS_PORT_F_TW_AGE_MS)  // time_after32(tcp_clock_ms(), tw_entry_stamp + delay)
    return static_cast<std::int32_t>(r.tw_age - s.tw_reuse_delay_ms) > 0;
  return static_cast<std::int32_t>(r.tw_age) > 0;  // time_after32(ktime_get_seconds(), ts_recent_stamp)
}

bool reserved(const NetnsSettings& s, unsigned port) {
  for (const auto& [lo, hi] : s.reserved)
    if (port >= lo && port <= hi) return true;
  return false;
}

}  // namespace

bool parse_reserved_ports(const std::string& text, NetnsSettings& s) {
  s.reserved.clear();
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    part.erase(std::remove_if(part.begin(), part.end(), [](char c) { return c == ' ' || c == '\n' || c == '\t'; }),
               part.end());
    if (part.empty()) continue;
    unsigned lo = 0, hi = 0;
    char dash = 0;
    std::stringstream p(part);
    if (!(p >> lo)) return false;
    hi = lo;
    if (p >> dash && (dash != '-' || !(p >> hi))) return false;
    if (lo > 65535 || hi > 65535 || lo > hi) return false;
    s.reserved.emplace_back(lo, hi);
  }
  return true;
}

namespace {

// A port's bhash bucket as its sockets show it (l3mdev buckets other than 0 are not told apart).
struct PortInfo {
  bool bucket = false;
  std::int8_t fastreuse = 0, fastreuseport = 0;
  bool to_taken = false, to_tw_taken = false, to_tw_reusable = false;
};

std::unordered_map<std::uint16_t, PortInfo> bucket_ports(const ts_port_sock* recs, std::size_t n, const Destination* to,
                                                         const Source* from, const NetnsSettings& s) {
  std::unordered_map<std::uint16_t, PortInfo> ports;
  std::optional<Addr> dst, src;
  if (to) dst = Addr{to->family, {}}, std::memcpy(dst->b, to->addr, 16);
  if (from) src = Addr{from->family, {}}, std::memcpy(src->b, from->addr, 16);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = recs[i];
    if (!(r.flags & TS_PORT_F_BUCKET)) continue;
    auto& p = ports[r.lport];
    p.bucket = true;
    p.fastreuse = r.fastreuse;
    p.fastreuseport = r.fastreuseport;
    // __inet_check_established: a socket in the established hash with the same 4-tuple
    if (r.source != TS_PORT_TCP || !dst || !src || r.sk_state == kListen || r.rport != to->port) continue;
    const bool v6 = r.flags & TS_PORT_F_V6;
    if (!(norm(v6, r.raddr) == *dst) || !(norm(v6, r.laddr) == *src)) continue;
    if (r.sk_state == kTimeWait && time_wait_reusable(r, s)) {
      p.to_tw_reusable = true;
    } else {
      p.to_taken = true;
      if (r.sk_state == kTimeWait) p.to_tw_taken = true;
    }
  }
  return ports;
}

// The range as __inet_hash_connect() walks it: each port reserved, free, blocked or shareable
// (and for --dest, usable or taken). Returns the blocked ports.
std::set<std::uint16_t> walk_range(const std::unordered_map<std::uint16_t, PortInfo>& ports, const Destination* to,
                                   const Source* from, NetnsPorts& out) {
  const NetnsSettings& s = out.settings;
  out.range_size = s.range_hi >= s.range_lo ? s.range_hi - s.range_lo + 1u : 0u;
  std::set<std::uint16_t> blocked;
  DestinationCount dc;
  for (unsigned port = s.range_lo; port <= s.range_hi && port <= 65535; ++port) {
    if (reserved(s, port)) {  // inet_is_local_reserved_port(): skipped before any bucket
      ++out.reserved;
      continue;
    }
    auto it = ports.find(static_cast<std::uint16_t>(port));
    if (it == ports.end() || !it->second.bucket) {
      ++out.free;
      ++dc.usable;
      continue;
    }
    const auto& p = it->second;
    // the connect() skip test: tb->fastreuse >= 0 || tb->fastreuseport >= 0
    if (p.fastreuse >= 0 || p.fastreuseport >= 0) {
      ++out.blocked;
      blocked.insert(static_cast<std::uint16_t>(port));
      continue;
    }
    ++out.shareable;
    if (p.to_taken) {
      ++dc.taken;
      if (p.to_tw_taken && !p.to_tw_reusable) ++dc.taken_time_wait;
    } else {
      ++dc.usable;
      if (p.to_tw_reusable) ++dc.time_wait_reusable;
    }
  }
  if (to) {
    dc.to = to->text;
    dc.source = from ? from->text : "";
    out.destination = dc;
  }
  return blocked;
}

// Holders of blocked ports: process files first, then table sockets no file holds.
void group_holders(const ts_port_sock* recs, std::size_t n, const std::set<std::uint16_t>& blocked, NetnsPorts& out) {
  std::unordered_set<std::uint64_t> held;  // sockets a process file holds
  for (std::size_t i = 0; i < n; ++i)
    if (recs[i].source == TS_PORT_TASK_FILE) held.insert(recs[i].sock);
  std::map<std::uint32_t, HolderGroup> groups;
  std::map<std::uint32_t, std::set<std::uint16_t>> group_ports;
  std::map<std::uint32_t, std::set<std::string>> group_locals;
  std::unordered_set<std::uint64_t> counted;  // a socket two processes share (fork) counts once per pid
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = recs[i];
    if (!(r.flags & TS_PORT_F_BUCKET) || !blocked.count(r.lport)) continue;
    if (r.source == TS_PORT_TCP && held.count(r.sock)) continue;
    const std::uint32_t pid = r.source == TS_PORT_TASK_FILE ? r.pid : 0;
    if (!counted.insert(r.sock ^ (static_cast<std::uint64_t>(pid) << 32)).second) continue;
    auto& g = groups[pid];
    g.pid = pid;
    if (pid && g.comm.empty()) g.comm.assign(r.comm, strnlen(r.comm, sizeof r.comm));
    HolderKind k = HolderKind::NoFile;
    if (pid) k = r.sk_state == kListen ? HolderKind::Listener
                 : (r.flags & TS_PORT_F_PORT_LOCK) ? HolderKind::ExplicitPort
                                                   : HolderKind::PortZero;
    ++g.kinds[k];
    ++g.sockets;
    if (r.flags & TS_PORT_F_REUSEADDR) ++g.reuseaddr;
    if (r.flags & TS_PORT_F_REUSEPORT) ++g.reuseport;
    group_ports[pid].insert(r.lport);
    group_locals[pid].insert(text_of(norm(r.flags & TS_PORT_F_V6, r.laddr)));
  }
  for (auto& [pid, g] : groups) {
    g.ports = static_cast<std::uint32_t>(group_ports[pid].size());
    g.local_addresses.assign(group_locals[pid].begin(), group_locals[pid].end());
    out.holders.push_back(std::move(g));
  }
  std::stable_sort(out.holders.begin(), out.holders.end(), [](const HolderGroup& a, const HolderGroup& b) {
    return a.ports != b.ports ? a.ports > b.ports : a.pid < b.pid;
  });
}

}  // namespace

void count_ports(const ts_port_sock* recs, std::size_t n, const Destination* to, const Source* from,
                 NetnsPorts& out) {
  out.sockets_seen = static_cast<std::uint32_t>(n);
  const auto ports = bucket_ports(recs, n, to, from, out.settings);
  group_holders(recs, n, walk_range(ports, to, from, out), out);
}

}  // namespace tristate::ports
