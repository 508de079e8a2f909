// Which matrix rows a table shows: those that matter (failed, differ, moved a bucket), or
// with --only-differences those that differ. The JSON matrix always holds every row.
#pragma once

#include "compare/matrix.hpp"

namespace tristate::render {

enum class RowFilter { matter, differ };

inline bool shown(const compare::Row& r, RowFilter f) {
  switch (f) {
    case RowFilter::matter: return r.matters();
    case RowFilter::differ: return r.differs();
  }
  return true;
}

}  // namespace tristate::render
