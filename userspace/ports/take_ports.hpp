// Reads what `tristate ports` shows: for each namespace, its settings (read from inside it), its
// TCP tables (iter/tcp, created from inside it) and who holds its blocking buckets
// (iter/task_file over every process, once).
#pragma once

#include <vector>

#include "ports/netns_target.hpp"
#include "ports/port_reader.hpp"
#include "ports/ports.hpp"

namespace tristate::ports {

// Entering a namespace happens in a thread of its own (setns moves only the calling thread):
// the caller's namespace never changes.
Result<PortsSnapshot> take_ports(PortReader& reader, const std::vector<NetnsTarget>& targets, const Destination* to);

}  // namespace tristate::ports
