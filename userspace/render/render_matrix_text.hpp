// The matrix as a terminal table, then the first divergence of every differing step side by
// side. Colour (ANSI) only when asked: the CLI decides from isatty and NO_COLOR.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "compare/matrix.hpp"
#include "render/row_filter.hpp"

namespace tristate::render {

struct MatrixTextOptions {
  bool color = false;
  RowFilter rows = RowFilter::matter;
  // Terminal columns to fit in; 0 = unlimited (one line per table row, however long). When
  // the table is wider, cells wrap inside their column and the kernel columns are split into
  // several tables that repeat the quiz/step/statement columns; prose wraps at spaces.
  std::size_t width = 0;
};

// Rows shown are those that matter (failed, differ or have bucket events) or, with
// RowFilter::differ, those that differ; all rows are in the JSON matrix.
std::string render_matrix_text(const compare::Matrix& m, const MatrixTextOptions& opt);
inline std::string render_matrix_text(const compare::Matrix& m, bool color) {
  return render_matrix_text(m, MatrixTextOptions{color, RowFilter::matter, 0});
}

// Terminal columns a UTF-8 string takes (code points; the tool prints no wide characters).
// ANSI SGR sequences (ESC [ … m) take none.
std::size_t display_width(const std::string& s);

// `s` cut into lines of at most `width` display columns, at spaces where possible (a word
// longer than a line is cut); width 0 = one line.
std::vector<std::string> wrap_words(const std::string& s, std::size_t width);

}  // namespace tristate::render
