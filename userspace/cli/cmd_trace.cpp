// `tristate trace`: live bucket events of the whole system, of some processes, or of one
// command and its children, with the filters applied in BPF; `tristate state`: the bhash
// buckets that exist now.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "cli/text_output.hpp"
#include "render/render_live.hpp"
#include "trace/live_command.hpp"
#include "trace/live_filter.hpp"
#include "trace/live_state.hpp"
#include "report/report_json.hpp"
#include "trace/live_stats.hpp"
#include "report/json_id.hpp"
#include "report/schemas.hpp"
#include "report/state_text.hpp"
#include "trace/tracer.hpp"

namespace tristate::cli {
namespace {

struct TraceArgs {
  std::string pid, comm, port, cgroup;
  std::vector<std::string> netns;
  bool failed_only = false;
  bool relative_time = false;  // -t: seconds since the start instead of the wall clock
  std::string json_file;
  bool json = false;
  bool no_fentry = false;
  double duration = 0;
  std::string ready_file;
  std::uint32_t ringbuf_kb = 0;
  std::uint32_t wakeup_kb = 0;
  bool wakeup_per_event = false;
  std::vector<std::string> command;
};

// Signals are taken synchronously (sigtimedwait between ring-buffer polls): a line is never
// cut by a handler, and the BPF links are detached by the destructors on the way out.
class BlockedSignals {
 public:
  BlockedSignals() {
    sigemptyset(&set_);
    for (int s : {SIGINT, SIGTERM, SIGCHLD, SIGPIPE}) sigaddset(&set_, s);
    sigprocmask(SIG_BLOCK, &set_, &old_);
  }
  ~BlockedSignals() {
    // a blocked SIGPIPE or SIGCHLD left pending must not fire after we restore the mask
    timespec zero{};
    while (sigtimedwait(&set_, nullptr, &zero) > 0) {
    }
    sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  const sigset_t& old() const { return old_; }
  // The next pending signal, 0 if none.
  int take() {
    timespec zero{};
    int s = sigtimedwait(&set_, nullptr, &zero);
    return s > 0 ? s : 0;
  }

 private:
  sigset_t set_, old_;
};

std::int64_t mono_to_real_ns() {
  timespec r{}, m{};
  clock_gettime(CLOCK_REALTIME, &r);
  clock_gettime(CLOCK_MONOTONIC, &m);
  return (static_cast<std::int64_t>(r.tv_sec) - m.tv_sec) * 1000000000LL + (r.tv_nsec - m.tv_nsec);
}

int run_trace(const TraceArgs& a, Globals& g) {
  trace::Options topt;
  std::vector<std::uint64_t> netns;
  try {
    topt.force_kprobe = a.no_fentry;
    topt.wakeup = a.wakeup_per_event;
    if (!a.pid.empty()) topt.tgid = trace::parse_pid(a.pid);
    topt.comm = a.comm;
    if (a.comm.size() > 15)
      throw std::invalid_argument("--comm '" + a.comm + "': the kernel keeps only 15 characters of a command name");
    if (!a.port.empty()) {
      auto r = trace::parse_port_range(a.port);
      topt.port_lo = r.lo;
      topt.port_hi = r.hi;
    }
    if (!a.cgroup.empty()) topt.cgroup_id = trace::resolve_cgroup(a.cgroup);
    for (const auto& n : a.netns) netns.push_back(trace::resolve_netns(n));
    topt.trace_all_netns = netns.empty();
    topt.failed_only = a.failed_only;
    topt.follow = !a.command.empty();
    if (a.ringbuf_kb) topt.ringbuf_bytes = a.ringbuf_kb * 1024;
    const std::uint32_t ring = topt.ringbuf_bytes ? topt.ringbuf_bytes : 256 * 1024;
    // wake the reader at a quarter full by default: one wakeup per ~600 events, not per event
    topt.wakeup_bytes = a.wakeup_kb ? a.wakeup_kb * 1024 : ring / 4;
  } catch (const std::exception& e) {
    std::cerr << "tristate: trace: " << e.what() << "\n";
    return kExitError;
  }

  std::ofstream json_out;
  std::ostream* json = nullptr;
  if (a.json) {
    if (a.json_file.empty() || a.json_file == "-") {
      json = &std::cout;
    } else {
      json_out.open(a.json_file, std::ios::out | std::ios::trunc);
      if (!json_out) {
        std::cerr << "tristate: trace: cannot write " << a.json_file << ": " << std::strerror(errno) << "\n";
        return kExitError;
      }
      json = &json_out;
    }
  }
  const bool text_events = !g.quiet && json != &std::cout;
  std::ostream& summary_out = json == &std::cout ? std::cerr : std::cout;

  BlockedSignals signals;  // before the child exists, so it cannot slip through
  std::optional<trace::TracedCommand> cmd;
  try {
    if (!a.command.empty()) cmd.emplace(a.command, signals.old());
  } catch (const std::exception& e) {
    std::cerr << "tristate: trace: " << e.what() << "\n";
    return kExitError;
  }

  trace::route_libbpf_logs_to_spdlog();
  report::TraceInfo info;
  auto made = trace::Tracer::make(topt, &info);
  if (!made) {
    std::cerr << "tristate: trace: " << made.error().message
              << " -- `tristate trace` needs a kernel it can trace; inside a lab guest it can: "
                 "tristate kernels boot 6.12 -- tristate trace …\n";
    return kExitError;
  }
  auto tracer = std::move(made.value());
  if (!info.notice.empty()) spdlog::warn("{}", info.notice);
  auto watched = util::Result<void>{};
  for (auto n : netns)
    if (watched) watched = tracer->watch_netns(n);
  if (watched && cmd) watched = tracer->follow_tgid(static_cast<std::uint32_t>(cmd->pid()));
  if (!watched) {
    std::cerr << "tristate: trace: " << watched.error().message << "\n";
    return kExitError;
  }
  spdlog::info("tracing in {} mode{}; Ctrl-C to stop", report::name(info.mode),
               cmd ? " the command " + a.command[0] + " (pid " + std::to_string(cmd->pid()) + ") and its children" : "");
  if (!a.ready_file.empty()) std::ofstream(a.ready_file) << "ready\n";

  const auto t0 = std::chrono::steady_clock::now();
  const std::int64_t offset = mono_to_real_ns();
  trace::LiveStats stats;
  bool output_ok = true;
  std::string output_error;  // why the output failed, taken when it did
  render::LiveClock clock{offset, std::nullopt};
  if (a.relative_time) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    clock.start_ns = static_cast<std::uint64_t>(now.tv_sec) * 1000000000ULL + static_cast<std::uint64_t>(now.tv_nsec);
  }
  if (text_events) std::cout << render::live_header_line(clock) << "\n" << std::flush;
  auto emit = [&](std::span<const report::Event> events) {
    for (const auto& e : events) {
      stats.add(e);
      if (!output_ok) continue;
      if (text_events) std::cout << render::live_event_line(e, clock) << "\n";
      if (json) *json << render::live_event_json(e, offset) << std::endl;  // flushed per line
    }
    if (text_events) std::cout.flush();
    if (output_ok && ((text_events && !std::cout) || (json && !*json))) {
      output_ok = false;
      output_error = std::strerror(errno);
    }
  };

  int exit_code = kExitOk;
  try {
    if (cmd) cmd->release();
  } catch (const std::exception& e) {
    std::cerr << "tristate: trace: " << e.what() << "\n";
    exit_code = 127;
  }
  bool stopping = false, timed_out = false, stopped_for_output = false;
  while (exit_code == kExitOk) {
    emit(tracer->poll(100));
    while (int sig = signals.take()) {
      if (sig == SIGINT || sig == SIGTERM) {
        spdlog::debug("signal {}: stopping", sig);
        if (cmd) cmd->signal(sig);  // the command decides how to end; we wait for it
        stopping = true;
      } else if (sig == SIGPIPE && output_ok) {
        output_ok = false;
        output_error = std::strerror(EPIPE);
      }
    }
    if (!output_ok) stopping = true;
    if (cmd) {
      if (auto st = cmd->try_wait()) {
        exit_code = *st;
        break;
      }
      if (stopping && !output_ok && !stopped_for_output) {
        cmd->signal(SIGTERM);
        stopped_for_output = true;
      }
    } else if (stopping) {
      break;
    }
    if (!timed_out && a.duration > 0 &&
        std::chrono::steady_clock::now() - t0 >= std::chrono::duration<double>(a.duration)) {
      if (!cmd) break;
      cmd->signal(SIGTERM);
      timed_out = true;
    }
  }
  emit(tracer->drain());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto summary = stats.summary(tracer->info(), tracer->undecodable(), secs);
  if (json) *json << render::live_summary_json(summary) << std::endl;
  if (json && !*json && output_ok) {  // a trace with no events writes only this line
    output_ok = false;
    output_error = std::strerror(errno);
  }
  summary_out << render::live_summary_text(summary);
  summary_out.flush();
  if (summary.missed)
    spdlog::warn("{} probe runs were skipped by the kernel (a tracing program preempted on a "
                 "CPU is not re-entered there): events are incomplete; --no-fentry avoids it",
                 summary.missed);
  if (summary.lost)
    spdlog::warn("{} events were lost (ring buffer full): raise --ringbuf-kb or filter more", summary.lost);
  (void)g;
  if (!output_ok) {
    // The events are the product: a trace whose output failed has failed, whatever the
    // traced command's own status (it was stopped with SIGTERM for that reason).
    const std::string where = json && json != &std::cout ? a.json_file : "standard output";
    std::cerr << "tristate: trace: cannot write " << where << ": " << output_error
              << (stopped_for_output ? "; stopped the traced command" : "") << "\n";
    return kExitError;
  }
  return exit_code;
}

struct StateArgs {
  std::vector<std::string> netns;
  std::string port;
  std::string json;  // --json [FILE]: "-" (stdout) when given without a file
};

int run_state(const StateArgs& a, bool quiet) {
  trace::StateFilter f;
  try {
    for (const auto& n : a.netns) {
      f.netns.push_back(trace::resolve_netns(n));
      if (n.find('/') != std::string::npos) f.netns_paths[f.netns.back()] = n;
    }
    if (!a.port.empty()) {
      auto r = trace::parse_port_range(a.port);
      f.port_lo = r.lo;
      f.port_hi = r.hi;
    }
  } catch (const std::exception& e) {
    std::cerr << "tristate: state: " << e.what() << "\n";
    return kExitError;
  }
  auto snap = trace::take_state_snapshot(f);
  if (!snap) {
    std::cerr << "tristate: state: " << snap.error().message << "\n";
    return kExitError;
  }
  const auto& s = snap.value();
  auto owners_json = [](const trace::StateBucket& b) {
    auto arr = nlohmann::json::array();
    for (const auto& o : b.owners)
      arr.push_back({{"pid", o.pid}, {"comm", o.comm}, {"fd", o.fd}, {"local", o.local}, {"tcp_state", o.tcp_state}});
    return arr;
  };
  // connect() shares a port only when both values are -1 (KERNEL-NOTES: the skip test)
  auto connect_shares = [](const report::BucketState& st) { return st.fastreuse < 0 && st.fastreuseport < 0; };
  if (!a.json.empty()) {
    nlohmann::json j{{"schema", report::kStateSchema}, {"method", s.method}, {"blind", s.blind},
                     {"buckets", nlohmann::json::array()}};
    for (const auto& b : s.buckets)
      j["buckets"].push_back(nlohmann::json{{"bucket", report::id_to_json(b.id)}, {"netns", b.netns}, {"port", b.port},
                                            {"l3mdev", b.l3mdev}, {"state", nlohmann::json(b.state)},
                                            {"connect_shares", connect_shares(b.state)},
                                            {"sockets", b.sockets}, {"owners", owners_json(b)}});
    return write_json(a.json, j) ? kExitOk : kExitError;
  }
  if (quiet) return kExitOk;
  // notes on stderr, the table on stdout (pipes into sort/awk stay clean)
  std::cerr << "how: " << s.method << "\nnot seen: " << s.blind << "\n";
  std::cout << s.buckets.size() << " bhash buckets\n";
  if (!s.buckets.empty())
    std::cout << "netns        port   fastreuse/port  connect() shares  sockets\n";
  for (const auto& b : s.buckets) {
    std::string socks;
    for (const auto& [st, n] : b.sockets) socks += (socks.empty() ? "" : ", ") + std::to_string(n) + " " + st;
    char line[160];
    std::snprintf(line, sizeof(line), "%-12llu %-6u %-15s %-17s ", static_cast<unsigned long long>(b.netns),
                  b.port, report::pair_text(b.state).c_str(), connect_shares(b.state) ? "yes" : "no");
    std::cout << line << socks << (b.l3mdev ? " (l3mdev " + std::to_string(b.l3mdev) + ")" : "") << "\n";
    // as ss -tanp: users:(("comm",pid=N,fd=M)); a socket no file holds has no user
    for (const auto& o : b.owners) {
      std::cout << "    " << std::left << std::setw(12) << o.tcp_state << " " << std::setw(24) << o.local << " ";
      if (o.pid) std::cout << "users:((\"" << o.comm << "\",pid=" << o.pid << ",fd=" << o.fd << "))";
      std::cout << "\n";
    }
  }
  return kExitOk;
}

}  // namespace

void add_state_command(CLI::App& app, Globals& g) {
  auto a = std::make_shared<StateArgs>();
  auto* sub = app.add_subcommand("state", "Snapshot of the bhash buckets TCP sockets are on now, and their tri-state");
  sub->add_option("--netns", a->netns, "Only this network namespace: inode number or path; repeatable");
  sub->add_option("-P,--port", a->port, "Only this port or range P-Q");
  auto* json = sub->add_option("--json", a->json, "Write one JSON object to FILE (- or no FILE = stdout) instead of the table")
                   ->type_name("FILE")
                   ->expected(0, 1);
  add_quiet_flag(*sub, g, "only the exit status (0: the snapshot could be taken)");
  sub->callback([a, json, &g] {
    if (json->count() > 0 && a->json.empty()) a->json = "-";
    g.exit_code = run_state(*a, g.quiet);
  });
}

void add_trace_command(CLI::App& app, Globals& g) {
  auto a = std::make_shared<TraceArgs>();
  auto* sub = app.add_subcommand(
      "trace",
      "Stream bind-bucket events live (system-wide, filtered, or of one command) until Ctrl-C\n"
      "Examples:\n"
      "  tristate trace                           every bucket event of the system\n"
      "  tristate trace --port 8080 --failed-only failed bind()/connect() on port 8080\n"
      "  tristate trace --json events.jsonl -- curl http://127.0.0.1:8080/\n"
      "Filters run in BPF. With -p/--comm/-c/-- CMD, events the kernel takes outside a\n"
      "socket call of the task (TIME_WAIT buckets freed by a timer) are not shown: they\n"
      "belong to no process.");
  sub->add_option("-p,--pid", a->pid, "Only this process (tgid)");
  // bcc's bindsnoop vocabulary where the two overlap: -c is a cgroup there, -P a port, -x failed
  sub->add_option("--comm", a->comm, "Only tasks with this command name (15 characters at most)");
  sub->add_option("--netns", a->netns, "Only this network namespace: inode number or path (/proc/PID/ns/net, /run/netns/NAME); repeatable");
  sub->add_option("-P,--port", a->port, "Only this local port or range P-Q");
  sub->add_option("-c,--cgroup", a->cgroup, "Only tasks in this cgroup v2 directory");
  sub->add_flag("-x,--failed-only", a->failed_only, "Only bind()/connect() port allocations that failed");
  sub->add_flag("-t,--timestamp", a->relative_time,
                "Time column in seconds since the trace started (default: wall-clock time, UTC)");
  // FILE is mandatory: CLI11 (2.3) loses the `--` of `--json -- CMD` when the value is optional
  auto* json = sub->add_option("--json", a->json_file, "Write JSON Lines (one event per line, flushed) to FILE; '-' is stdout")
                   ->type_name("FILE")
                   ->expected(1);
  add_quiet_flag(*sub, g, "no line per event, only the summary");
  sub->add_flag("--no-fentry", a->no_fentry, "Use kprobes even where fentry works");
  using namespace std::chrono_literals;
  sub->add_option("--duration", a->duration, "Stop after this long: 10s, 500ms, 2m (a plain number is seconds)")
      ->type_name("DURATION")
      ->transform(duration_in(1s, 1ms, 24h * 365, false));
  sub->add_option("--ready-file", a->ready_file, "Create this file once every probe is attached");
  sub->add_option("--ringbuf-kb", a->ringbuf_kb, "Ring buffer size in KiB (power of two)")->group("");
  sub->add_option("--wakeup-kb", a->wakeup_kb, "Wake the reader before this much is pending (each CPU after its share)")->group("");
  sub->add_flag("--wakeup-per-event", a->wakeup_per_event, "Wake the reader for every event")->group("");
  sub->add_option("command", a->command, "-- CMD ARGS…: run CMD and trace only it and its children");
  sub->callback([a, json, &g] {
    a->json = json->count() > 0;
    g.exit_code = run_trace(*a, g);
  });
}

}  // namespace tristate::cli
