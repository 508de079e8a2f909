// The matrix as a terminal table, then the first divergence of every differing step side by
// side. Colour (ANSI) only when `color` is true: the CLI decides from isatty and NO_COLOR.
#pragma once

#include <string>

#include "compare/matrix.hpp"

namespace tristate::render {

// Rows shown are those that matter (failed, differ or have bucket events); all rows are in
// the JSON matrix.
std::string render_matrix_text(const compare::Matrix& m, bool color);

// Terminal columns a UTF-8 string takes (code points; the tool prints no wide characters).
std::size_t display_width(const std::string& s);

}  // namespace tristate::render
