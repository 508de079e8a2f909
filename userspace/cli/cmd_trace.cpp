// `tristate trace`: live bucket events of the whole system, of some processes, or of one
// command and its children, with the filters applied in BPF.
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
#include <span>
#include <stdexcept>

#include "cli/commands.hpp"
#include "cli/line_output.hpp"
#include "cli/option_checks.hpp"
#include "cli/privileges.hpp"
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
#include "util/blocked_signals.hpp"

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

using util::BlockedSignals;

std::int64_t mono_to_real_ns() {
  timespec r{}, m{};
  clock_gettime(CLOCK_REALTIME, &r);
  clock_gettime(CLOCK_MONOTONIC, &m);
  return (static_cast<std::int64_t>(r.tv_sec) - m.tv_sec) * 1000000000LL + (r.tv_nsec - m.tv_nsec);
}

// The BPF-side filters and ring-buffer sizes the options ask for; `netns` gets the namespaces
// to watch. Throws std::invalid_argument on a bad value.
trace::Options trace_options(const TraceArgs& a, std::vector<std::uint64_t>& netns) {
  trace::Options topt;
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
  return topt;
}

// The live events as lines (text and JSON Lines, cli/line_output) and the summary.
class LiveOutput : public LineOutput {
 public:
  LiveOutput(const TraceArgs& a, bool quiet)
      : LineOutput(a.json ? (a.json_file.empty() ? std::string("-") : a.json_file) : std::string(), quiet) {}

  void header(const render::LiveClock& clock) {
    if (text()) *text() << render::live_header_line(clock) << "\n";
    end_batch();
  }

  void events(std::span<const report::Event> events, const render::LiveClock& clock, std::int64_t offset) {
    for (const auto& e : events) {
      if (!ok()) break;
      if (text()) *text() << render::live_event_line(e, clock) << "\n";
      json_line(render::live_event_json(e, offset));  // flushed per line
    }
    end_batch();
  }

  // a trace with no events writes only this line
  void summary(const report::LiveSummary& summary) { json_line(render::live_summary_json(summary)); }
};

struct LoopEnd {
  int exit_code = kExitOk;          // the traced command's status, kExitOk without one
  bool stopped_for_output = false;  // the command got SIGTERM because the output failed
};

// Polls the ring buffer until Ctrl-C, --duration, a failed output or the traced command's
// end; feeds every event to `emit`.
template <class Emit>
LoopEnd poll_until_done(trace::Tracer& tracer, BlockedSignals& signals, std::optional<trace::TracedCommand>& cmd,
                        LiveOutput& out, double duration, Emit&& emit) {
  LoopEnd end;
  const auto t0 = std::chrono::steady_clock::now();
  bool stopping = false, timed_out = false;
  while (true) {
    emit(tracer.poll(100));
    while (int sig = signals.take()) {
      if (sig == SIGINT || sig == SIGTERM) {
        spdlog::debug("signal {}: stopping", sig);
        if (cmd) cmd->signal(sig);  // the command decides how to end; we wait for it
        stopping = true;
      } else if (sig == SIGPIPE) {
        out.fail(EPIPE);
      }
    }
    if (!out.ok()) stopping = true;
    if (cmd) {
      if (auto st = cmd->try_wait()) {
        end.exit_code = *st;
        break;
      }
      if (stopping && !out.ok() && !end.stopped_for_output) {
        cmd->signal(SIGTERM);
        end.stopped_for_output = true;
      }
    } else if (stopping) {
      break;
    }
    if (!timed_out && duration > 0 &&
        std::chrono::steady_clock::now() - t0 >= std::chrono::duration<double>(duration)) {
      if (!cmd) break;
      cmd->signal(SIGTERM);
      timed_out = true;
    }
  }
  return end;
}

render::LiveClock live_clock(bool relative_time) {
  render::LiveClock clock{mono_to_real_ns(), std::nullopt};
  if (relative_time) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    clock.start_ns = static_cast<std::uint64_t>(now.tv_sec) * 1000000000ULL + static_cast<std::uint64_t>(now.tv_nsec);
  }
  return clock;
}

// Everything after the options: throws on what makes the trace impossible; the caller is
// the command boundary.
int trace_live(const TraceArgs& a, bool quiet) {
  std::vector<std::uint64_t> netns;
  const trace::Options topt = trace_options(a, netns);
  LiveOutput out(a, quiet);

  BlockedSignals signals;  // before the child exists, so it cannot slip through
  std::optional<trace::TracedCommand> cmd;
  if (!a.command.empty()) {
    auto started = trace::TracedCommand::start(a.command, signals.old());
    if (!started) throw std::runtime_error(started.error().message);
    cmd.emplace(std::move(started.value()));
  }

  trace::route_libbpf_logs_to_spdlog();
  report::TraceInfo info;
  auto made = trace::Tracer::make(topt, &info);
  if (!made)
    throw std::runtime_error(privileges_first(
        made.error().message +
            " -- `tristate trace` needs a kernel it can trace; inside a lab guest it can: "
            "tristate kernels boot 6.12 -- tristate trace …; on this kernel, `tristate state "
            "--watch 200ms` samples the buckets instead (BPF iterators, no tracing)",
        " (sudo tristate trace …)"));
  auto tracer = std::move(made.value());
  if (!info.notice.empty()) spdlog::warn("{}", info.notice);
  auto watched = util::Result<void>{};
  for (auto n : netns)
    if (watched) watched = tracer->watch_netns(n);
  if (watched && cmd) watched = tracer->follow_tgid(static_cast<std::uint32_t>(cmd->pid()));
  if (!watched) throw std::runtime_error(watched.error().message);
  spdlog::info("tracing in {} mode{}; Ctrl-C to stop", report::name(info.mode),
               cmd ? " the command " + a.command[0] + " (pid " + std::to_string(cmd->pid()) + ") and its children" : "");
  if (!a.ready_file.empty()) std::ofstream(a.ready_file) << "ready\n";

  const auto t0 = std::chrono::steady_clock::now();
  const render::LiveClock clock = live_clock(a.relative_time);
  trace::LiveStats stats;
  out.header(clock);
  auto emit = [&](std::span<const report::Event> events) {
    for (const auto& e : events) stats.add(e);
    out.events(events, clock, clock.mono_to_real_ns);
  };

  LoopEnd end;
  // A command that cannot be run is that command's failure, not the trace's: the shell's 127,
  // and the summary (empty) is still printed.
  if (auto released = cmd ? cmd->release() : util::Result<void>{}; !released) {
    spdlog::error("{}", released.error().message);
    end.exit_code = 127;
  } else {
    end = poll_until_done(*tracer, signals, cmd, out, a.duration, emit);
  }
  emit(tracer->drain());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto summary = stats.summary(tracer->info(), tracer->undecodable(), secs);
  out.summary(summary);
  out.summary_stream() << render::live_summary_text(summary);
  out.summary_stream().flush();
  if (summary.missed)
    spdlog::warn("{} probe runs were skipped by the kernel (a tracing program preempted on a "
                 "CPU is not re-entered there): events are incomplete; --no-fentry avoids it",
                 summary.missed);
  if (summary.lost)
    spdlog::warn("{} events were lost (ring buffer full): raise --ringbuf-kb or filter more", summary.lost);
  if (!out.ok()) {
    // The events are the product: a trace whose output failed has failed, whatever the
    // traced command's own status (it was stopped with SIGTERM for that reason).
    spdlog::error("{}{}", out.error(), end.stopped_for_output ? "; stopped the traced command" : "");
    return kExitError;
  }
  return end.exit_code;
}


}  // namespace

void add_trace_command(CLI::App& app, Globals& g) {
  auto a = std::make_shared<TraceArgs>();
  auto* sub = app.add_subcommand(
      "trace",
      "Stream bind-bucket events live (system-wide, filtered, or of one command) until Ctrl-C.\n"
      "Filters run in BPF. With -p/--comm/-c/-- CMD, events the kernel takes outside a\n"
      "socket call of the task (TIME_WAIT buckets freed by a timer) are not shown: they\n"
      "belong to no process.");
  sub->footer(
      "Examples:\n"
      "  tristate trace                           every bucket event of the system\n"
      "  tristate trace --port 8080 --failed-only failed bind()/connect() on port 8080\n"
      "  tristate trace --json events.jsonl -- curl http://127.0.0.1:8080/");
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
                   ->expected(1)
                   ->check(kOutputFile);
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
    g.exit_code = trace_live(*a, g.quiet);
  });
}

}  // namespace tristate::cli
