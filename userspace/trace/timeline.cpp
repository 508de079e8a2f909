#include "trace/timeline.hpp"

#include <algorithm>

namespace tristate::trace {

void attribute_events(report::Quiz& quiz, std::vector<report::Event> events, std::uint64_t netns) {
  std::stable_sort(events.begin(), events.end(),
                   [](const report::Event& a, const report::Event& b) { return a.ts_ns < b.ts_ns; });
  for (auto& ev : events) {
    if (ev.netns != netns) continue;
    report::Step* owner = nullptr;
    for (auto& step : quiz.steps) {
      if (step.t_end_ns == 0 || ev.ts_ns < step.t_start_ns || ev.ts_ns > step.t_end_ns) continue;
      if (step.tid != 0 && step.tid != ev.tid) continue;  // softirq/timer work in the window
      owner = &step;
      break;
    }
    (owner ? owner->events : quiz.background).push_back(std::move(ev));
  }
}

}  // namespace tristate::trace
