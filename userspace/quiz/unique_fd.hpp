// Moved to util/ (a generic owner); kept so existing includes still build.
#pragma once

#include "util/unique_fd.hpp"

namespace tristate::quiz {
using util::UniqueFd;
}  // namespace tristate::quiz
