// Traced runs: the tracer's bucket model after each step must equal what the snapshot read.
// A difference means an event was missed or mis-modelled.
#pragma once

#include "report/report.hpp"

namespace tristate::trace {

// Fills Step::state->model_diff for every step with a snapshot, replaying the quiz's events
// (steps and background) up to the moment each snapshot was read. Pure.
void crosscheck_state(report::Quiz& quiz);

}  // namespace tristate::trace
