#include "trace/timeline.hpp"

#include <algorithm>
#include <string>

namespace tristate::trace {
namespace {

// A bhash2 bucket made for a connection a listener accepted: __inet_inherit_port's own report
// (6.1 inlines the create) or an inet_bind2_bucket_create outside any socket operation of the
// thread (6.12+). It happens in the softirq that completes the handshake, so its thread is
// the connecting step's only when the packet was processed there, not in ksoftirqd.
bool accepted_socket_bucket(const report::Event& ev) {
  return ev.kind == report::EventKind::bucket2_create &&
         (ev.function == "__inet_inherit_port" || ev.path == report::OpPath::none);
}

bool connected(const report::Step& step, const std::string& target) {
  for (const auto& c : step.calls)
    if (c.ok && (c.call.find(".connect(") != std::string::npos || c.call.find(".connect_ex(") != std::string::npos) &&
        (target.empty() || c.call.find(target) != std::string::npos))
      return true;
  return false;
}

// The step whose connect() this accepted connection completes: the last one started before the
// event that connected to the bucket's address and port, else the last that connected at all.
report::Step* connecting_step(report::Quiz& quiz, const report::Event& ev) {
  const std::string target = "'" + std::string(ev.addr.view()) + "', " + std::to_string(ev.port) + ")";
  for (const std::string& t : {target, std::string()})
    for (auto it = quiz.steps.rbegin(); it != quiz.steps.rend(); ++it)
      if (it->t_end_ns != 0 && it->t_start_ns <= ev.ts_ns && connected(*it, t)) return &*it;
  return nullptr;
}

}  // namespace

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
    // Where the kernel ran the handshake's softirq (the connecting thread or ksoftirqd) must
    // not decide which step a report shows it under: three runs of one quiz on one kernel
    // differed in exactly these events before.
    if (!owner && accepted_socket_bucket(ev)) owner = connecting_step(quiz, ev);
    (owner ? owner->events : quiz.background).push_back(std::move(ev));
  }
}

}  // namespace tristate::trace
