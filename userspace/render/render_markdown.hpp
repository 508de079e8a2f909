// The matrix as Markdown a person can paste into a bug report or a blog post: the kernel list,
// the table of steps that matter, then each difference with its first divergent events.
#pragma once

#include <string>

#include "compare/matrix.hpp"
#include "render/row_filter.hpp"

namespace tristate::render {

std::string render_markdown(const compare::Matrix& m, RowFilter rows = RowFilter::matter);

}  // namespace tristate::render
