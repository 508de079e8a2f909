#include "cli/compare_output.hpp"
#include "cli/option_checks.hpp"
#include "cli/text_output.hpp"

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
}

int emit_matrix(const compare::Matrix& m, const MatrixOutputs& outs, const Globals& g) {
  bool ok = true;
  if (outs.json != "-" && outs.markdown != "-" && !g.quiet)
    std::cout << render::render_matrix_text(m, g.color) << std::flush;
  if (!outs.json.empty())
    ok &= write_json(outs.json, nlohmann::json(m));
  if (!outs.markdown.empty()) ok &= write_output(outs.markdown, render::render_markdown(m));
  if (!outs.html.empty()) ok &= write_output(outs.html, render::render_html(m));
  if (!ok) return kExitError;
  return m.agree() ? kExitOk : kExitMismatch;
}

}  // namespace tristate::cli
