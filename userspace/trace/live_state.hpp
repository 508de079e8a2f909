// `tristate state`: the bhash buckets TCP sockets are on right now, with their tri-state and
// owners, read by the snapshot object's iterators (bpf/snapshot.bpf.c: iter/task_file, iter/tcp).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "report/report.hpp"
#include "trace/result.hpp"

namespace tristate::trace {

class StepSnapshotter;

// Who holds a bucket: one socket, as `ss -tanp` shows it (users:(("comm",pid=,fd=))).
struct StateOwner {
  std::uint32_t pid = 0;  // 0: no file holds it (TIME_WAIT, a connection nobody accept()ed)
  std::string comm;
  int fd = -1;
  std::string local;      // "127.0.0.1:60000"
  std::string tcp_state;  // "LISTEN", "CLOSE" (bound, no connection), …
};

struct StateBucket {
  std::uint64_t id = 0;
  std::uint64_t netns = 0;
  int l3mdev = 0;
  std::uint16_t port = 0;
  report::BucketState state;
  std::map<std::string, int> sockets;  // TCP state name ("LISTEN", "TIME_WAIT", …) -> count
  std::vector<StateOwner> owners;      // one per socket, by pid then fd
};

struct StateSnapshot {
  std::string method;  // how it was obtained, for the user
  std::string blind;   // what this method cannot see
  std::vector<StateBucket> buckets;  // sorted by netns, port
};

struct StateFilter {
  std::vector<std::uint64_t> netns;  // empty: all
  std::map<std::uint64_t, std::string> netns_paths;  // how to enter a requested one, when given as a path
  std::uint16_t port_lo = 0, port_hi = 0;  // hi 0: all
};

// The snapshot iterators' records (struct ts_snap_sock, bpf/snapshot.h: every process's socket
// files, then each namespace's TCP tables) grouped by bucket with their owners; a socket both
// iterators saw counts once. Sockets on no bucket are left out. Pure.
StateSnapshot group_snapshot(const void* records, std::size_t bytes, const StateFilter& filter);

// The iter/tcp iterator sees only the network namespace it is created in (the kernel's
// seq_file_net: the creating thread's), so the snapshot enters each namespace in turn: the
// requested ones, else every namespace a process or a /run/netns mount holds.
Result<StateSnapshot> take_state_snapshot(const StateFilter& filter);

// The same with an object already loaded (StepSnapshotter::load(TaskScope::All,
// TcpTables::Load)): `tristate state --watch` loads it once and samples many times.
Result<StateSnapshot> take_state_snapshot(const StateFilter& filter, StepSnapshotter& snapshotter);

// Network namespaces by inode, each with a file that enters it: /run/netns/* and
// /proc/PID/ns/net of every process (the first file seen for an inode). Reads only the given
// roots (tests pass their own).
std::map<std::uint64_t, std::string> find_network_namespaces(const std::string& proc_root = "/proc",
                                                             const std::string& run_netns = "/run/netns");

const char* tcp_state_name(unsigned state);

}  // namespace tristate::trace
