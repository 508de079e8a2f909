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

#include "tristate.skel.h"
#include "trace/tracer.hpp"

extern "C" {
#include "bpf/tristate.h"
}

namespace tristate::trace {

static_assert(sizeof(ts_sock_bucket) == 32, "bpf/tristate.h ts_sock_bucket layout");

const char* tcp_state_name(unsigned s) {
  static const char* names[] = {"?",         "ESTABLISHED", "SYN_SENT", "SYN_RECV",  "FIN_WAIT1",
                                "FIN_WAIT2", "TIME_WAIT",   "CLOSE",    "CLOSE_WAIT", "LAST_ACK",
                                "LISTEN",    "CLOSING",     "NEW_SYN_RECV"};
  return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

StateSnapshot group_sockets(const void* records, std::size_t bytes, const StateFilter& f) {
  StateSnapshot snap;
  std::map<std::uint64_t, StateBucket> by_id;
  const auto* r = static_cast<const ts_sock_bucket*>(records);
  for (std::size_t i = 0; i < bytes / sizeof(ts_sock_bucket); ++i) {
    const auto& s = r[i];
    if (!f.netns.empty() && std::find(f.netns.begin(), f.netns.end(), s.netns) == f.netns.end()) continue;
    if (f.port_hi && (s.port < f.port_lo || s.port > f.port_hi)) continue;
    auto& b = by_id[s.bucket];
    b.id = s.bucket;
    b.netns = s.netns;
    b.l3mdev = s.l3mdev;
    b.port = s.port;
    b.state = {s.fastreuse, s.fastreuseport};
    ++b.sockets[tcp_state_name(s.sk_state)];
  }
  for (auto& [id, b] : by_id) snap.buckets.push_back(std::move(b));
  std::sort(snap.buckets.begin(), snap.buckets.end(), [](const StateBucket& a, const StateBucket& b) {
    return std::tie(a.netns, a.port, a.id) < std::tie(b.netns, b.port, b.id);
  });
  return snap;
}

Result<StateSnapshot> take_state_snapshot(const StateFilter& filter) {
  route_libbpf_logs_to_spdlog();
  struct SkelDel {
    void operator()(tristate_bpf* s) const { tristate_bpf__destroy(s); }
  };
  struct LinkDel {
    void operator()(bpf_link* l) const { bpf_link__destroy(l); }
  };
  std::unique_ptr<tristate_bpf, SkelDel> skel(tristate_bpf__open());
  if (!skel) return Error{std::string("opening the BPF object failed: ") + std::strerror(errno)};
  struct bpf_program* prog;
  bpf_object__for_each_program(prog, skel->obj) bpf_program__set_autoload(prog, prog == skel->progs.iter__tcp_buckets);
  if (int err = tristate_bpf__load(skel.get()))
    return Error{std::string("loading the iter/tcp BPF iterator failed (") + std::strerror(-err) +
                 "): needs BPF iterators over TCP sockets (5.9+), BTF and CAP_BPF+CAP_PERFMON or root; "
                 "run it inside a lab guest: tristate kernels boot 6.12 -- tristate state"};
  std::unique_ptr<bpf_link, LinkDel> link(bpf_program__attach_iter(skel->progs.iter__tcp_buckets, nullptr));
  if (!link) return Error{std::string("attaching the iter/tcp iterator failed (") + std::strerror(errno) + ")"};
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
  std::vector<char> data;
  std::size_t entered = 0;
  std::string skipped;  // the last reason a namespace could not be entered
  for (const auto& [inode, path] : visit) {
    // setns() moves only the calling thread: a thread of its own enters, creates the
    // iterator there and reads it.
    std::string err;
    bool not_entered = false;
    std::thread([&, path = path] {
      const int ns = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
        not_entered = true;
        err = "entering network namespace " + path + " failed (" + std::strerror(errno) + ")";
        if (ns >= 0) close(ns);
        return;
      }
      close(ns);
      const int fd = bpf_iter_create(bpf_link__fd(link.get()));
      if (fd < 0) {
        err = std::string("creating the iterator failed (") + std::strerror(errno) + ")";
        return;
      }
      char buf[1 << 16];
      ssize_t n;
      while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) data.insert(data.end(), buf, buf + n);
      if (n < 0) err = std::string("reading the iterator failed (") + std::strerror(errno) + ")";
      close(fd);
    }).join();
    // a namespace whose last process exited since the scan is gone, not an error
    if (!err.empty() && !(filter.netns.empty() && not_entered)) return Error{err};
    if (err.empty()) ++entered;
    else skipped = err;
  }
  if (!entered && !skipped.empty()) return Error{skipped + ": needs CAP_SYS_ADMIN (root)"};
  auto snap = group_sockets(data.data(), data.size(), filter);
  snap.method = "BPF iterator over the kernel's TCP socket tables (iter/tcp), run inside each of " +
                std::to_string(visit.size()) +
                " network namespace(s): each socket's bind bucket (icsk_bind_hash, or tw_tb for TIME_WAIT), "
                "its port and fastreuse/fastreuseport read now";
  snap.blind = "a socket that is only bound (bind() without listen() or connect()) is in no table the "
               "iterator walks: buckets held only by such sockets are not listed";
  if (filter.netns.empty())
    snap.blind += "; nor are namespaces that no process and no /run/netns mount holds";
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
