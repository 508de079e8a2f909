// `tristate quiz`: parse quizzes, run them (here or in a lab guest), render the Report.
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/report_io.hpp"
#include "quiz/quiz_parser.hpp"
#include "quiz/quiz_runner.hpp"
#include "render/render_text.hpp"

namespace tristate::cli {

namespace {

struct QuizOptions {
  std::vector<std::string> names;
  std::string json_path;
  std::string kernel = "host";
  bool no_trace = false;
  bool no_fentry = false;
  bool quiet = false;
  bool background = false;
  int timeout_ms = 10000;
};

int run(const QuizOptions& o, Globals& g) {
  std::vector<quiz::Quiz> quizzes;
  try {
    // Parse everything before running anything: a typo in the fifth file must not leave
    // four half-run quizzes behind.
    for (const auto& path : quiz::resolve_quiz_paths(o.names, g.quiz_dir))
      quizzes.push_back(quiz::load_quiz(path));
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitError;
  }

  report::Report rep = new_report(g);
  quiz::RunOptions run_opts;
  run_opts.timeout = std::chrono::milliseconds(o.timeout_ms);
  for (const auto& q : quizzes) rep.quizzes.push_back(quiz::run_quiz(q, run_opts));

  for (const auto& q : rep.quizzes)
    if (q.status == "error") spdlog::error("{}: {}", q.file, q.error);

  render::TextOptions text;
  text.color = g.color;
  text.background = o.background;
  if (o.json_path != "-" && !o.quiet) std::cout << render::render_text(rep, text) << std::flush;
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
                  "Quiz names (files in quizzes/, e.g. post-3) or paths to .quiz files; "
                  "default: every built-in quiz");
  sub->add_option("--json", o->json_path, "Also write the Report as JSON to FILE (- = stdout)");
  sub->add_option("--kernel", o->kernel,
                  "Where to run: host, a series (5.10, 6.1, 6.12, latest), a Debian kernel "
                  "package name, or a vmlinuz path")
      ->default_val("host");
  sub->add_flag("--no-trace", o->no_trace, "Do not load the BPF tracer");
  sub->add_flag("--no-fentry", o->no_fentry, "Force the kprobe/kretprobe fallback");
  sub->add_flag("--background", o->background,
                "Also print events no step caused (setup listener, timers)");
  sub->add_flag("-q,--quiet", o->quiet, "No text report (use with --json)");
  sub->add_option("--timeout", o->timeout_ms, "Per-quiz timeout in milliseconds")
      ->default_val(10000)
      ->check(CLI::Range(1, 3600 * 1000));
  sub->footer(
      "Examples:\n"
      "  tristate quiz                     every built-in quiz on this kernel\n"
      "  tristate quiz post-3 post-3-fixed the post's Quiz 3 and its fix\n"
      "  tristate quiz my.quiz --json -    a quiz of your own, JSON on stdout\n"
      "  tristate quiz post-8 --kernel 6.1 traced, inside a Debian 6.1 guest");
  sub->callback([o, &g] { g.exit_code = run(*o, g); });
}

}  // namespace tristate::cli
