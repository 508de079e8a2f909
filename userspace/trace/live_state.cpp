#include "trace/live_state.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>

#include <arpa/inet.h>
#include <set>

#include "trace/step_snapshot.hpp"
#include "trace/tracer.hpp"
#include "util/unique_fd.hpp"

extern "C" {
#include "bpf/snapshot.h"
#include "bpf/tristate.h"
}

namespace tristate::trace {

const char* tcp_state_name(unsigned s) {
  static const char* names[] = {"?",         "ESTABLISHED", "SYN_SENT", "SYN_RECV",  "FIN_WAIT1",
                                "FIN_WAIT2", "TIME_WAIT",   "CLOSE",    "CLOSE_WAIT", "LAST_ACK",
                                "LISTEN",    "CLOSING",     "NEW_SYN_RECV"};
  return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

StateSnapshot group_snapshot(const void* records, std::size_t bytes, const StateFilter& f) {
  std::vector<ts_snap_sock> recs(bytes / sizeof(ts_snap_sock));
  if (!recs.empty()) std::memcpy(recs.data(), records, recs.size() * sizeof(ts_snap_sock));
  std::set<std::uint64_t> held;
  for (const auto& r : recs)
    if (r.source == TS_SNAP_TASK_FILE) held.insert(r.sock);
  std::map<std::uint64_t, StateBucket> by_id;
  std::set<std::uint64_t> counted;  // a socket two processes share (fork) counts once
  for (const auto& r : recs) {
    if (!r.bucket || (r.source == TS_SNAP_TCP && held.count(r.sock))) continue;
    if (!f.netns.empty() && std::find(f.netns.begin(), f.netns.end(), r.netns) == f.netns.end()) continue;
    if (f.port_hi && (r.port < f.port_lo || r.port > f.port_hi)) continue;
    auto& b = by_id[r.bucket];
    b.id = r.bucket;
    b.netns = r.netns;
    b.l3mdev = r.l3mdev;
    b.port = r.port;
    b.state = {r.fastreuse, r.fastreuseport};
    if (counted.insert(r.sock).second) ++b.sockets[tcp_state_name(r.sk_state)];
    StateOwner o;
    o.pid = r.source == TS_SNAP_TASK_FILE ? r.pid : 0;
    o.comm = o.pid ? std::string(r.comm, strnlen(r.comm, sizeof r.comm)) : "";
    o.fd = r.fd;
    char text[INET6_ADDRSTRLEN] = "";
    const bool v6 = r.flags & TS_SNAP_F_V6;
    inet_ntop(v6 ? AF_INET6 : AF_INET, r.addr, text, sizeof text);
    o.local = (v6 ? "[" + std::string(text) + "]" : std::string(text)) + ":" + std::to_string(r.port);
    o.tcp_state = tcp_state_name(r.sk_state);
    b.owners.push_back(std::move(o));
  }
  StateSnapshot snap;
  for (auto& [id, b] : by_id) {
    std::sort(b.owners.begin(), b.owners.end(), [](const StateOwner& x, const StateOwner& y) {
      return std::tie(x.pid, x.fd, x.local) < std::tie(y.pid, y.fd, y.local);
    });
    snap.buckets.push_back(std::move(b));
  }
  std::sort(snap.buckets.begin(), snap.buckets.end(), [](const StateBucket& a, const StateBucket& b) {
    return std::tie(a.netns, a.port, a.id) < std::tie(b.netns, b.port, b.id);
  });
  return snap;
}

Result<StateSnapshot> take_state_snapshot(const StateFilter& filter) {
  auto loaded = StepSnapshotter::load(TaskScope::All, TcpTables::Load);
  if (!loaded)
    return Error{loaded.error().message + "; run it inside a lab guest: tristate kernels boot 6.12 -- tristate state"};
  return take_state_snapshot(filter, *loaded.value());
}

Result<StateSnapshot> take_state_snapshot(const StateFilter& filter, StepSnapshotter& snapshotter) {
  std::vector<char> data;
  // Every process's socket files, in one pass from here: sockets that are only bound (in no
  // TCP table), and who holds each socket.
  if (auto r = snapshotter.read_task_files(data); !r) return r.error();
  // Which namespaces to enter, and a file for each.
  std::map<std::uint64_t, std::string> visit;
  const auto known = find_network_namespaces();
  if (filter.netns.empty()) {
    visit = known;
  } else {
    for (auto inode : filter.netns) {
      if (auto p = filter.netns_paths.find(inode); p != filter.netns_paths.end()) visit[inode] = p->second;
      else if (auto k = known.find(inode); k != known.end()) visit[inode] = k->second;
      else
        return Error{"network namespace " + std::to_string(inode) +
                     " has no process and no /run/netns mount to enter it by: give its path instead"};
    }
  }
  std::size_t entered = 0;
  std::string skipped;  // the last reason a namespace could not be entered
  for (const auto& [inode, path] : visit) {
    // iter/tcp walks the namespace of the thread creating the iterator, and setns() moves
    // only the calling thread: a thread of its own enters, creates the iterator and reads it.
    std::string err;
    bool not_entered = false;
    std::vector<char> part;
    std::thread([&, path = path] {
      util::UniqueFd ns(open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!ns || setns(ns.get(), CLONE_NEWNET) != 0) {
        not_entered = true;
        err = "entering network namespace " + path + " failed (" + std::strerror(errno) + ")" +
              (errno == EINVAL ? ": " + path + " is not a network namespace file (expected /proc/PID/ns/net or "
                                               "a bind mount under /run/netns)"
                               : "");
        return;
      }
      ns.reset();
      if (auto r = snapshotter.read_tcp_tables(part); !r) err = r.error().message;
    }).join();
    // a namespace whose last process exited since the scan is gone, not an error
    if (!err.empty() && !(filter.netns.empty() && not_entered)) return Error{err};
    if (err.empty()) {
      ++entered;
      data.insert(data.end(), part.begin(), part.end());
    } else {
      skipped = err;
    }
  }
  if (!entered && !skipped.empty()) return Error{skipped + ": needs CAP_SYS_ADMIN (root)"};
  auto snap = group_snapshot(data.data(), data.size(), filter);
  snap.method = std::string("BPF iterators (") + snapshot_method_name(snapshotter.method()) +
                "): every process's socket files (iter/task_file: bound-only sockets, and who holds each), "
                "and the TCP tables (iter/tcp: listeners, connections, TIME_WAIT) of each of " +
                std::to_string(visit.size()) + " network namespace(s); each socket's bind bucket and "
                "fastreuse/fastreuseport read now";
  snap.blind = "a bound-only socket of a process outside this PID namespace";
  if (filter.netns.empty())
    snap.blind += "; connections and TIME_WAIT sockets of namespaces that no process and no /run/netns mount holds";
  if (entered < visit.size())
    snap.blind += "; " + std::to_string(visit.size() - entered) + " namespace(s) could not be entered (" + skipped + ")";
  return snap;
}

std::map<std::uint64_t, std::string> find_network_namespaces(const std::string& proc_root,
                                                             const std::string& run_netns) {
  namespace fs = std::filesystem;
  std::map<std::uint64_t, std::string> out;
  auto add = [&](const fs::path& p) {
    struct stat st {};
    if (stat(p.c_str(), &st) == 0) out.emplace(st.st_ino, p.string());
  };
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(run_netns, ec)) add(e.path());
  for (const auto& e : fs::directory_iterator(proc_root, ec)) {
    const auto name = e.path().filename().string();
    if (!name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      add(e.path() / "ns" / "net");
  }
  return out;
}

}  // namespace tristate::trace
