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

// One per subcommand, each in the file named after it (cmd_NAME.cpp); what each command does
// is its --help text.
void add_quiz_command(CLI::App& app, Globals& g);        // run quizzes here or in a lab guest
void add_doctor_command(CLI::App& app, Globals& g);      // what this machine lets tristate trace
void add_kernels_command(CLI::App& app, Globals& g);     // the lab's cached guest kernels
void add_matrix_command(CLI::App& app, Globals& g);      // quizzes on several kernels, one table
void add_compare_command(CLI::App& app, Globals& g);     // saved reports side by side
void add_trace_command(CLI::App& app, Globals& g);       // live events (cmd_trace.cpp)
void add_state_command(CLI::App& app, Globals& g);       // the buckets now, or sampled (cmd_state.cpp)
void add_bisect_command(CLI::App& app, Globals& g);      // first Debian build that behaves differently
void add_ports_command(CLI::App& app, Globals& g);       // why connect() runs out of ports
void add_help_command(CLI::App& app, Globals& g);        // cmd_help.cpp
void add_completion_command(CLI::App& app, Globals& g);  // cmd_help.cpp: bash/zsh completions
void add_man_command(CLI::App& app, Globals& g);         // cmd_help.cpp: man pages (hidden)

// `-q, --quiet` with one meaning in every command: no report or progress text (files asked
// for are still written; warnings, errors and the exit status remain). `what` says what
// that leaves in this command.
CLI::Option* add_quiet_flag(CLI::App& sub, Globals& g, const std::string& what = "");

}  // namespace tristate::cli
