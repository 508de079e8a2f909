#include "cli/compare_output.hpp"
#include "cli/option_checks.hpp"
#include "cli/terminal_width.hpp"
#include "cli/text_output.hpp"

#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <vector>

#include "compare/matrix_json.hpp"
#include "render/render_html.hpp"
#include "render/render_markdown.hpp"
#include "render/render_matrix_text.hpp"

namespace tristate::cli {

namespace {

// The matrix's file formats, in --help order. A new format is a renderer and a row here.
struct FileFormat {
  const char* name;  // --NAME FILE
  const char* help;
  bool non_empty;    // FILE checked as non-empty
  bool replaces_table;  // FILE "-" puts this document on stdout instead of the text table
  std::function<bool(const std::string& path, const compare::Matrix&, render::RowFilter)> write;
};

const std::vector<FileFormat>& file_formats() {
  static const std::vector<FileFormat> formats = {
      {"json", "Write the matrix as JSON (docs/json.md, \"matrix\")", true, true,
       [](const std::string& path, const compare::Matrix& m, render::RowFilter) {
         return write_json(path, nlohmann::json(m));
       }},
      {"markdown", "Write a Markdown report for a bug or a post", false, true,
       [](const std::string& path, const compare::Matrix& m, render::RowFilter rows) {
         return write_output(path, render::render_markdown(m, rows));
       }},
      {"html", "Write a self-contained HTML page with the table and state diagrams", false, false,
       [](const std::string& path, const compare::Matrix& m, render::RowFilter rows) {
         return write_output(path, render::render_html(m, rows));
       }},
  };
  return formats;
}

}  // namespace

bool MatrixOutputs::to_stdout() const {
  for (const auto& f : file_formats())
    if (f.replaces_table && files.count(f.name) && files.at(f.name) == "-") return true;
  return false;
}

void add_matrix_output_options(CLI::App& sub, MatrixOutputs& outs) {
  for (const auto& f : file_formats()) {
    auto* opt = sub.add_option(std::string("--") + f.name, outs.files[f.name], f.help)->type_name("FILE");
    opt->check(kOutputFile);
    if (f.non_empty) opt->check(kNonEmpty);
  }
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
  if (!outs.to_stdout() && !g.quiet) {
    const std::size_t width =
        outs.width >= 0 ? static_cast<std::size_t>(outs.width) : terminal_width(STDOUT_FILENO);
    std::cout << render::render_matrix_text(m, {g.color, rows, width}) << std::flush;
  }
  for (const auto& f : file_formats())
    if (const auto& path = outs.files.at(f.name); !path.empty()) ok &= f.write(path, m, rows);
  if (!ok) return kExitError;
  return m.agree() ? kExitOk : kExitMismatch;
}

}  // namespace tristate::cli
