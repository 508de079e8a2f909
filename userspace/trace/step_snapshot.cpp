#include "trace/step_snapshot.hpp"

#include <fcntl.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <set>
#include <tuple>

#include <spdlog/spdlog.h>

#include "snapshot.skel.h"
#include "trace/iterator_object.hpp"
#include "trace/live_state.hpp"
#include "trace/tracer.hpp"
#include "util/unique_fd.hpp"

extern "C" {
#include "bpf/snapshot.h"
}

namespace tristate::trace {

static_assert(sizeof(ts_snap_sock) == 88, "bpf/snapshot.h ts_snap_sock layout");
static_assert(offsetof(ts_snap_sock, netns) == 24 && offsetof(ts_snap_sock, port) == 40 &&
                  offsetof(ts_snap_sock, source) == 44 && offsetof(ts_snap_sock, flags) == 50 &&
                  offsetof(ts_snap_sock, addr) == 52 && offsetof(ts_snap_sock, comm) == 68,
              "bpf/snapshot.h ts_snap_sock offsets");

const char* snapshot_method_name(SnapshotMethod m) {
  switch (m) {
    case SnapshotMethod::TaskFileAndTcp: return "task_file+tcp";
    case SnapshotMethod::LegacyTaskFileAndTcp: return "task_file(5.10)+tcp";
  }
  return "?";
}

namespace {

std::string local_of(const ts_snap_sock& r) {
  char text[INET6_ADDRSTRLEN] = "";
  const bool v6 = r.flags & TS_SNAP_F_V6;
  inet_ntop(v6 ? AF_INET6 : AF_INET, r.addr, text, sizeof text);
  const std::string port = std::to_string(r.port);
  return v6 ? "[" + std::string(text) + "]:" + port : std::string(text) + ":" + port;
}

report::SockState sock_of(const ts_snap_sock& r) {
  report::SockState s;
  s.fd = r.fd;
  s.tcp_state = tcp_state_name(r.sk_state);
  if (r.bucket) {
    s.port = r.port;
    s.bucket = r.bucket;
    s.state = {r.fastreuse, r.fastreuseport};
    s.local = local_of(r);
  }
  s.bhash2 = r.flags & TS_SNAP_F_TB2;
  if (r.flags & TS_SNAP_F_TB2_STATE) s.state2 = report::BucketState{r.fastreuse2, r.fastreuseport2};
  return s;
}

constexpr unsigned kFinWait1 = 4, kFinWait2 = 5, kTimeWait = 6, kLastAck = 9, kListen = 10, kClosing = 11;

}  // namespace

report::StepState build_step_state(const void* records, std::size_t bytes, const quiz::SocketNames& names) {
  report::StepState st;
  st.taken = true;
  std::vector<ts_snap_sock> recs(bytes / sizeof(ts_snap_sock));
  if (!recs.empty()) std::memcpy(recs.data(), records, recs.size() * sizeof(ts_snap_sock));
  std::set<std::uint64_t> held;  // sockets a file of the process holds: iter/tcp shows them again
  std::set<std::uint64_t> held_buckets;
  std::set<int> seen_fds;
  const bool with_tcp = std::any_of(recs.begin(), recs.end(), [](const ts_snap_sock& r) { return r.source == TS_SNAP_TCP; });
  for (const auto& r : recs) {
    if (r.source != TS_SNAP_TASK_FILE) continue;
    held.insert(r.sock);
    if (r.bucket) held_buckets.insert(r.bucket);
    seen_fds.insert(r.fd);
    auto s = sock_of(r);
    if (auto n = names.by_fd.find(r.fd); n != names.by_fd.end()) s.name = n->second;
    else s.name = "fd " + std::to_string(r.fd);
    if (!with_tcp && r.sk_state == kListen)
      for (__u32 i = 0; i < r.backlog && i < 64; ++i) {
        report::SockState child = sock_of(r);
        child.name = s.name + ".child";  // in the accept queue: on the listener's bucket
        child.fd = -1;
        child.tcp_state = "ESTABLISHED";
        child.local.clear();  // not read without the TCP tables
        child.bhash2 = false;
        child.state2.reset();
        st.sockets.push_back(std::move(child));
      }
    st.sockets.push_back(std::move(s));
  }
  for (const auto& r : recs) {
    if (r.source != TS_SNAP_TCP || held.count(r.sock)) continue;
    auto s = sock_of(r);
    if (r.sk_state == kTimeWait) s.name = "time-wait";
    else if (r.sk_state == kFinWait1 || r.sk_state == kFinWait2 || r.sk_state == kClosing || r.sk_state == kLastAck)
      s.name = "closing";  // closed by the quiz, its connection not finished yet
    else if (auto l = names.listener_port.find(r.port); l != names.listener_port.end() && r.sk_state != kListen)
      s.name = l->second + ".child";  // a connection the listener holds, not accept()ed
    st.sockets.push_back(std::move(s));
  }
  for (const auto& r : recs) {
    if (r.source != TS_SNAP_BUCKET || held_buckets.count(r.bucket) || with_tcp) continue;
    held_buckets.insert(r.bucket);
    report::SockState s;
    s.port = r.port;
    s.bucket = r.bucket;
    s.state = {r.fastreuse, r.fastreuseport};
    s.tcp_state = r.sk_state ? tcp_state_name(r.sk_state) : "";
    if (r.sk_state == kTimeWait) s.name = "time-wait";
    else if (r.sk_state == kFinWait1 || r.sk_state == kFinWait2 || r.sk_state == kClosing || r.sk_state == kLastAck)
      s.name = "closing";
    else if (auto l = names.listener_port.find(r.port); l != names.listener_port.end())
      s.name = l->second + ".child";
    st.sockets.push_back(std::move(s));
  }
  for (const auto& [fd, name] : names.by_fd)
    if (!seen_fds.count(fd)) st.gone.push_back(name);
  std::stable_sort(st.sockets.begin(), st.sockets.end(), [](const report::SockState& a, const report::SockState& b) {
    return std::tie(a.port, a.name) < std::tie(b.port, b.name);
  });
  return st;
}

std::vector<std::string> snapshot_iterator_functions() { return iterator_functions(); }

Result<std::unique_ptr<StepSnapshotter>> StepSnapshotter::load(TaskScope scope, TcpTables tcp) {
  const std::uint64_t salt = random_salt();
  std::size_t elf_size = 0;
  const void* elf = snapshot_bpf__elf_bytes(&elf_size);
  constexpr SnapshotMethod kVariants[] = {SnapshotMethod::TaskFileAndTcp, SnapshotMethod::LegacyTaskFileAndTcp};
  LibbpfPtr<snapshot_bpf> owned;
  auto attempt = [&](const bpf_object_open_opts& opts, std::size_t v) -> int {
    owned.reset(snapshot_bpf__open_opts(&opts));
    snapshot_bpf* skel = owned.get();
    if (!skel) return -errno;
    skel->rodata->id_salt = salt;
    skel->rodata->reader_only = scope == TaskScope::Reader;
    bpf_program__set_autoload(skel->progs.iter__task_sockets, kVariants[v] == SnapshotMethod::TaskFileAndTcp);
    bpf_program__set_autoload(skel->progs.iter__task_sockets_old, kVariants[v] == SnapshotMethod::LegacyTaskFileAndTcp);
    bpf_program__set_autoload(skel->progs.iter__tcp_sockets, tcp == TcpTables::Load);
    const int err = snapshot_bpf__load(skel);
    if (err != 0) owned.reset();
    return err;
  };
  auto loaded = load_iterator_object({static_cast<const char*>(elf), elf_size}, "snapshot", std::size(kVariants), attempt);
  if (!loaded)
    return Error{"bucket state snapshots off: loading the BPF iterators iter/task_file and iter/tcp failed (" +
                 loaded.error().message +
                 "): needs BPF iterators (5.8+ for task_file, 5.9+ for tcp), kernel BTF "
                 "(/sys/kernel/btf/vmlinux) and CAP_BPF+CAP_PERFMON or root"};
  const CoreLoad& how = loaded.value();
  spdlog::debug("snapshot: loaded in {:.1f} ms ({} BTF, attempt {})", how.ms, how.whole_btf ? "whole" : "minimal", how.attempt);
  std::unique_ptr<StepSnapshotter> s(new StepSnapshotter());
  s->skel_ = std::move(owned);
  s->method_ = kVariants[how.variant];
  s->tcp_ = tcp;
  return s;
}

void StepSnapshotter::child_finished(pid_t pid) {
  const __u32 key = static_cast<__u32>(pid);
  bpf_map__delete_elem(skel_->maps.snapshot_ports, &key, sizeof key, 0);  // none (ENOENT) is fine
}

template <>
void LibbpfDestroy<snapshot_bpf>::operator()(snapshot_bpf* p) const {
  snapshot_bpf__destroy(p);
}

StepSnapshotter::~StepSnapshotter() {
  detach();  // the links before the skeleton that holds their programs
  skel_.reset();
}

void StepSnapshotter::detach() {
  task_link_.reset();
  tcp_link_.reset();
}

Result<bool> StepSnapshotter::attach() {
  if (task_link_) return true;
  detach();
  bpf_program* task_prog = method_ == SnapshotMethod::TaskFileAndTcp ? skel_->progs.iter__task_sockets
                                                                     : skel_->progs.iter__task_sockets_old;
  // 6.1+ walk only this process's files when told its pid; older kernels ignore the
  // parameter for task_file (no attach_target) and walk every task, the program then
  // keeping the reader's own.
  union bpf_iter_link_info info {};
  LIBBPF_OPTS(bpf_iter_attach_opts, opts);
  if (skel_->rodata->reader_only) {
    info.task.pid = static_cast<__u32>(::getpid());
    opts.link_info = &info;
    opts.link_info_len = sizeof(info);
  }
  task_link_.reset(bpf_program__attach_iter(task_prog, &opts));
  if (!task_link_ && opts.link_info) task_link_.reset(bpf_program__attach_iter(task_prog, nullptr));
  if (!task_link_) return Error{std::string("attaching iter/task_file failed (") + std::strerror(errno) + ")"};
  return true;
}

void StepSnapshotter::child_started(int fd_floor) {
  // links made in the parent would be shared; each child has its own (pid-bound) ones
  // inherited pointers belong to the parent's copy: forgotten, not destroyed
  (void)task_link_.release();
  (void)tcp_link_.release();
  ports_.clear();
  // The map is keyed by the reading process: an entry left by an earlier quiz's child of the
  // same pid (reused) must not count for this one.
  const __u32 me = static_cast<__u32>(::getpid());
  const ts_snap_ports none{};
  bpf_map__update_elem(skel_->maps.snapshot_ports, &me, sizeof me, &none, sizeof none, BPF_ANY);
  ports_sent_ = 0;
  if (auto a = attach(); !a) attach_error_ = a.error().message;
  // The child closes every descriptor below fd_floor: keep what after_step uses above it.
  if (task_link_) child_task_fd_ = ::fcntl(bpf_link__fd(task_link_.get()), F_DUPFD_CLOEXEC, fd_floor);
  child_ports_fd_ = ::fcntl(bpf_map__fd(skel_->maps.snapshot_ports), F_DUPFD_CLOEXEC, fd_floor);
  if (attach_error_.empty() && (child_task_fd_ < 0 || child_ports_fd_ < 0))
    attach_error_ = std::string("keeping the iterator's descriptors failed (") + std::strerror(errno) + ")";
  if (std::getenv("TRISTATE_TEST_SNAPSHOT_FAIL")) fail_next_ = true;
}

namespace {

Result<bool> read_iterator(int link_fd, std::vector<char>& out) {
  util::UniqueFd fd(bpf_iter_create(link_fd));
  if (!fd) return Error{std::string("creating the iterator failed (") + std::strerror(errno) + ")"};
  char chunk[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{std::string("reading the iterator failed (") + std::strerror(errno) + ")"};
    if (n == 0) return true;
    out.insert(out.end(), chunk, chunk + n);
  }
}

}  // namespace

Result<bool> StepSnapshotter::read_task_files(std::vector<char>& out) {
  if (child_task_fd_ >= 0) return read_iterator(child_task_fd_, out);
  if (auto a = attach(); !a) return a.error();
  return read_iterator(bpf_link__fd(task_link_.get()), out);
}

Result<bool> StepSnapshotter::read_tcp_tables(std::vector<char>& out) {
  // attached on first use: a quiz never reads the TCP tables (see after_step)
  if (tcp_ == TcpTables::Skip) return Error{"iter/tcp was not loaded (TcpTables::Skip)"};
  if (!tcp_link_) tcp_link_.reset(bpf_program__attach_iter(skel_->progs.iter__tcp_sockets, nullptr));
  if (!tcp_link_) return Error{std::string("attaching iter/tcp failed (") + std::strerror(errno) + ")"};
  return read_iterator(bpf_link__fd(tcp_link_.get()), out);
}

Result<std::vector<char>> StepSnapshotter::read_records() {
  std::vector<char> out;
  if (auto r = read_task_files(out); !r) return r.error();
  if (auto r = read_tcp_tables(out); !r) return r.error();
  return out;
}

report::StepState StepSnapshotter::after_step(const quiz::SocketNames& names) {
  report::StepState st;
  st.t_ns = 0;
  if (!attach_error_.empty()) {
    st.error = attach_error_;
    return st;
  }
  if (fail_next_) {
    fail_next_ = false;
    st.error = "reading the iterator failed (test: TRISTATE_TEST_SNAPSHOT_FAIL)";
    return st;
  }
  // iter/tcp walks the kernel's whole TCP hash tables, every namespace's (3.5-4.4 ms a read on
  // the host, bench/state_bench): a quiz reads only its process's files, and the buckets of
  // the ports its sockets held before are looked up by port at the end of that walk (a
  // TIME_WAIT or closing socket may hold one after close()).
  ts_snap_ports want{};
  for (std::uint16_t p : ports_)
    if (want.n < TS_SNAP_PORTS) want.port[want.n++] = p;
  const __u32 me = static_cast<__u32>(::getpid());  // the reader: the walk looks up its own entry
  if (ports_.size() != ports_sent_) {  // a syscall a step otherwise; the map outlives the read
    if (child_ports_fd_ >= 0)
      bpf_map_update_elem(child_ports_fd_, &me, &want, BPF_ANY);
    else
      bpf_map__update_elem(skel_->maps.snapshot_ports, &me, sizeof me, &want, sizeof want, BPF_ANY);
    ports_sent_ = ports_.size();
  }
  std::vector<char> recs;
  auto read = read_task_files(recs);
  if (read) {
    const auto* r = reinterpret_cast<const ts_snap_sock*>(recs.data());
    for (std::size_t i = 0; i < recs.size() / sizeof(ts_snap_sock); ++i)
      if (r[i].bucket && std::find(ports_.begin(), ports_.end(), r[i].port) == ports_.end()) ports_.push_back(r[i].port);
  }
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const std::uint64_t now = static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
  if (!read) {
    st.error = read.error().message;
    st.t_ns = now;
    return st;
  }
  st = build_step_state(recs.data(), recs.size(), names);
  st.t_ns = now;
  return st;
}

}  // namespace tristate::trace
