// The matrix as one self-contained HTML page (inline CSS and SVG; no scripts, no external
// assets): kernel list, links to the differing steps, the step table with differing cells highlighted, the differences with
// their first divergent events, and per quiz an SVG state diagram of the tri-state moves.
#pragma once

#include <string>

#include "compare/matrix.hpp"
#include "render/row_filter.hpp"

namespace tristate::render {

// The summary links every differing step to its row in the table (id "row-…") and to its
// section under Differences (id "diff-…").
std::string render_html(const compare::Matrix& m, RowFilter rows = RowFilter::matter);

}  // namespace tristate::render
