// The fd owner moved to util/ (every layer uses it); the quiz layer keeps its old name.
#pragma once

#include "util/unique_fd.hpp"

namespace tristate::quiz {
using util::UniqueFd;
}  // namespace tristate::quiz
