// `tristate ports`: how the ports of ip_local_port_range stand for a plain connect() in a network
// namespace, and who holds the ones bind() made unusable. Plain data; collection in
// take_ports, counting in port_count, JSON in ports_json, text in cli/ports_text.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tristate::ports {

// Where a plain connect() goes (--dest ADDR:PORT).
struct Destination {
  int family = 0;  // AF_INET / AF_INET6
  std::uint8_t addr[16] = {};
  std::uint16_t port = 0;
  std::string text;  // as the user wrote it, normalised: "10.0.0.7:443", "[::1]:443"
};

// Parses "ADDR:PORT" / "[ADDR6]:PORT"; the error names what was expected.
std::optional<Destination> parse_destination(const std::string& text, std::string& error);

// How a socket on a bucket that blocks connect() got its port.
enum class HolderKind {
  Listener,      // a listening socket: its port is inside the ephemeral range
  ExplicitPort,  // bind() named the port (SOCK_BINDPORT_LOCK), not listening
  PortZero,      // bind(addr, 0) without IP_BIND_ADDRESS_NO_PORT: the kernel picked the port at bind()
  NoFile,        // no process holds it: TIME_WAIT / closing, or a connection nobody accept()ed
};
inline constexpr HolderKind kHolderKinds[] = {HolderKind::Listener, HolderKind::ExplicitPort, HolderKind::PortZero,
                                              HolderKind::NoFile};
const char* holder_kind_name(HolderKind k);  // "listener", "explicit_port", "port0_bind", "no_file"
const char* holder_kind_remedy(HolderKind k);  // the post's advice for that kind

// One process (pid 0: sockets no process holds) and the blocked ports its sockets are on.
struct HolderGroup {
  std::uint32_t pid = 0;
  std::string comm;
  std::uint32_t ports = 0;    // distinct blocked ports
  std::uint32_t sockets = 0;
  std::map<HolderKind, std::uint32_t> kinds;  // sockets per kind
  std::uint32_t reuseaddr = 0;  // sockets with SO_REUSEADDR
  std::uint32_t reuseport = 0;  // sockets with SO_REUSEPORT
  std::vector<std::string> local_addresses;  // distinct, sorted
};

// What a plain connect() to --dest could still get.
struct DestinationCount {
  std::string to;
  std::string source;       // the local address the route gives (what the 4-tuple holds)
  std::uint32_t usable = 0;         // free + shareable whose 4-tuple to the destination is unused
  std::uint32_t taken = 0;          // shareable ports whose 4-tuple to it is in use
  std::uint32_t taken_time_wait = 0;  // of `taken`: TIME_WAIT sockets the kernel will not reuse
  std::uint32_t time_wait_reusable = 0;  // shareable ports whose only use is a TIME_WAIT connect() reuses
  std::string error;  // the count could not be made (no route from this namespace)
};

// The kernel settings of one namespace, read from inside it.
struct NetnsSettings {
  std::uint16_t range_lo = 0, range_hi = 0;  // ip_local_port_range
  std::string reserved_text;                 // ip_local_reserved_ports as the kernel prints it
  std::vector<std::pair<std::uint16_t, std::uint16_t>> reserved;
  int tw_reuse = 2;         // tcp_tw_reuse
  std::uint32_t tw_reuse_delay_ms = 1000;  // tcp_tw_reuse_delay (6.13+; 1 s before)
};

struct NetnsPorts {
  std::string name;  // how the user named it: "self", a path, "pid 812", or its inode
  std::uint64_t inode = 0;
  NetnsSettings settings;
  std::uint32_t range_size = 0;
  std::uint32_t free = 0;       // no bucket
  std::uint32_t shareable = 0;  // bucket -1/-1 (connect()-made)
  std::uint32_t blocked = 0;    // bucket 0 or +1 in either field (bind()-made)
  std::uint32_t reserved = 0;   // in ip_local_reserved_ports (connect() skips them)
  std::vector<HolderGroup> holders;  // of blocked ports, most ports first
  std::optional<DestinationCount> destination;
  std::uint32_t sockets_seen = 0;  // records read (tables + holders)
};

struct PortsSnapshot {
  std::string method;  // how it was read, for the user
  std::string blind;   // what this method cannot see
  std::vector<NetnsPorts> namespaces;
};

}  // namespace tristate::ports
