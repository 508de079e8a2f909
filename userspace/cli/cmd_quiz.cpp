// `tristate quiz`: parse quizzes, run them (here or in a lab guest), render the Report.
#include <sched.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <map>
#include <stdexcept>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.hpp"
#include "cli/guest_run.hpp"
#include "cli/host_run.hpp"
#include "cli/option_checks.hpp"
#include "cli/report_io.hpp"
#include "cli/text_output.hpp"
#include "quiz/quiz_parser.hpp"
#include "quiz/quiz_runner.hpp"
#include "render/render_text.hpp"
#include "report/schemas.hpp"

namespace tristate::cli {

namespace {

struct QuizOptions {
  std::vector<std::string> names;
  std::string json_path;
  std::string kernel = "host";
  bool no_trace = false;
  bool no_fentry = false;
  bool list = false;
  bool no_state = false;
  bool background = false;
  bool detach_after_exit = false;
  int timeout_ms = 10000;
  int guest_timeout_s = 240;
  int jobs = 0;  // 0: as many as this process may use CPUs
};

// The CPUs this process may run on (taskset, cgroup cpusets), at least 1.
int usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Runs the quizzes in a lab guest booted from `o.kernel`; the guest's own Report comes back.
// Throws when the guest could not run them.
void run_in_guest(const QuizOptions& o, const std::vector<std::string>& paths, const Globals& g,
                  report::Report& rep) {
  GuestQuizRun run;
  run.kernels = {o.kernel};
  run.quiz_paths = paths;
  run.timeout_s = o.guest_timeout_s;
  run.quiz_flags = {"--timeout", std::to_string(o.timeout_ms)};
  if (o.no_trace) run.quiz_flags.push_back("--no-trace");
  if (o.no_fentry) run.quiz_flags.push_back("--no-fentry");
  if (o.no_state) run.quiz_flags.push_back("--no-state");
  if (o.jobs > 0) run.quiz_flags.insert(run.quiz_flags.end(), {"--jobs", std::to_string(o.jobs)});
  auto outcomes = run_quizzes_in_guests(run, g);
  auto& out = outcomes.at(0);
  if (!out.ok) throw std::runtime_error("kernel " + o.kernel + ": " + out.error);
  spdlog::info("[{}] boot {:.1f} s, quizzes {:.1f} s", o.kernel, out.boot_s, out.run_s);
  const std::string command = rep.command;
  rep = std::move(out.report);
  rep.command = command;
}

// `quiz --list`: the quizzes NAMES (default: every built-in one) would run, without running
// them; with --json, one JSON document instead of the table.
int list(const QuizOptions& o, const Globals& g) {
  std::vector<quiz::Quiz> quizzes;
  for (const auto& path : quiz::resolve_quiz_paths(o.names, g.quiz_dir)) quizzes.push_back(quiz::load_quiz(path));
  if (!o.json_path.empty()) {
    nlohmann::json j{{"schema", report::kQuizListSchema}, {"quiz_dir", g.quiz_dir}, {"quizzes", nlohmann::json::array()}};
    for (const auto& q : quizzes)
      j["quizzes"].push_back({{"name", q.name}, {"file", q.file}, {"title", q.title}, {"source", q.source},
                              {"lesson", q.lesson}, {"steps", q.steps.size()}});
    return write_json(o.json_path, j) ? kExitOk : kExitError;
  }
  if (g.quiet) return kExitOk;
  size_t width = 4;
  for (const auto& q : quizzes) width = std::max(width, q.name.size());
  std::cout << std::left << std::setw(static_cast<int>(width) + 2) << "NAME" << "TITLE\n";
  for (const auto& q : quizzes) std::cout << std::setw(static_cast<int>(width) + 2) << q.name << q.title << "\n";
  std::cout << std::flush;
  return kExitOk;
}

// Parses every file before anything runs (also before a guest boots): a typo in the fifth
// file must not leave four half-run quizzes behind.
std::vector<quiz::Quiz> load_quizzes(const std::vector<std::string>& paths) {
  std::vector<quiz::Quiz> quizzes;
  std::map<std::string, std::string> seen;  // name -> the file that had it first
  for (const auto& path : paths) {
    quizzes.push_back(quiz::load_quiz(path));
    // Reports are compared quiz by quiz, by name: the same name twice would be ambiguous.
    const auto& q = quizzes.back();
    if (auto [it, fresh] = seen.emplace(q.name, q.file); !fresh)
      throw std::invalid_argument("quiz '" + q.name + "' is named twice (" + it->second + ", " +
                                  q.file + "); a report holds each quiz once");
  }
  return quizzes;
}

int run(const QuizOptions& o, Globals& g) {
  if (o.list) return list(o, g);
  const std::vector<std::string> paths = quiz::resolve_quiz_paths(o.names, g.quiz_dir);
  if (o.kernel != "host") require_quiz_files_for_guests(paths);
  const std::vector<quiz::Quiz> quizzes = load_quizzes(paths);

  report::Report rep = new_report(g);
  if (o.kernel == "host") {
    HostRunOptions host{o.no_trace, o.no_fentry, o.timeout_ms, o.detach_after_exit, o.no_state};
    host.jobs = o.jobs > 0 ? o.jobs : usable_cpus();
    rep = run_quizzes_on_host(quizzes, host, g);
    // The text report's header carries the notice; without one, say it on stderr.
    const bool text_shown = o.json_path != "-" && !g.quiet;
    if (rep.trace.mode == report::TraceMode::none && !o.no_trace && !text_shown)
      spdlog::warn("running untraced: {}", rep.trace.notice);
    if (rep.state.method == "none" && !o.no_state && !text_shown) spdlog::warn("{}", rep.state.notice);
  } else {
    run_in_guest(o, paths, g, rep);
  }

  for (const auto& q : rep.quizzes)
    if (q.status == report::QuizStatus::error) spdlog::error("{}: {}", q.file, q.error);

  render::TextOptions text;
  text.color = g.color;
  text.background = o.background;
  if (o.json_path != "-" && !g.quiet) std::cout << render::render_text(rep, text) << std::flush;
  if (!o.json_path.empty() && !write_report(rep, o.json_path)) return kExitError;
  return exit_status(rep);
}

}  // namespace

void add_quiz_command(CLI::App& app, Globals& g) {
  auto o = std::make_shared<QuizOptions>();
  auto* sub = app.add_subcommand(
      "quiz",
      "Run quizzes in private network namespaces and show each syscall's result with the\n"
      "bind-bucket transitions it caused. Exit 0: every step as expected; 1: some differ;\n"
      "2: bad input or a quiz could not run.");
  sub->add_option("quizzes", o->names,
                  "Quiz names (files in quizzes/, e.g. post-3), paths to .quiz files, or - for "
                  "standard input (paste, then Ctrl-D); default: every built-in quiz");
  sub->add_option("--json", o->json_path, "Also write the Report as JSON to FILE (- = stdout)")
      ->type_name("FILE")
      ->check(kNonEmpty)
      ->check(kOutputFile);
  sub->add_option("-k,--kernel", o->kernel,
                  "Where to run: host, a series (5.10, 6.1, 6.12, latest), a Debian kernel "
                  "package name, or a vmlinuz path")
      ->type_name("SPEC")
      ->check(kNonEmpty)
      ->default_val("host");
  sub->add_flag("-l,--list", o->list,
                "List the quizzes (default: the built-in ones) with their titles instead of running "
                "them; with --json FILE, as JSON");
  sub->add_flag("--no-trace", o->no_trace, "Do not load the BPF tracer");
  sub->add_flag("--no-fentry", o->no_fentry, "Force the kprobe/kretprobe fallback");
  sub->add_flag("--no-state", o->no_state,
                "Do not read the bind buckets after each step (BPF iterators)");
  sub->add_option("-j,--jobs", o->jobs,
                  "Quizzes run side by side, each in its own namespace (default: the CPUs this "
                  "process may use); reports keep the files' order. Traced runs take one at a time")
      ->check(CLI::Range(1, 256));
  sub->add_flag("--background", o->background,
                "Also print events no step caused (setup listener, timers)");
  add_quiet_flag(*sub, g, "use with --json");
  // Set by the lab for the command it runs in a guest; hidden: on a host it only delays
  // the detach past exit.
  sub->add_flag("--detach-after-exit", o->detach_after_exit)->group("");
  using namespace std::chrono_literals;
  sub->add_option("--timeout", o->timeout_ms,
                  "Per-quiz timeout: 10s, 500ms, ... (a plain number is milliseconds)")
      ->default_str("10s")
      ->type_name("DURATION")
      ->transform(duration_in(1ms, 1ms, 1h));
  sub->add_option("--guest-timeout", o->guest_timeout_s,
                  "Time a --kernel guest may take, boot included: 4m, 90s, ... (a plain number is seconds)")
      ->default_str("240s")
      ->type_name("DURATION")
      ->transform(duration_in(1s, 5s, 1h));
  sub->footer(
      "Examples:\n"
      "  tristate quiz                     every built-in quiz on this kernel\n"
      "  tristate quiz post-3 post-3-fixed the post's Quiz 3 and its fix\n"
      "  tristate quiz my.quiz --json -    a quiz of your own, JSON on stdout\n"
      "  tristate quiz post-8 --kernel 6.1 traced, inside a Debian 6.1 guest");
  sub->callback([o, &g] {
    if (o->list && o->kernel != "host") {
      spdlog::error("quiz --list does not run anything: leave out --kernel");
      g.exit_code = kExitError;
      return;
    }
    g.exit_code = run(*o, g);
  });
}

}  // namespace tristate::cli
