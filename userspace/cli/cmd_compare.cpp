// `tristate compare A.json B.json [C.json …]`: saved reports (from any machine or guest) side
// by side. Exit 0 when they agree, 1 when some step differs, 2 when they cannot be compared.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

#include "cli/commands.hpp"
#include "cli/compare_output.hpp"
#include "compare/matrix.hpp"

namespace tristate::cli {

namespace {

struct Options {
  std::vector<std::string> files;
  MatrixOutputs outs;
};

int run(const Options& o, const Globals& g) {
  if (o.files.size() < 2) {
    spdlog::error("compare needs at least two report files, got {}", o.files.size());
    return kExitError;
  }
  if (std::count(o.files.begin(), o.files.end(), "-") > 1) {
    spdlog::error("compare: standard input (-) holds one report; give it once");
    return kExitError;
  }
  std::vector<compare::LabelledReport> inputs;
  for (const auto& f : o.files) inputs.push_back(compare::load_report(f));
  compare::assign_labels(inputs);
  return emit_matrix(compare::compare(inputs), o.outs, g);
}

}  // namespace

void add_compare_command(CLI::App& app, Globals& g) {
  auto opt = std::make_shared<Options>();
  auto* sub = app.add_subcommand(
      "compare",
      "Compare saved reports (tristate quiz --json) step by step.\n"
      "Exit status: 0 all agree, 1 some step differs, 2 the files cannot be compared.\n\n"
      "Example:\n  tristate compare prod-6.1.json lab-6.12.json --html diff.html");
  sub->add_option("reports", opt->files, "Two or more report files (- = standard input, once)")->required()->type_name(
      "FILE");
  add_matrix_output_options(*sub, opt->outs);
  add_quiet_flag(*sub, g, "no table; the files asked for and the exit status");
  sub->callback([opt, &g] { g.exit_code = run(*opt, g); });
}

}  // namespace tristate::cli
