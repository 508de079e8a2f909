// Counting the range's ports the way __inet_hash_connect() walks them. Pure: tested on records
// made up in unit tests and on real sockets in tests/host/check_ports.py.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "ports/ports.hpp"

struct ts_port_sock;

namespace tristate::ports {

// The local address a connect() to the destination would use (the route's preferred source),
// in the same byte form as the records.
struct Source {
  int family = 0;
  std::uint8_t addr[16] = {};
  std::string text;
};

// `records`: this namespace's TCP tables (TS_PORT_TCP) and the socket files of its blocking
// buckets (TS_PORT_TASK_FILE), in any order; a socket in both counts once. Fills the counts,
// the holders and, with a destination, what connect() to it can still get.
void count_ports(const ts_port_sock* records, std::size_t n, const Destination* to, const Source* from,
                 NetnsPorts& out);

// ip_local_reserved_ports as the kernel prints it ("60050,60060-60070"); false on garbage.
bool parse_reserved_ports(const std::string& text, NetnsSettings& s);

}  // namespace tristate::ports
