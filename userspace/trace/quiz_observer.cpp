#include "trace/quiz_observer.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "trace/explain.hpp"
#include "trace/state_crosscheck.hpp"
#include "trace/timeline.hpp"

namespace tristate::trace {

void QuizTracer::sandbox_ready(std::uint64_t netns_inode, pid_t /*pid*/) {
  // events from before this quiz (another namespace, or a previous quiz's leftovers) must not
  // be attributed to it
  tracer_.drain();
  netns_ = netns_inode;
  // the Observer interface has no error path: a failure ends the run at the command boundary
  if (auto watched = tracer_.watch_netns(netns_inode); !watched) throw std::runtime_error(watched.error().message);
}

void QuizTracer::quiz_done(report::Quiz& quiz) {
  if (netns_ == 0) return;
  auto batch = tracer_.drain();
  std::vector<report::Event> events(batch.begin(), batch.end());
  if (auto unwatched = tracer_.unwatch_netns(netns_); !unwatched)
    throw std::runtime_error(unwatched.error().message);
  // Test-only (TRISTATE_TEST_DROP_EVENTS=kind,kind): lose every event of these kinds, to prove
  // that the state cross-check notices a tracer that misses events.
  if (const char* kinds = std::getenv("TRISTATE_TEST_DROP_EVENTS")) {
    const std::string list = std::string(",") + kinds + ",";
    std::erase_if(events, [&](const report::Event& e) {
      return list.find("," + std::string(report::name(e.kind)) + ",") != std::string::npos;
    });
  }
  attribute_events(quiz, std::move(events), netns_);
  crosscheck_state(quiz);
  explain_quiz(quiz);
  netns_ = 0;
}

}  // namespace tristate::trace
