// The trace layer's Result is the project's one (util/result.hpp).
#pragma once

#include "util/result.hpp"

namespace tristate::trace {
using util::Error;
using util::Result;
}  // namespace tristate::trace
