// `tristate state`: the bhash buckets TCP sockets are on now, read by BPF iterators (no tracing
// needed); `--watch`: sampled again and again, each change printed as it is seen.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "cli/commands.hpp"
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

// Where the changes go: text on stdout unless -q or the JSON Lines take it; JSON Lines to
// --json, a line per change, flushed. A stream, so the file is written in place (as trace's).
class WatchOutput {
 public:
  WatchOutput(const std::string& json, bool quiet) : json_name_(json) {
    if (json == "-") {
      json_ = &std::cout;
    } else if (!json.empty()) {
      file_.open(json, std::ios::out | std::ios::trunc);
      if (!file_) throw std::runtime_error("cannot write " + json + ": " + std::strerror(errno));
      json_ = &file_;
    }
    text_ = !quiet && json_ != &std::cout;
  }
  bool text() const { return text_; }
  bool ok() const { return error_.empty(); }
  void changes(const std::vector<trace::StateChange>& changes) {
    if (changes.empty() || !ok()) return;
    const std::string time = util::iso_utc_now();
    for (const auto& c : changes) {
      if (text_) print_state_change(std::cout, c, time.substr(11, 12));
      if (json_)
        *json_ << state_change_json(c, time).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
    if (text_) std::cout.flush();
    if (json_) json_->flush();
    if ((text_ && !std::cout) || (json_ && !*json_)) fail(errno);
  }
  void fail(int err) {
    if (!ok()) return;
    const std::string where = json_ && json_ != &std::cout ? json_name_ : "standard output";
    error_ = "cannot write " + where + ": " + std::strerror(err ? err : EIO);
  }
  const std::string& error() const { return error_; }

 private:
  std::string json_name_;
  std::ofstream file_;
  std::ostream* json_ = nullptr;
  bool text_ = false;
  std::string error_;
};

// Samples every `a.watch` seconds until Ctrl-C/SIGTERM, --duration or a failed output. The
// snapshot object is loaded once; a sample that overruns the interval starts the next at once.
int watch_state(const StateArgs& a, bool quiet) {
  const trace::StateFilter filter = state_filter(a);
  auto loaded = trace::StepSnapshotter::load(trace::TaskScope::All, trace::TcpTables::Load);
  if (!loaded)
    throw std::runtime_error(lacks_bpf_privileges()
                                 ? privileges_first(loaded.error().message, " (sudo tristate state --watch …)")
                                 : loaded.error().message +
                                       "; run it inside a lab guest: tristate kernels boot 6.12 -- tristate state --watch");
  auto& snapshotter = *loaded.value();
  util::BlockedSignals signals({SIGINT, SIGTERM, SIGPIPE});
  WatchOutput out(a.json, quiet);
  auto previous = trace::take_state_snapshot(filter, snapshotter);
  if (!previous) throw std::runtime_error(previous.error().message);
  if (out.text()) {
    print_method_notes(previous.value().method, previous.value().blind);
    spdlog::info("sampling every {} ms: a bucket made and freed between two samples is not seen; Ctrl-C to stop",
                 static_cast<long>(a.watch * 1000 + 0.5));
  }
  out.changes(trace::initial_state(previous.value()));
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
    out.changes(trace::diff_state(previous.value(), current.value()));
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
