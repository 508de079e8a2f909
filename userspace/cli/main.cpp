// tristate: make the TCP bind-bucket tri-state visible.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/download_meter.hpp"

namespace fs = std::filesystem;
using namespace tristate::cli;

namespace {

// Built-in quizzes: $TRISTATE_QUIZ_DIR, else next to an installed binary, else the source
// tree the binary was built from (a developer's build).
std::string find_quiz_dir(const std::string& self_exe) {
  if (const char* env = std::getenv("TRISTATE_QUIZ_DIR"); env && *env) return env;
  std::error_code ec;
  const fs::path installed = fs::path(self_exe).parent_path() / "../share/tristate/quizzes";
  if (fs::is_directory(installed, ec)) return fs::weakly_canonical(installed, ec).string();
  return std::string(TRISTATE_SOURCE_DIR) + "/quizzes";
}

void setup_logging(int verbose) {
  // Diagnostics go to stderr so that stdout stays data (reports, JSON).
  auto logger = spdlog::stderr_color_mt("tristate");
  logger->set_pattern("tristate: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(verbose >= 2 ? spdlog::level::trace
                    : verbose == 1 ? spdlog::level::debug
                                   : spdlog::level::info);
}

}  // namespace

int main(int argc, char** argv) {
  Globals g;
  g.argv.assign(argv, argv + argc);
  std::error_code ec;
  g.self_exe = fs::read_symlink("/proc/self/exe", ec).string();
  g.quiz_dir = find_quiz_dir(g.self_exe);
  const char* no_color = std::getenv("NO_COLOR");
  g.color = isatty(STDOUT_FILENO) && !(no_color && *no_color);

  CLI::App app{
      "tristate: watch the kernel's TCP bind buckets (fastreuse / fastreuseport = -1, 0, +1)\n"
      "decide whether bind() gets EADDRINUSE and connect() gets EADDRNOTAVAIL.\n\n"
      "Examples:\n"
      "  tristate quiz                       run every built-in quiz on this kernel\n"
      "  tristate quiz post-3 --kernel 6.12  run one quiz, traced, inside a 6.12 guest\n"
      "  tristate quiz --json run.json       also write the versioned JSON report\n"
      "  tristate matrix                     the quizzes on 5.10, 6.1, 6.12 and latest\n"
      "  tristate compare a.json b.json      diff two saved reports\n"
      "  tristate doctor                     what this machine lets tristate trace\n"
      "  tristate kernels                    cached guest kernels\n"
      "  tristate bisect QUIZ --from 6.12    the first Debian build that behaves differently",
      "tristate"};
  app.set_version_flag("--version", std::string("tristate ") + TRISTATE_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.add_flag("-v,--verbose", g.verbose, "More diagnostics on stderr (-vv: libbpf too)");

  for (auto* add : {add_quiz_command, add_matrix_command, add_compare_command,
                    add_trace_command, add_state_command, add_doctor_command,
                    add_kernels_command, add_bisect_command})
    add(app, g);

  app.parse_complete_callback([&] {
    setup_logging(g.verbose);
    install_download_meter();
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitError;  // bad usage is always 2, whatever CLI11's own code
  } catch (const std::exception& e) {
    // Subcommands report their own errors; this is the last line of defence.
    std::cerr << "tristate: error: " << e.what() << "\n";
    return kExitError;
  }
  return g.exit_code;
}
