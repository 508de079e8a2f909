// `tristate matrix`: the same quizzes on the host and on several lab kernels, side by side.
// Exit 0 when every kernel agrees, 1 when some step differs, 2 when a kernel could not run.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <functional>
#include <future>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "cli/compare_output.hpp"
#include "cli/guest_run.hpp"
#include "cli/host_run.hpp"
#include "cli/report_io.hpp"
#include "compare/matrix.hpp"
#include "lab/kernel_history.hpp"
#include "quiz/quiz_parser.hpp"

namespace tristate::cli {

namespace {

struct MatrixOptions {
  std::vector<std::string> names;
  std::vector<std::string> kernels{"5.10", "6.1", "6.12", "latest"};
  bool no_host = false;
  bool no_fentry = false;
  bool no_trace = false;
  bool no_state = false;
  int jobs = 0;
  int guest_timeout_s = 240;
  std::string save_dir;  // each column's Report, for a later `tristate compare`
  bool history = false;  // the newest build of every minor the mirror has, from 5.10 on
  MatrixOutputs outs;
};

// --history: one column per minor (5.10, 6.1, 6.12, 6.16 … newest), each its newest build.
std::vector<std::string> history_minors() {
  auto cache = lab::Cache::from_environment();
  std::vector<std::string> minors;
  for (auto& b : lab::available_builds(cache, [](const std::string& l) { spdlog::info("{}", l); }))
    if (b.upstream.find('~') == std::string::npos && !lab::upstream_less(b.minor, "5.10") &&
        (minors.empty() || minors.back() != b.minor))
      minors.push_back(b.minor);
  return minors;
}

// What a step did, to find where in the column order a row first changes.
std::string step_outcome(const report::Step& s) {
  std::string out = s.actual;
  for (auto& c : s.calls) out += "|" + (c.ok ? std::string("ok") : c.err_name);
  return out;
}

// For each step whose outcome is not the same in every column: the first column (in version
// order) that differs from the oldest one. Stdout, after the matrix.
void print_first_changes(const std::vector<compare::LabelledReport>& cols) {
  if (cols.size() < 2) return;
  std::cout << "\nfirst column where each row changes (oldest kernel first):\n";
  int rows = 0;
  const auto& base = cols.front().report;
  for (std::size_t q = 0; q < base.quizzes.size(); ++q)
    for (std::size_t s = 0; s < base.quizzes[q].steps.size(); ++s) {
      const auto& b = base.quizzes[q].steps[s];
      for (std::size_t c = 1; c < cols.size(); ++c) {
        const auto& r = cols[c].report;
        if (q >= r.quizzes.size() || s >= r.quizzes[q].steps.size() ||
            r.quizzes[q].name != base.quizzes[q].name)
          continue;
        const auto& o = r.quizzes[q].steps[s];
        if (step_outcome(o) == step_outcome(b)) continue;
        std::cout << "  " << base.quizzes[q].name << " step " << b.index << " (" << b.source << "): "
                  << cols[c - 1].label << " -> " << cols[c].label << "\n";
        ++rows;
        break;
      }
    }
  if (rows == 0) std::cout << "  none: every row is the same on every kernel\n";
  std::cout << std::flush;
}

void save(const report::Report& rep, const std::string& dir, const std::string& label) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  write_report(rep, dir + "/" + label + ".json");
}

GuestQuizRun guest_run_of(const MatrixOptions& o, const std::vector<std::string>& kernels,
                          const std::vector<std::string>& paths) {
  GuestQuizRun run;
  run.kernels = kernels;
  run.quiz_paths = paths;
  run.jobs = o.jobs;
  run.timeout_s = o.guest_timeout_s;
  if (o.no_fentry) run.quiz_flags.push_back("--no-fentry");
  if (o.no_trace) run.quiz_flags.push_back("--no-trace");
  if (o.no_state) run.quiz_flags.push_back("--no-state");
  return run;
}

// The guests' columns, in the order of `kernels`. A kernel that did not run is logged and
// leaves `failed` set: the others still make a matrix.
void add_guest_columns(const MatrixOptions& o, const PreparedGuestRun& prepared,
                       std::vector<compare::LabelledReport>& columns, bool& failed) {
  for (auto& out : run_prepared_guests(prepared)) {
    if (!out.ok) {
      spdlog::error("kernel {}: {}", out.spec, out.error);
      failed = true;
      continue;
    }
    spdlog::info("[{}] {}: boot {:.1f} s, quizzes {:.1f} s, trace {}", out.spec,
                 out.report.kernel.release, out.boot_s, out.run_s, report::name(out.report.trace.mode));
    if (!o.save_dir.empty()) save(out.report, o.save_dir, out.spec);
    columns.push_back({out.spec + " " + out.report.kernel.release, "", std::move(out.report)});
  }
}

int run(const MatrixOptions& o, const Globals& g) {
  const std::vector<std::string> paths = quiz::resolve_quiz_paths(o.names, g.quiz_dir);
  require_quiz_files_for_guests(paths);
  std::vector<quiz::Quiz> quizzes;
  for (const auto& p : paths) quizzes.push_back(quiz::load_quiz(p));

  std::vector<std::string> kernels = o.kernels;
  if (o.history) {
    kernels = history_minors();
    spdlog::info("history: {} minors, newest build of each", kernels.size());
  }
  // The guests' preparation (kernels' seals and images hashed, the initramfs named) runs on
  // another thread while this one runs the host's column: before the first qemu starts one
  // core would idle either way. The guests themselves start after the host column (running
  // it beside them only took their CPU: 10.66 s against 10.19 s median).
  std::future<PreparedGuestRun> prepared;
  if (!kernels.empty())
    prepared = std::async(std::launch::async, prepare_quizzes_in_guests, guest_run_of(o, kernels, paths), std::cref(g));
  std::vector<compare::LabelledReport> columns;
  bool failed = false;
  if (!o.no_host && !o.history) {
    auto rep = run_quizzes_on_host(quizzes, {o.no_trace, o.no_fentry, 10000, false, o.no_state}, g);
    if (rep.trace.mode == report::TraceMode::none) spdlog::info("[host] untraced: {}", rep.trace.notice);
    const std::string label = "host " + rep.kernel.release;
    if (!o.save_dir.empty()) save(rep, o.save_dir, "host");
    columns.push_back({label, "", std::move(rep)});
  }
  if (prepared.valid()) add_guest_columns(o, prepared.get(), columns, failed);
  if (columns.size() < 2) {
    spdlog::error("a matrix needs at least two kernels that ran; got {}", columns.size());
    return kExitError;
  }
  const int status = emit_matrix(compare::compare(columns), o.outs, g);
  // not into a JSON or Markdown document that stdout carries instead of the table
  if (o.history && !o.outs.to_stdout()) print_first_changes(columns);
  return failed ? kExitError : status;
}

}  // namespace

void add_matrix_command(CLI::App& app, Globals& g) {
  auto o = std::make_shared<MatrixOptions>();
  auto* sub = app.add_subcommand(
      "matrix",
      "Run the quizzes on this kernel and on lab kernels (default 5.10, 6.1, 6.12, latest) in\n"
      "parallel guests, and show one table: a row per step, a column per kernel.\n"
      "Exit 0: all kernels agree; 1: some step differs; 2: a kernel could not run.");
  sub->add_option("quizzes", o->names, "Quiz names or files; default: every built-in quiz");
  sub->add_option("-k,--kernel", o->kernels,
                  "Guest kernels (series, package or vmlinuz); repeat for several")
      ->default_str("5.10 6.1 6.12 latest")
      ->type_name("SPEC")
      ->check(kNonEmpty)
      ->allow_extra_args(false);  // one value per -k: `-k 6.1 post-3` keeps post-3 a quiz
  sub->add_flag("--no-host", o->no_host, "Leave out the host kernel's column");
  sub->add_flag("--history", o->history,
                "One column per kernel minor the mirror has, from 5.10 on (newest build of each),\n"
                "no host column; after the table, the first column where each row changes");
  sub->add_flag("--no-fentry", o->no_fentry, "Force kprobes in the guests' tracer");
  sub->add_flag("--no-trace", o->no_trace,
                "Run every kernel untraced: outcomes and bucket state snapshots only");
  sub->add_flag("--no-state", o->no_state, "No bucket state snapshots after each step");
  // Each guest may take 1 GiB: `-j 100000 --history` once meant ~50 qemu at once; 0 or a
  // negative count silently meant the default.
  sub->add_option("-j,--jobs", o->jobs, "Guests side by side, 1..64 (default: number of cores)")
      ->check(CLI::Range(1, 64));
  using namespace std::chrono_literals;
  sub->add_option("--guest-timeout", o->guest_timeout_s,
                  "Time per guest, boot included: 4m, 90s, ... (a plain number is seconds)")
      ->default_str("240s")
      ->type_name("DURATION")
      ->transform(duration_in(1s, 5s, 1h));
  add_quiet_flag(*sub, g, "no table; the files asked for and the exit status");
  sub->add_option("--save-reports", o->save_dir,
                  "Also write each column's Report into DIR (for tristate compare)");
  add_matrix_output_options(*sub, o->outs);
  sub->footer(
      "Examples:\n"
      "  tristate matrix                            all quizzes, host + four kernels\n"
      "  tristate matrix release-between-connects --markdown diff.md\n"
      "  tristate matrix -k 6.1 -k 6.12 --no-host --html matrix.html");
  sub->callback([o, &g] { g.exit_code = run(*o, g); });
}

}  // namespace tristate::cli
