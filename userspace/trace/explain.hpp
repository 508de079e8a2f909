// Why a step failed, told from the bucket states the tracer observed.
// Works from the events and the step data only (no per-quiz knowledge), so it holds for a
// quiz the user writes.
#pragma once

#include <string>

#include "report/report.hpp"

namespace tristate::trace {

// One paragraph for quiz.steps[index], or "" when the events do not explain it.
std::string explain_step(const report::Quiz& quiz, std::size_t index);

// Sets `explanation` on every step whose bind()/listen()/connect() failed or whose output did
// not match, where the events say something.
void explain_quiz(report::Quiz& quiz);

}  // namespace tristate::trace
