#include "ports/take_ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "ports/port_count.hpp"

extern "C" {
#include "bpf/ports.h"
}

namespace tristate::ports {

std::optional<Destination> parse_destination(const std::string& text, std::string& error) {
  Destination d;
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    const auto close = text.find("]:");
    if (close != std::string::npos) host = text.substr(1, close - 1), port = text.substr(close + 2);
  } else if (const auto colon = text.rfind(':'); colon != std::string::npos && text.find(':') == colon) {
    host = text.substr(0, colon), port = text.substr(colon + 1);
  }
  unsigned long p = 0;
  const bool port_ok = !port.empty() && port.size() <= 5 &&
                       port.find_first_not_of("0123456789") == std::string::npos &&
                       (p = std::stoul(port)) >= 1 && p <= 65535;
  if (inet_pton(AF_INET, host.c_str(), d.addr) == 1) d.family = AF_INET;
  else if (inet_pton(AF_INET6, host.c_str(), d.addr) == 1) d.family = AF_INET6;
  if (!d.family || !port_ok) {
    // what was wrong first, then the general form
    std::string why;
    if (text.find(':') == std::string::npos)
      why = "no :PORT; ";
    else if (text[0] != '[' && text.find(':') != text.rfind(':'))
      why = "an IPv6 address goes in brackets, e.g. [" + text.substr(0, text.rfind(':')) + "]" +
            text.substr(text.rfind(':')) + "; ";
    else if (d.family && !port_ok)
      why = "port '" + port + "' is not 1-65535; ";
    else if (!host.empty() && host.find_first_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos &&
             host.find('%') == std::string::npos && host.find(':') == std::string::npos)
      why = "'" + host + "' is a name, not an address (names are not resolved: give the address connect() goes to); ";
    else if (host.find('%') != std::string::npos)
      why = "a scope (%" + host.substr(host.find('%') + 1) + ") is not taken; ";
    error = "--dest '" + text + "': " + why + "expected ADDR:PORT, an IP address and a port 1-65535 (10.0.0.7:443, [2001:db8::7]:443)";
    return std::nullopt;
  }
  d.port = static_cast<std::uint16_t>(p);
  char t[INET6_ADDRSTRLEN] = "";
  inet_ntop(d.family, d.addr, t, sizeof t);
  d.text = (d.family == AF_INET6 ? "[" + std::string(t) + "]" : std::string(t)) + ":" + std::to_string(p);
  return d;
}

namespace {

std::string read_text(const std::string& path, bool& ok) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  ok = static_cast<bool>(in) || in.eof();
  return ss.str();
}

// The settings of the calling thread's namespace: /proc/sys/net is per namespace of the opener.
Result<NetnsSettings> read_settings() {
  NetnsSettings s;
  bool ok = false;
  const std::string range = read_text("/proc/sys/net/ipv4/ip_local_port_range", ok);
  unsigned lo = 0, hi = 0;
  if (!ok || std::sscanf(range.c_str(), "%u %u", &lo, &hi) != 2 || lo > hi || hi > 65535)
    return Error{"reading /proc/sys/net/ipv4/ip_local_port_range failed (" + std::string(std::strerror(errno)) + ")"};
  s.range_lo = static_cast<std::uint16_t>(lo);
  s.range_hi = static_cast<std::uint16_t>(hi);
  s.reserved_text = read_text("/proc/sys/net/ipv4/ip_local_reserved_ports", ok);
  while (!s.reserved_text.empty() && (s.reserved_text.back() == '\n' || s.reserved_text.back() == ' '))
    s.reserved_text.pop_back();
  if (!ok || !parse_reserved_ports(s.reserved_text, s))
    return Error{"reading /proc/sys/net/ipv4/ip_local_reserved_ports failed: '" + s.reserved_text + "'"};
  const std::string reuse = read_text("/proc/sys/net/ipv4/tcp_tw_reuse", ok);
  if (ok) s.tw_reuse = std::atoi(reuse.c_str());
  const std::string delay = read_text("/proc/sys/net/ipv4/tcp_tw_reuse_delay", ok);  // 6.13+
  if (ok && !delay.empty()) s.tw_reuse_delay_ms = static_cast<std::uint32_t>(std::strtoul(delay.c_str(), nullptr, 10));
  return s;
}

// The source address a connect() to `to` gets from the calling thread's namespace's routes:
// a UDP socket's connect() does the same route lookup and sends nothing.
Result<Source> route_source(const Destination& to) {
  util::UniqueFd fd(::socket(to.family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return Error{std::string("socket() failed (") + std::strerror(errno) + ")"};
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (to.family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(to.port);
    std::memcpy(&a->sin_addr, to.addr, 4);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(to.port);
    std::memcpy(&a->sin6_addr, to.addr, 16);
    len = sizeof *a;
  }
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
    return Error{"no route to " + to.text + " (" + std::strerror(errno) + "): connect() would fail before picking a port"};
  sockaddr_storage me{};
  socklen_t mlen = sizeof me;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&me), &mlen) != 0)
    return Error{std::string("getsockname() failed (") + std::strerror(errno) + ")"};
  Source s;
  s.family = to.family;
  char t[INET6_ADDRSTRLEN] = "";
  if (to.family == AF_INET) {
    std::memcpy(s.addr, &reinterpret_cast<sockaddr_in*>(&me)->sin_addr, 4);
    inet_ntop(AF_INET, s.addr, t, sizeof t);
    s.text = t;
  } else {
    std::memcpy(s.addr, &reinterpret_cast<sockaddr_in6*>(&me)->sin6_addr, 16);
    inet_ntop(AF_INET6, s.addr, t, sizeof t);
    s.text = "[" + std::string(t) + "]";
  }
  return s;
}

struct InsideResult {
  std::string error;
  NetnsSettings settings;
  std::optional<Source> source;
  std::string route_error;
  std::vector<char> tables;
};

void read_inside(PortReader& reader, const Destination* to, InsideResult& r) {
  auto s = read_settings();
  if (!s) {
    r.error = s.error().message;
    return;
  }
  r.settings = s.value();
  if (to) {
    if (auto src = route_source(*to)) r.source = src.value();
    else r.route_error = src.error().message;
  }
  if (auto t = reader.read_tables(r.tables); !t) r.error = t.error().message;
}

}  // namespace

Result<PortsSnapshot> take_ports(PortReader& reader, const std::vector<NetnsTarget>& targets, const Destination* to) {
  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); };
  const auto t0 = Clock::now();
  PortsSnapshot snap;
  // inside each namespace: its settings, its route to `to`, its TCP tables
  std::vector<InsideResult> inside(targets.size());
  std::uint16_t lo = 65535, hi = 0;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    auto& in = inside[i];
    if (!t.fd) {
      read_inside(reader, to, in);
    } else {
      std::thread([&] {
        if (::setns(t.fd.get(), CLONE_NEWNET) != 0) {
          in.error = "entering network namespace " + t.name + " failed (" + std::strerror(errno) + ")" +
                     (errno == EPERM ? ": needs CAP_SYS_ADMIN (root)" : "");
          return;
        }
        read_inside(reader, to, in);
      }).join();
    }
    if (!in.error.empty()) return Error{"netns " + t.name + ": " + in.error};
    lo = std::min(lo, in.settings.range_lo);
    hi = std::max(hi, in.settings.range_hi);
  }
  spdlog::debug("ports: settings and TCP tables of {} namespace(s) read in {:.1f} ms", targets.size(), ms(t0));
  // every process's socket files, once: the holders of blocking buckets in the ranges
  std::vector<char> holders;
  if (auto r = reader.read_holders(lo, hi, holders); !r) return r.error();
  spdlog::debug("ports: iter/task_file: {} bytes ({:.1f} ms since start)", holders.size(), ms(t0));
  const auto* hold = reinterpret_cast<const ts_port_sock*>(holders.data());
  const std::size_t nhold = holders.size() / sizeof(ts_port_sock);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    auto& in = inside[i];
    NetnsPorts np;
    np.name = t.name;
    np.inode = t.inode;
    np.settings = in.settings;
    // this namespace's table sockets, then the holders whose sockets live in it
    std::vector<ts_port_sock> recs(in.tables.size() / sizeof(ts_port_sock));
    if (!recs.empty()) std::memcpy(recs.data(), in.tables.data(), recs.size() * sizeof(ts_port_sock));
    for (std::size_t k = 0; k < nhold; ++k)
      if (hold[k].netns == t.inode) recs.push_back(hold[k]);
    count_ports(recs.data(), recs.size(), to, in.source ? &*in.source : nullptr, np);
    if (to && !in.source) np.destination->error = in.route_error;
    snap.namespaces.push_back(std::move(np));
  }
  spdlog::debug("ports: counted ({:.1f} ms since start)", ms(t0));
  snap.method = std::string("BPF iterators: iter/tcp over each namespace's TCP tables (bucket state, 4-tuples, "
                            "TIME_WAIT) and iter/task_file over every process's socket files (") +
                (reader.legacy() ? "sockfs inode, 5.10" : "bpf_sock_from_file") +
                "); ip_local_port_range, ip_local_reserved_ports and tcp_tw_reuse read from inside each namespace";
  snap.blind = "bound-only sockets of processes outside this PID namespace (their ports count as free); "
               "buckets of VRF devices (l3mdev) are not told apart; per-socket IP_LOCAL_PORT_RANGE";
  return snap;
}

}  // namespace tristate::ports
