// `tristate state`: the bhash buckets TCP sockets are on now, read by BPF iterators (no tracing
// needed); `--watch`: sampled again and again, each change printed as it is seen.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "cli/commands.hpp"
#include "cli/line_output.hpp"
#include "cli/option_checks.hpp"
#include "cli/privileges.hpp"
#include "cli/state_output.hpp"
#include "cli/text_output.hpp"
#include "report/schemas.hpp"
#include "trace/live_filter.hpp"
#include "trace/live_state.hpp"
#include "trace/state_watch.hpp"
#include "trace/step_snapshot.hpp"
#include "util/blocked_signals.hpp"
#include "util/clock.hpp"

namespace tristate::cli {
namespace {

using namespace std::chrono_literals;

struct StateArgs {
  std::vector<std::string> netns;
  std::string port;
  std::string json;      // --json [FILE]: "-" (stdout) when given without a file
  double watch = 0;      // --watch DURATION: seconds between samples; 0: one snapshot
  double duration = 0;   // --duration: stop watching after this long; 0: at Ctrl-C
};

trace::StateFilter state_filter(const StateArgs& a) {
  trace::StateFilter f;
  for (const auto& n : a.netns) {
    f.netns.push_back(trace::resolve_netns(n));
    if (n.find('/') != std::string::npos) f.netns_paths[f.netns.back()] = n;
  }
  if (!a.port.empty()) {
    auto r = trace::parse_port_range(a.port);
    f.port_lo = r.lo;
    f.port_hi = r.hi;
  }
  return f;
}

int run_state(const StateArgs& a, bool quiet) {
  auto snap = trace::take_state_snapshot(state_filter(a));
  if (!snap) throw std::runtime_error(privileges_first(snap.error().message, " (sudo tristate state …)"));
  const auto& s = snap.value();
  if (!a.json.empty()) {
    nlohmann::json j{{"schema", report::kStateSchema}, {"method", s.method}, {"blind", s.blind},
                     {"buckets", nlohmann::json::array()}};
    for (const auto& b : s.buckets) j["buckets"].push_back(state_bucket_json(b));
    return write_json(a.json, j) ? kExitOk : kExitError;
  }
  if (quiet) return kExitOk;
  print_method_notes(s.method, s.blind);
  print_state_table(std::cout, s);
  return kExitOk;
}

// Each change as text (print_state_change) and as a JSON Lines record (cli/line_output).
void write_changes(LineOutput& out, const std::vector<trace::StateChange>& changes) {
  if (changes.empty() || !out.ok()) return;
  const std::string time = util::iso_utc_now();
  for (const auto& c : changes) {
    if (out.text()) print_state_change(*out.text(), c, time.substr(11, 12));
    out.json_line(state_change_json(c, time).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  out.end_batch();
}

// Samples every `a.watch` seconds until Ctrl-C/SIGTERM, --duration or a failed output. The
// snapshot object is loaded once; a sample that overruns the interval starts the next at once.
int watch_state(const StateArgs& a, bool quiet) {
  const trace::StateFilter filter = state_filter(a);
  auto loaded = trace::StepSnapshotter::load(trace::TaskScope::All, trace::TcpTables::Load);
  if (!loaded)
    throw std::runtime_error(privileges_first(
        loaded.error().message + "; run it inside a lab guest: tristate kernels boot 6.12 -- tristate state --watch",
        " (sudo tristate state --watch …)"));
  auto& snapshotter = *loaded.value();
  util::BlockedSignals signals({SIGINT, SIGTERM, SIGPIPE});
  LineOutput out(a.json, quiet);
  auto previous = trace::take_state_snapshot(filter, snapshotter);
  if (!previous) throw std::runtime_error(previous.error().message);
  if (out.text()) {
    print_method_notes(previous.value().method, previous.value().blind);
    spdlog::info("sampling every {} ms: a bucket made and freed between two samples is not seen; Ctrl-C to stop",
                 static_cast<long>(a.watch * 1000 + 0.5));
  }
  write_changes(out, trace::initial_state(previous.value()));
  const auto interval = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(a.watch));
  const auto t0 = std::chrono::steady_clock::now();
  const auto end = a.duration > 0
                       ? t0 + std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(a.duration))
                       : std::chrono::steady_clock::time_point::max();
  auto next = t0 + interval;
  while (out.ok()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= end) break;
    const int sig = signals.wait(std::min(next, end) - now);
    if (sig == SIGPIPE) out.fail(EPIPE);
    if (sig) {
      spdlog::debug("signal {}: stopping", sig);
      break;
    }
    if (std::chrono::steady_clock::now() < next) continue;  // --duration's end came first
    auto current = trace::take_state_snapshot(filter, snapshotter);
    if (!current) throw std::runtime_error(current.error().message);
    write_changes(out, trace::diff_state(previous.value(), current.value()));
    previous = std::move(current);
    next = std::max(next + interval, std::chrono::steady_clock::now());
  }
  if (!out.ok()) {
    spdlog::error("{}", out.error());
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

void add_state_command(CLI::App& app, Globals& g) {
  auto a = std::make_shared<StateArgs>();
  auto* sub = app.add_subcommand(
      "state",
      "Snapshot of the bhash buckets TCP sockets are on now, and their tri-state.\n"
      "Needs BPF iterators (5.9+), not tracing: --watch is the live view on kernels that refuse\n"
      "fentry and kprobes. It samples: a bucket made and freed between two samples is not seen.");
  sub->footer(
      "Examples:\n"
      "  tristate state                          every bucket now, with who holds it\n"
      "  tristate state --watch 200ms -P 60000   each change of port 60000's bucket, sampled every 200 ms\n"
      "  tristate state --watch 1s --json changes.jsonl");
  sub->add_option("--netns", a->netns, "Only this network namespace: inode number or path; repeatable");
  sub->add_option("-P,--port", a->port, "Only this port or range P-Q");
  auto* json = sub->add_option("--json", a->json,
                               "Write one JSON object to FILE (- or no FILE = stdout) instead of the table; with "
                               "--watch, JSON Lines: one line per change")
                   ->type_name("FILE")
                   ->expected(0, 1)
                   ->check(kOutputFile);
  auto* watch = sub->add_option("--watch", a->watch,
                                "Take a snapshot again every DURATION (10s, 500ms; a plain number is seconds) and print "
                                "each bucket that appears, changes state or holders, or is freed, until Ctrl-C")
                    ->type_name("DURATION")
                    ->transform(duration_in(1s, 100ms, 24h, false));
  auto* duration = sub->add_option("--duration", a->duration, "With --watch: stop after this long: 10s, 500ms, 2m")
                       ->type_name("DURATION")
                       ->transform(duration_in(1s, 1ms, 24h * 365, false));
  duration->needs(watch);
  add_quiet_flag(*sub, g, "only the exit status (0: the snapshot could be taken)");
  sub->callback([a, json, &g] {
    if (json->count() > 0 && a->json.empty()) a->json = "-";
    g.exit_code = a->watch > 0 ? watch_state(*a, g.quiet) : run_state(*a, g.quiet);
  });
}

}  // namespace tristate::cli
