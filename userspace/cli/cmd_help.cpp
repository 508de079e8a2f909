// `tristate help [COMMAND]`, `tristate completion bash|zsh`, and the hidden `tristate man
// DIR` the build uses to write the man pages (command_docs.hpp).
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/command_docs.hpp"
#include "cli/commands.hpp"

namespace tristate::cli {

CLI::Option* add_quiet_flag(CLI::App& sub, Globals& g, const std::string& what) {
  return sub.add_flag("-q,--quiet", g.quiet,
                      "No report or progress text" + (what.empty() ? std::string() : ": " + what));
}

void add_help_command(CLI::App& app, Globals& g) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* sub = app.add_subcommand("help", "Show the help of tristate or of one command (also COMMAND --help)");
  sub->add_option("command", *names, "A command, and a nested command (help kernels boot)");
  sub->callback([&app, names, &g] {
    const CLI::App* target = &app;
    for (const auto& n : *names) {
      const CLI::App* next = nullptr;
      for (const auto* c : target->get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); }))
        if (c->get_name() == n) next = c;
      if (next == nullptr) {
        std::string known;
        for (const auto* c : visible_commands(*target)) known += (known.empty() ? "" : ", ") + c->get_name();
        spdlog::error("help: unknown command '{}'; commands: {}", n, known);
        g.exit_code = kExitError;
        return;
      }
      target = next;
    }
    std::string usage_name = "tristate";  // what `Usage:` shows: the words typed to get here
    for (const auto& n : *names) usage_name += " " + n;
    // App::help() would show the selected command's help, here `help`'s own
    std::cout << target->get_formatter()->make_help(target, usage_name, CLI::AppFormatMode::Normal)
              << std::flush;
    g.exit_code = kExitOk;
  });
}

void add_completion_command(CLI::App& app, Globals& g) {
  auto shell = std::make_shared<std::string>();
  auto* sub = app.add_subcommand(
      "completion",
      "Print the shell completion script for bash or zsh (packages install them; for a\n"
      "build tree: source <(tristate completion bash))");
  sub->add_option("shell", *shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
  sub->callback([&app, shell, &g] {
    std::cout << (*shell == "bash" ? bash_completion(app) : zsh_completion(app)) << std::flush;
    g.exit_code = kExitOk;
  });
}

void add_man_command(CLI::App& app, Globals& g) {
  auto dir = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("man", "Write tristate.1 and tristate-COMMAND.1 into DIR");
  sub->group("");  // the build's tool, not the user's: the pages themselves are installed
  sub->add_option("dir", *dir, "Output directory")->required();
  sub->callback([&app, dir, &g] {
    std::error_code ec;
    std::filesystem::create_directories(*dir, ec);
    for (const auto& page : man_pages(app, TRISTATE_VERSION)) {
      const auto path = std::filesystem::path(*dir) / page.file;
      std::ofstream out(path);
      out << page.text;
      if (!out.flush()) {
        spdlog::error("{}: cannot write", path.string());
        g.exit_code = kExitError;
        return;
      }
    }
    g.exit_code = kExitOk;
  });
}

}  // namespace tristate::cli
