// Tracer overhead: a connection loop on loopback in a private network namespace, measured in
// one run without tracer, with tristate in fentry and in kprobe mode, and with bcc's
// libbpf-tools bindsnoop (kprobe on inet_bind) when its path is given, and two floors: empty
// programs on tristate's functions, and the same writing one ring-buffer record each.
// `--loop bind` (default): bind(port 0) + connect() + close(), so that bindsnoop has something
// to see; tristate sees bind and connect. `--loop connect`: connect() + close() alone, the
// issue's loop and a proxy's upstream connections; bindsnoop sees nothing there.
// Needs a traceable kernel: run inside a lab guest, instruction-counted (--icount 0: the
// guest's clock counts instructions, so rates repeat whatever the host does), e.g.
//   tristate kernels boot 6.12 --icount 0 --no-self --exe build/bench/trace_bench
//     --exe /path/bindsnoop -- sh -c "trace_bench --bindsnoop /usr/bin/bindsnoop > /tmp/result 2>&1"
// `--profile` (or `--profile-kprobe`) instead prints each tracer program's calls and run time
// per connection, from the kernel's BPF statistics. `--rounds N` (default 6): fewer rounds
// for a quicker look while working on the tracer; figures to quote use the default.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bench_util.hpp"
#include "trace/attach_plan.hpp"
#include "trace/kernel_btf.hpp"
#include "trace/tracer.hpp"

using namespace tristate;

namespace {

std::uint64_t netns_inode() {
  struct stat st {};
  return stat("/proc/self/ns/net", &st) == 0 ? st.st_ino : 0;
}

bool lo_up() {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ifreq ifr{};
  std::strcpy(ifr.ifr_name, "lo");
  bool ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags |= IFF_UP;
  ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  close(fd);
  return ok;
}

void pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof(set), &set);  // 0: the calling thread
}

// With two CPUs or more the loop runs on CPU 0 and every consumer (tristate's reader thread,
// bindsnoop) on CPU 1, as on a real machine where the tracer's reader is not the traced
// workload's thread; on one CPU they share it.
bool split_cpus() { return sysconf(_SC_NPROCESSORS_ONLN) >= 2; }

// The loop each variant runs, and for how long.
struct Workload {
  double seconds = 2;
  bench::Loop loop = bench::Loop::bind_connect;
  double run(double s) const { return bench::connection_loop(s, 5555, loop); }
};

// The loop after half a second of the same loop unmeasured. Under TCG every attach or detach
// patches kernel text, which throws away translated code; the first fraction of a second
// after it is re-translation, whichever variant comes next (measured: the untraced loop ran
// 35% slower right after bindsnoop's exit than right after boot).
double measure(const Workload& w) {
  w.run(0.5);
  return w.run(w.seconds);
}

// The tracer as `tristate trace` runs it, its ring read by a thread of its own (Reader below),
// woken once a quarter of the ring is pending or every 100 ms; nullptr (said on stderr) when
// it cannot start.
std::unique_ptr<trace::Tracer> start_tracer(bool kprobe, bool watched) {
  trace::Options o;
  o.force_kprobe = kprobe;
  o.wakeup_bytes = 64 * 1024;  // the default ring is 256 KiB
  auto made = trace::Tracer::make(o);
  if (!made) {
    std::fprintf(stderr, "tracer: %s\n", made.error().message.c_str());
    return nullptr;
  }
  if (auto w = watched ? made.value()->watch_netns(netns_inode()) : trace::Result<void>{}; !w) {
    std::fprintf(stderr, "tracer: %s\n", w.error().message.c_str());
    return nullptr;
  }
  return std::move(made.value());
}

// Reads every event until destroyed, decoding each (poll), and counts the events and its own
// CPU time while `measuring` is set.
class Reader {
 public:
  explicit Reader(trace::Tracer& t) : thread_([this, &t] { run(t); }) {}
  ~Reader() { finish(); }
  // Stops after a last drain of the ring.
  void finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::atomic<bool> measuring{false};
  std::atomic<std::uint64_t> events{0}, measured_events{0}, measured_cpu_ns{0};

 private:
  static std::uint64_t cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::uint64_t(ts.tv_sec) * 1000000000ULL + std::uint64_t(ts.tv_nsec);
  }
  void run(trace::Tracer& t) {
    if (split_cpus()) pin_to_cpu(1);
    while (!stop_) {
      const bool m = measuring;
      const std::uint64_t c0 = cpu_ns();
      const std::size_t n = t.poll(100).size();
      events += n;
      if (m) measured_cpu_ns += cpu_ns() - c0, measured_events += n;
    }
    events += t.drain().size();
  }
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

double with_tracer(bool kprobe, bool watched, const Workload& w, std::string& mode, std::uint64_t& events,
                   std::uint64_t& lost, std::uint64_t& missed) {
  auto t = start_tracer(kprobe, watched);
  if (!t) return 0;
  Reader reader(*t);
  const double r = measure(w);
  reader.finish();
  events += reader.events;
  auto info = t->info();
  mode = tristate::report::name(info.mode);
  lost += info.lost;
  missed += info.missed;
  return r;
}

// Attaches a program to every fentry/fexit point the tracer plans in fentry mode: a
// do-nothing one at each fentry, `load_fexit(btf_id)` at each fexit. Every descriptor goes to
// `fds`; returns the links made, or -1 (said on stderr after `what`) where there is no BTF.
int attach_floor(const char* what, const std::function<int(int)>& load_fexit, std::vector<int>& fds) {
  int attached = 0;
  try {
    const trace::LiveKernel kernel;
    for (const auto& fp : trace::make_attach_plan(kernel, {}))
      for (const auto& p : fp.programs) {
        if (!tristate::report::is_fentry_family(p.mechanism)) continue;
        const int id = kernel.func_id(fp.function);
        const int prog = p.mechanism == tristate::report::ProbeMechanism::fentry ? trace::load_tracing_prog(id, BPF_TRACE_FENTRY) : load_fexit(id);
        const int link = prog < 0 ? -1 : bpf_raw_tracepoint_open(nullptr, prog);
        if (prog >= 0) fds.push_back(prog);
        if (link >= 0) {
          fds.push_back(link);
          ++attached;
        }
      }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", what, e.what());
    return -1;
  }
  return attached;
}

// The floor: a do-nothing program on every function and mechanism the tracer plans in
// fentry mode (same trampolines, empty bodies). What tracing these functions costs here
// before tristate does any work of its own.
double with_empty_programs(const Workload& w, int& attached) {
  std::vector<int> fds;
  const int n = attach_floor("empty programs", [](int id) { return trace::load_tracing_prog(id, BPF_TRACE_FEXIT); }, fds);
  attached = std::max(n, 0);
  const double r = n < 0 ? 0 : measure(w);
  for (int fd : fds) close(fd);
  return r;
}

// A fexit program that only writes a record the size of tristate's (ts_event, 88 bytes)
// with a timestamp and the tid, into `ring`: what any tracer pays to hand one event per call
// to userspace, before it reads anything of the kernel's.
int load_record_prog(int btf_id, int ring) {
  constexpr std::int32_t kSize = 88;
  const bpf_insn insns[] = {
      {BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, ring},
      {0, 0, 0, 0, 0},
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, kSize},
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, 0},
      {BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_reserve},
      {BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 8, 0},  // no room: to the exit
      {BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_0, 0, 0},
      {BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ktime_get_ns},
      {BPF_STX | BPF_MEM | BPF_DW, BPF_REG_6, BPF_REG_0, 0, 0},
      {BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid},
      {BPF_STX | BPF_MEM | BPF_DW, BPF_REG_6, BPF_REG_0, 8, 0},
      {BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0},
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, BPF_RB_NO_WAKEUP},
      {BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_submit},
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FEXIT,
              .attach_btf_id = static_cast<__u32>(btf_id));
  return bpf_prog_load(BPF_PROG_TYPE_TRACING, "ts_record", "GPL", insns, sizeof(insns) / sizeof(insns[0]), &opts);
}

// The records floor: the floor's programs, each fexit also writing a record as above, read
// by a thread that counts them every 10 ms. Any tracer reporting tristate's events through
// a ring buffer pays at least this; `records` per connection says how many that was.
double with_record_programs(const Workload& w, double& records_per_conn) {
  std::vector<int> fds;
  const int ring = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ts_records", 0, 0, 4 << 20, nullptr);
  if (ring < 0) {
    std::fprintf(stderr, "records floor: ring buffer: %s\n", std::strerror(errno));
    return 0;
  }
  fds.push_back(ring);
  if (attach_floor("records floor", [ring](int id) { return load_record_prog(id, ring); }, fds) < 0) {
    for (int fd : fds) close(fd);
    return 0;
  }
  std::atomic<std::uint64_t> records{0};
  ring_buffer* rb = ring_buffer__new(
      ring, [](void* ctx, void*, std::size_t) { return ++*static_cast<std::atomic<std::uint64_t>*>(ctx), 0; },
      &records, nullptr);
  if (!rb) {
    std::fprintf(stderr, "records floor: reading the ring buffer: %s\n", std::strerror(errno));
    for (int fd : fds) close(fd);
    return 0;
  }
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    if (split_cpus()) pin_to_cpu(1);
    while (!stop) {
      ring_buffer__consume(rb);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  w.run(0.5);  // as measure() does
  // the counts lag the loop by up to one 10 ms read at each end, alike
  const std::uint64_t r0 = records;
  const auto t0 = std::chrono::steady_clock::now();
  const double r = w.run(w.seconds);
  const double conns = r * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::uint64_t r1 = records;
  stop = true;
  reader.join();
  records_per_conn = conns > 0 ? double(r1 - r0) / conns : 0;
  ring_buffer__free(rb);
  for (int fd : fds) close(fd);
  return r;
}

struct Row {
  std::string name;
  std::uint64_t cnt, ns;
};

// A program's full name (bpf_prog_info.name stops at 15 characters) is its BTF function's.
std::optional<Row> prog_stats(int fd) {
  bpf_func_info func{};
  bpf_prog_info info{};
  std::uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return std::nullopt;
  Row row{info.name, info.run_cnt, info.run_time_ns};
  if (info.btf_id && info.nr_func_info) {
    const std::uint32_t btf_id = info.btf_id;
    info = {};
    info.nr_func_info = 1;
    info.func_info_rec_size = sizeof(func);
    info.func_info = reinterpret_cast<std::uint64_t>(&func);
    len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
      if (btf* b = btf__load_from_kernel_by_id(btf_id)) {
        if (const btf_type* t = btf__type_by_id(b, func.type_id)) row.name = btf__name_by_offset(b, t->name_off);
        btf__free(b);
      }
  }
  return row;
}

// Where the tracer's time goes: the kernel's own per-program statistics (BPF_STATS_RUN_TIME,
// 5.8+) over one traced loop. Excludes the trampoline or kprobe around each program, which
// the empty-programs floor measures.
int profile(bool kprobe, const Workload& w) {
  const int stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (stats < 0) {
    std::fprintf(stderr, "profile: BPF_ENABLE_STATS refused (%s)\n", std::strerror(errno));
    return 1;
  }
  const double base = measure(w);
  auto t = start_tracer(kprobe, true);
  if (!t) return 1;
  Reader reader(*t);
  w.run(0.5);
  auto snapshot = [] {
    std::vector<Row> rows;
    for (std::uint32_t id = 0; bpf_prog_get_next_id(id, &id) == 0;) {
      const int fd = bpf_prog_get_fd_by_id(id);
      if (fd < 0) continue;
      if (auto row = prog_stats(fd)) rows.push_back(*row);
      close(fd);
    }
    return rows;
  };
  const auto before = snapshot();
  reader.measuring = true;
  const auto t0 = std::chrono::steady_clock::now();
  const double rate = w.run(w.seconds);
  const double conns = rate * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  reader.measuring = false;
  const auto after = snapshot();
  reader.finish();
  const std::uint64_t reader_ns = reader.measured_cpu_ns, reader_events = reader.measured_events;
  std::printf("profile (%s, %s loop): untraced %.0f conn/s = %.0f ns/conn; traced %.0f conn/s = %.0f ns/conn\n",
              tristate::report::name(t->info().mode).data(), bench::loop_name(w.loop), base,
              1e9 / base, rate, 1e9 / rate);
  std::printf("  %-44s %10s %10s %12s\n", "program", "calls/conn", "ns/call", "ns/conn");
  double total = 0;
  for (const auto& a : after) {
    std::uint64_t c0 = 0, n0 = 0;
    for (const auto& b : before)
      if (b.name == a.name) c0 = b.cnt, n0 = b.ns;
    if (a.cnt == c0) continue;
    const double calls = (a.cnt - c0) / conns, ns = double(a.ns - n0) / double(a.cnt - c0);
    total += calls * ns;
    std::printf("  %-44s %10.2f %10.0f %12.0f\n", a.name.c_str(), calls, ns, calls * ns);
  }
  std::printf("  in programs: %.0f ns/conn = %.1f %% of an untraced connection\n", total, 100.0 * total * base / 1e9);
  const double rns = double(reader_ns) / conns;
  std::printf("  reader thread (CPU time): %.0f ns/conn = %.1f %% of an untraced connection, %.1f events/conn, "
              "%.0f ns/event\n",
              rns, 100.0 * rns * base / 1e9, double(reader_events) / conns,
              reader_events ? double(reader_ns) / double(reader_events) : 0.0);
  close(stats);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Workload w;
  std::string bindsnoop, profile_mode;
  int rounds = 6;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) w.seconds = std::atof(argv[++i]);
    else if (a == "--loop" && i + 1 < argc) {
      const std::string l = argv[++i];
      if (l != "bind" && l != "connect") {
        std::fprintf(stderr, "trace_bench: --loop %s: expected bind or connect\n", l.c_str());
        return 2;
      }
      w.loop = l == "connect" ? bench::Loop::connect : bench::Loop::bind_connect;
    }
    else if (a == "--bindsnoop" && i + 1 < argc) bindsnoop = argv[++i];
    else if (a == "--profile" || a == "--profile-kprobe") profile_mode = a;
    else if (a == "--rounds" && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr,
                   "trace_bench: unknown argument %s (or its value missing)\nusage: trace_bench [--loop bind|connect] "
                   "[--seconds S] [--rounds N] [--bindsnoop PATH] [--profile | --profile-kprobe]\n",
                   a.c_str());
      return 2;
    }
  }
  if (unshare(CLONE_NEWNET) != 0 || !lo_up()) {
    std::perror("private network namespace");
    return 2;
  }
  if (split_cpus()) pin_to_cpu(0);
  if (!profile_mode.empty()) return profile(profile_mode == "--profile-kprobe", w);
  w.run(0.5);  // warm-up
  // Variants interleaved over rounds and the median kept: a TCG guest's speed drifts.
  std::vector<double> vb, vf, vk, vs, vu, ve, vr;
  double records_per_conn = 0;
  int empty_attached = 0;
  std::string mf, mk, snoop_error;
  std::uint64_t ef = 0, lf = 0, mfs = 0, ek = 0, lk = 0, mks = 0, eu = 0, lu = 0, mu = 0;
  std::string mu_mode;
  auto run_bindsnoop = [&]() -> void {
    if (bindsnoop.empty() || !snoop_error.empty()) return;
    pid_t pid = fork();
    if (pid == 0) {
      if (split_cpus()) pin_to_cpu(1);
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      execl(bindsnoop.c_str(), "bindsnoop", static_cast<char*>(nullptr));
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::seconds(3));  // let it load and attach
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      snoop_error = "bindsnoop exited before the measurement (status " + std::to_string(WEXITSTATUS(status)) +
                    "): it does not load on this kernel";
      return;
    }
    vs.push_back(measure(w));
    kill(pid, SIGINT);
    waitpid(pid, nullptr, 0);
  };
  const std::vector<std::function<void()>> variants = {
      [&] { vb.push_back(measure(w)); },
      [&] { vf.push_back(with_tracer(false, true, w, mf, ef, lf, mfs)); },
      [&] { vk.push_back(with_tracer(true, true, w, mk, ek, lk, mks)); },
      // the same probes on traffic the namespace filter excludes: what a trace costs the
      // rest of the machine
      [&] { vu.push_back(with_tracer(false, false, w, mu_mode, eu, lu, mu)); },
      [&] {
        empty_attached = 0;
        ve.push_back(with_empty_programs(w, empty_attached));
      },
      [&] { vr.push_back(with_record_programs(w, records_per_conn)); },
      run_bindsnoop,
  };
  // Each round starts one variant later: a variant's place in the round (after a detach, or
  // first after a warm-up) must not become its cost.
  for (int r = 0; r < rounds; ++r)
    for (std::size_t i = 0; i < variants.size(); ++i) variants[(i + r) % variants.size()]();
  auto median = [](std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  double base = median(vb), fentry = median(vf), kprobe = median(vk), snoop = median(vs), unwatched = median(vu),
         empty = median(ve), recorded = median(vr);
  auto pct = [&](double v) { return v > 0 ? 100.0 * (base - v) / base : 0.0; };
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  std::printf("trace_bench: %s loop, median of %d rounds x %.1f s per variant, same boot, "
              "%ld CPU%s (%s)\n",
              bench::loop_name(w.loop), rounds, w.seconds, cpus, cpus == 1 ? "" : "s",
              cpus >= 2 ? "loop on CPU 0, readers on CPU 1" : "loop and readers share the CPU");
  std::printf("  no tracer          %10.0f conn/s\n", base);
  std::printf("  tristate %-8s   %10.0f conn/s  cost %5.1f %%  (%llu events, %llu lost, %llu missed)\n", mf.c_str(),
              fentry, pct(fentry), static_cast<unsigned long long>(ef), static_cast<unsigned long long>(lf),
              static_cast<unsigned long long>(mfs));
  std::printf("  tristate %-8s   %10.0f conn/s  cost %5.1f %%  (%llu events, %llu lost, %llu missed)\n", mk.c_str(),
              kprobe, pct(kprobe), static_cast<unsigned long long>(ek), static_cast<unsigned long long>(lk),
              static_cast<unsigned long long>(mks));
  std::printf("  tristate %-8s   %10.0f conn/s  cost %5.1f %%  (namespace not watched: %llu events)\n",
              mu_mode.c_str(), unwatched, pct(unwatched), static_cast<unsigned long long>(eu));
  std::printf("  empty programs     %10.0f conn/s  cost %5.1f %%  (%d do-nothing fentry/fexit on the same "
              "functions: the floor)\n",
              empty, pct(empty), empty_attached);
  std::printf("  records floor      %10.0f conn/s  cost %5.1f %%  (the same, each fexit writing an 88-byte "
              "record read in 10 ms batches: %.1f records/conn)\n",
              recorded, pct(recorded), records_per_conn);
  if (!snoop_error.empty())
    std::printf("  bindsnoop          not measured: %s\n", snoop_error.c_str());
  else if (!bindsnoop.empty())
    std::printf("  bindsnoop          %10.0f conn/s  cost %5.1f %%\n", snoop, pct(snoop));
  else
    std::printf("  bindsnoop          not run (--bindsnoop PATH)\n");
  if (snoop > 0 && fentry > 0)
    std::printf("  ratio tristate-fentry/bindsnoop throughput: %.3f\n", fentry / snoop);
  return 0;
}
