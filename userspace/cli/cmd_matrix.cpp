// `tristate matrix`: the same quizzes on the host and on several lab kernels, side by side.
// Exit 0 when every kernel agrees, 1 when some step differs, 2 when a kernel could not run.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "cli/compare_output.hpp"
#include "cli/guest_run.hpp"
#include "cli/host_run.hpp"
#include "cli/report_io.hpp"
#include "compare/matrix.hpp"
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
  MatrixOutputs outs;
};

void save(const report::Report& rep, const std::string& dir, const std::string& label) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  write_report(rep, dir + "/" + label + ".json");
}

int run(const MatrixOptions& o, const Globals& g) {
  std::vector<std::string> paths;
  std::vector<quiz::Quiz> quizzes;
  try {
    paths = quiz::resolve_quiz_paths(o.names, g.quiz_dir);
    for (const auto& p : paths) quizzes.push_back(quiz::load_quiz(p));
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitError;
  }

  std::vector<compare::LabelledReport> columns;
  bool failed = false;
  if (!o.no_host) {
    auto rep = run_quizzes_on_host(quizzes, {o.no_trace, o.no_fentry, 10000, false, o.no_state}, g);
    if (rep.trace.mode == "none") spdlog::info("[host] untraced: {}", rep.trace.notice);
    const std::string label = "host " + rep.kernel.release;
    if (!o.save_dir.empty()) save(rep, o.save_dir, "host");
    columns.push_back({label, "", std::move(rep)});
  }
  if (!o.kernels.empty()) {
    GuestQuizRun run;
    run.kernels = o.kernels;
    run.quiz_paths = paths;
    run.jobs = o.jobs;
    run.timeout_s = o.guest_timeout_s;
    if (o.no_fentry) run.quiz_flags.push_back("--no-fentry");
    if (o.no_trace) run.quiz_flags.push_back("--no-trace");
    if (o.no_state) run.quiz_flags.push_back("--no-state");
    std::vector<GuestQuizOutcome> outcomes;
    try {
      outcomes = run_quizzes_in_guests(run, g);
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
      return kExitError;
    }
    for (auto& out : outcomes) {
      if (!out.ok) {
        spdlog::error("kernel {}: {}", out.spec, out.error);
        failed = true;
        continue;
      }
      spdlog::info("[{}] {}: boot {:.1f} s, quizzes {:.1f} s, trace {}", out.spec,
                   out.report.kernel.release, out.boot_s, out.run_s, out.report.trace.mode);
      if (!o.save_dir.empty()) save(out.report, o.save_dir, out.spec);
      columns.push_back({out.spec + " " + out.report.kernel.release, "", std::move(out.report)});
    }
  }
  if (columns.size() < 2) {
    spdlog::error("a matrix needs at least two kernels that ran; got {}", columns.size());
    return kExitError;
  }
  try {
    const int status = emit_matrix(compare::compare(columns), o.outs, g);
    return failed ? kExitError : status;
  } catch (const compare::CompareError& e) {
    spdlog::error("{}", e.what());
    return kExitError;
  }
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
      ->allow_extra_args(false);  // one value per -k: `-k 6.1 post-3` keeps post-3 a quiz
  sub->add_flag("--no-host", o->no_host, "Leave out the host kernel's column");
  sub->add_flag("--no-fentry", o->no_fentry, "Force kprobes in the guests' tracer");
  sub->add_flag("--no-trace", o->no_trace,
                "Run every kernel untraced: outcomes and bucket state snapshots only");
  sub->add_flag("--no-state", o->no_state, "No bucket state snapshots after each step");
  sub->add_option("-j,--jobs", o->jobs, "Guests side by side (default: number of cores)");
  sub->add_option("--guest-timeout", o->guest_timeout_s, "Seconds per guest, boot included")
      ->default_val(240);
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
