// The subcommands. Each lives in cli/cmd_<name>.cpp, registers its flags on the CLI11 app and
// sets the callback that runs it. A callback returns the process exit status through
// Globals::exit_code; it never calls exit() so RAII owners (BPF links, qemu children) unwind.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace tristate::cli {

// Exit statuses shared by every subcommand.
inline constexpr int kExitOk = 0;         // everything matched / agreed
inline constexpr int kExitMismatch = 1;   // some step did not match / kernels differ
inline constexpr int kExitError = 2;      // bad usage, bad input, missing privilege or tool

struct Globals {
  int verbose = 0;          // -v: debug, -vv: trace + libbpf debug
  bool color = false;       // stdout: decided once from --color, isatty(stdout) and NO_COLOR
  bool quiet = false;       // -q of whichever command: no report text, warnings and errors only
  std::string quiz_dir;     // where built-in quizzes live
  std::string self_exe;     // /proc/self/exe, shipped into lab guests
  std::vector<std::string> argv;
  int exit_code = kExitOk;
};

void add_quiz_command(CLI::App& app, Globals& g);     // cmd_quiz.cpp    (issues 2, 3, 4)
void add_doctor_command(CLI::App& app, Globals& g);   // cmd_doctor.cpp  (issue 4)
void add_kernels_command(CLI::App& app, Globals& g);  // cmd_kernels.cpp (issue 3)
void add_matrix_command(CLI::App& app, Globals& g);   // cmd_matrix.cpp  (issue 5)
void add_compare_command(CLI::App& app, Globals& g);  // cmd_compare.cpp (issue 5)
void add_trace_command(CLI::App& app, Globals& g);    // cmd_trace.cpp   (issue 6)
void add_state_command(CLI::App& app, Globals& g);    // cmd_trace.cpp   (issue 6)
void add_bisect_command(CLI::App& app, Globals& g);   // cmd_bisect.cpp  (issue 18)
void add_ports_command(CLI::App& app, Globals& g);    // cmd_ports.cpp   (issue 19)
void add_help_command(CLI::App& app, Globals& g);     // cmd_help.cpp    (issue 17)
void add_completion_command(CLI::App& app, Globals& g);  // cmd_help.cpp (issue 17)
void add_man_command(CLI::App& app, Globals& g);      // cmd_help.cpp    (issue 17, hidden)

// `-q, --quiet` with one meaning in every command: no report or progress text (files asked
// for are still written; warnings, errors and the exit status remain). `what` says what
// that leaves in this command.
CLI::Option* add_quiet_flag(CLI::App& sub, Globals& g, const std::string& what = "");

}  // namespace tristate::cli
