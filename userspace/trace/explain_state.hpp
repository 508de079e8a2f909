// Why a step failed, from the bucket state snapshots alone: for runs where no event was traced
// (the host's 6.18, --no-trace). Knows nothing of quiz names, like explain.
#pragma once

#include <cstddef>
#include <string>

#include "report/report.hpp"

namespace tristate::trace {

// The explanation of step `index` from the snapshot taken after the step before it; "" when
// there is nothing to say (no failed bind/connect, no snapshot before it).
std::string explain_step_from_state(const report::Quiz& quiz, std::size_t index);

// Fills Step::explanation where it is still empty.
void explain_quiz_from_state(report::Quiz& quiz);

}  // namespace tristate::trace
