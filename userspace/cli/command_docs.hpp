// Man pages and shell completions generated from the CLI11 definitions themselves, so that
// `--help`, tristate-COMMAND(1) and what TAB offers can never disagree: the build runs the
// just-linked binary to write them (CMakeLists.txt) and a test compares the installed pages
// with `--help` (tests/install/).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace tristate::cli {

struct ManPage {
  std::string file;  // "tristate.1", "tristate-quiz.1"
  std::string text;  // roff
};

// tristate(1) for the app and one page per visible command (nested commands, such as
// `kernels boot`, are sections of their parent's page).
std::vector<ManPage> man_pages(const CLI::App& app, const std::string& version);

// Scripts for bash (sourced by bash-completion) and zsh (a #compdef function).
std::string bash_completion(const CLI::App& app);
std::string zsh_completion(const CLI::App& app);

// The commands a user sees (hidden ones, such as the man page writer, left out).
std::vector<const CLI::App*> visible_commands(const CLI::App& app);

}  // namespace tristate::cli
