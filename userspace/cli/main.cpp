// tristate: make the TCP bind-bucket tri-state visible.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>

#include "cli/command_boundary.hpp"
#include "cli/commands.hpp"
#include "cli/download_meter.hpp"
#include "util/output_file.hpp"

namespace fs = std::filesystem;
using namespace tristate::cli;

namespace {

// Built-in quizzes: $TRISTATE_QUIZ_DIR, else share/tristate/quizzes beside the binary's bin/
// (an installed or packaged tristate, and the guests' /usr/bin/tristate). The source tree
// only serves a binary still in the build directory it was linked in: a binary that was
// installed or moved must never depend on where it was built.
std::string find_quiz_dir(const std::string& self_exe) {
  if (const char* env = std::getenv("TRISTATE_QUIZ_DIR"); env && *env) return env;
  std::error_code ec;
  const fs::path exe_dir = fs::path(self_exe).parent_path();
  const fs::path installed = exe_dir / "../share/tristate/quizzes";
  if (fs::is_directory(installed, ec)) return fs::weakly_canonical(installed, ec).string();
  if (fs::equivalent(exe_dir, TRISTATE_BINARY_DIR, ec)) return std::string(TRISTATE_SOURCE_DIR) + "/quizzes";
  return fs::weakly_canonical(installed, ec).string();  // named in the error if quizzes are asked for
}

enum class ColorWhen { Auto, Always, Never };

// --color wins over NO_COLOR (no-color.org: a per-run flag overrides the variable); `auto`
// colours a stream only when it is a terminal, NO_COLOR is unset or empty, and TERM is not
// "dumb" (Emacs' shell, some CI consoles: escapes show there as text, as ls and git know).
bool use_color(ColorWhen when, int fd) {
  if (when != ColorWhen::Auto) return when == ColorWhen::Always;
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  return isatty(fd) && !(no_color && *no_color) && !(term && std::string_view(term) == "dumb");
}

// Called twice: before parsing (plain, so that a wrong command word is said the same way as
// every other error) and once the flags are known.
void setup_logging(int verbose, bool quiet, bool color) {
  // Diagnostics go to stderr so that stdout stays data (reports, JSON).
  spdlog::drop("tristate");
  auto logger = spdlog::stderr_color_mt("tristate", color ? spdlog::color_mode::always : spdlog::color_mode::never);
  logger->set_pattern("tristate: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(verbose >= 2 ? spdlog::level::trace
                    : verbose == 1 ? spdlog::level::debug
                    : quiet        ? spdlog::level::warn
                                   : spdlog::level::info);
}

std::string command_names(const CLI::App& app) {
  std::string names;
  for (const auto* sub : app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); }))
    names += (names.empty() ? "" : ", ") + sub->get_name();
  return names;
}

// CLI11 would say "A subcommand is required" or "The following arguments were not expected";
// say which word was not a command and what the commands are. Global options may come first.
bool check_command_word(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--color") ++i;  // its value is the next word
    if (a.empty() || a[0] == '-') continue;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      if (sub->check_name(a)) return true;
    spdlog::error("unknown command '{}'; commands: {} (tristate help COMMAND)", a, command_names(app));
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Globals g;
  g.argv.assign(argv, argv + argc);
  std::error_code ec;
  g.self_exe = fs::read_symlink("/proc/self/exe", ec).string();
  g.quiz_dir = find_quiz_dir(g.self_exe);

  CLI::App app{
      "tristate: watch the kernel's TCP bind buckets, whose tri-state (fastreuse /\n"
      "fastreuseport = -1, 0, +1) decides whether bind() gets EADDRINUSE and connect() gets\n"
      "EADDRNOTAVAIL.\n\n"
      "Examples:\n"
      "  tristate quiz                       run every built-in quiz on this kernel\n"
      "  tristate quiz post-3 --kernel 6.12  run one quiz, traced, inside a 6.12 guest\n"
      "  tristate quiz --json run.json       also write the versioned JSON report\n"
      "  tristate matrix                     the quizzes on 5.10, 6.1, 6.12 and latest\n"
      "  tristate compare a.json b.json      diff two saved reports\n"
      "  tristate ports --dest 10.0.0.7:443  why connect() to it gets EADDRNOTAVAIL: ports and holders\n"
      "  tristate state --watch 200ms        the buckets sampled live (no tracing needed)\n"
      "  tristate doctor                     what this machine lets tristate trace\n"
      "  tristate kernels                    cached guest kernels\n"
      "  tristate bisect QUIZ --from 6.12    the first Debian build that behaves differently",
      "tristate"};
  app.set_version_flag("-V,--version", std::string("tristate ") + TRISTATE_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.add_flag("-v,--verbose", g.verbose, "More diagnostics on stderr (-vv: libbpf's too, and each tracer program's verifier statistics)");
  std::string color_word = "auto";
  app.add_option("--color", color_word,
                 "Colour on stdout and stderr: auto (a terminal without NO_COLOR, TERM not dumb), always, never")
      ->type_name("WHEN")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->default_str("auto");

  for (auto* add : {add_quiz_command, add_matrix_command, add_compare_command,
                    add_trace_command, add_state_command, add_ports_command, add_doctor_command,
                    add_kernels_command, add_bisect_command, add_help_command,
                    add_completion_command, add_man_command})
    add(app, g);

  app.parse_complete_callback([&] {
    const ColorWhen color_when = color_word == "always" ? ColorWhen::Always
                                 : color_word == "never" ? ColorWhen::Never
                                                         : ColorWhen::Auto;
    g.color = use_color(color_when, STDOUT_FILENO);
    setup_logging(g.verbose, g.quiet, use_color(color_when, STDERR_FILENO));
    install_download_meter();
  });
  setup_logging(0, false, false);
  if (!check_command_word(app, argc, argv)) return kExitError;
  // The one catch of every command: the callbacks run inside parse(), and what they throw
  // comes out here, after their RAII owners (BPF links, qemu) are gone.
  return at_command_boundary([&] {
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (dynamic_cast<const CLI::RequiredError*>(&e) && app.get_subcommands().empty()) {
        spdlog::error("a command is required; commands: {} (tristate help COMMAND)", command_names(app));
        return kExitError;
      }
      // help and version exit 0; bad usage is always 2, whatever CLI11's own code
      if (app.exit(e) != static_cast<int>(CLI::ExitCodes::Success)) return kExitError;
      // `tristate --help > /dev/full` exited 0 while `tristate help quiz > /dev/full` said why not
      if (auto out = tristate::util::close_stdout(); !out) {
        spdlog::error("{}", out.error().message);
        return kExitError;
      }
      return kExitOk;
    }
    // A result that never reached its reader is a failure, whatever the command decided.
    if (auto out = tristate::util::close_stdout(); !out) {
      spdlog::error("{}", out.error().message);
      return kExitError;
    }
    return g.exit_code;
  });
}
