// Running parsed quizzes on this machine's kernel, traced when it allows it and untraced
// (with the reason in the Report) when it does not. Shared by `quiz` and `matrix`.
#pragma once

#include <vector>

#include "cli/commands.hpp"
#include "quiz/quiz.hpp"
#include "report/report.hpp"

namespace tristate::cli {

struct HostRunOptions {
  bool no_trace = false;
  bool no_fentry = false;
  int timeout_ms = 10000;
  // A lab guest's run: the machine is discarded once the report is out, so the tracer's
  // detach happens after this process exits instead of before (Tracer::release_after_exit).
  bool detach_after_exit = false;
  bool no_state = false;  // no bucket state snapshots after each step (the baseline)
  // Quizzes run side by side, untraced only (see run_quizzes_on_host); reports stay in order.
  int jobs = 1;
};

report::Report run_quizzes_on_host(const std::vector<quiz::Quiz>& quizzes,
                                   const HostRunOptions& o, const Globals& g);

}  // namespace tristate::cli
