// The matrix as one self-contained HTML page (inline CSS and SVG; no scripts, no external
// assets): kernel list, the step table with differing cells highlighted, the differences with
// their first divergent events, and per quiz an SVG state diagram of the tri-state moves.
#pragma once

#include <string>

#include "compare/matrix.hpp"

namespace tristate::render {

std::string render_html(const compare::Matrix& m);

}  // namespace tristate::render
