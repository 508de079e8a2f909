// What `compare` and `matrix` both do with a finished Matrix: the table on stdout, the
// optional --json/--markdown/--html files, and the exit status it implies.
#pragma once

#include <map>
#include <string>

#include "cli/commands.hpp"
#include "compare/matrix.hpp"

namespace tristate::cli {

struct MatrixOutputs {
  // --FORMAT FILE per file format (json, markdown, html: the table in compare_output.cpp);
  // FILE "-" is stdout, instead of the text table
  std::map<std::string, std::string> files;
  bool only_differences = false;  // tables (text, Markdown, HTML) show differing rows only
  int width = -1;                 // --width N for the text table; -1: the terminal's, 0: unlimited
  bool to_stdout() const;         // stdout carries a --json or --markdown document, not the table
};

// Registers --FORMAT FILE for each file format, --only-differences and --width on `sub`.
void add_matrix_output_options(CLI::App& sub, MatrixOutputs& outs);

// Prints and writes `m`; returns kExitOk when every report agrees, kExitMismatch when some
// step differs, kExitError when a file could not be written.
int emit_matrix(const compare::Matrix& m, const MatrixOutputs& outs, const Globals& g);

}  // namespace tristate::cli
