#include "cli/compare_output.hpp"
#include "cli/option_checks.hpp"
#include "cli/terminal_width.hpp"
#include "cli/text_output.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "compare/matrix_json.hpp"
#include "render/render_html.hpp"
#include "render/render_markdown.hpp"
#include "render/render_matrix_text.hpp"

namespace tristate::cli {

void add_matrix_output_options(CLI::App& sub, MatrixOutputs& outs) {
  sub.add_option("--json", outs.json, "Write the matrix as JSON (docs/json.md, \"matrix\")")
      ->type_name("FILE")
      ->check(kNonEmpty);
  sub.add_option("--markdown", outs.markdown, "Write a Markdown report for a bug or a post")
      ->type_name("FILE");
  sub.add_option("--html", outs.html,
                 "Write a self-contained HTML page with the table and state diagrams")
      ->type_name("FILE");
  sub.add_flag("--only-differences", outs.only_differences,
               "Tables (text, --markdown, --html) show only the steps that differ; --json keeps all");
  sub.add_option("--width", outs.width,
                 "Wrap the text table to N columns (0: never wrap); default: the terminal's width "
                 "($COLUMNS or the tty's), unlimited when stdout is not a terminal")
      ->type_name("N")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            // narrower than 40 columns, a kernel column and the step's key cannot both fit
            const long n = std::strtol(v.c_str(), nullptr, 10);
            return n == 0 || (n >= 40 && n <= 100000) ? "" : "must be 0 (never wrap) or 40..100000";
          },
          "0|40..100000"));
}

int emit_matrix(const compare::Matrix& m, const MatrixOutputs& outs, const Globals& g) {
  bool ok = true;
  const auto rows = outs.only_differences ? render::RowFilter::differ : render::RowFilter::matter;
  if (outs.json != "-" && outs.markdown != "-" && !g.quiet) {
    const std::size_t width =
        outs.width >= 0 ? static_cast<std::size_t>(outs.width) : terminal_width(STDOUT_FILENO);
    std::cout << render::render_matrix_text(m, {g.color, rows, width}) << std::flush;
  }
  if (!outs.json.empty())
    ok &= write_json(outs.json, nlohmann::json(m));
  if (!outs.markdown.empty()) ok &= write_output(outs.markdown, render::render_markdown(m, rows));
  if (!outs.html.empty()) ok &= write_output(outs.html, render::render_html(m, rows));
  if (!ok) return kExitError;
  return m.agree() ? kExitOk : kExitMismatch;
}

}  // namespace tristate::cli
