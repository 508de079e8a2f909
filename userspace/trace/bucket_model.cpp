#include "trace/bucket_model.hpp"

#include <algorithm>

namespace tristate::trace {

void BucketModel::apply(const report::Event& ev, int step) {
  if (ev.bucket == 0 || report::is_bhash2(ev.kind)) return;  // bhash2 buckets live apart
  if (ev.kind == report::EventKind::bucket_destroy) {
    alive_.erase(ev.bucket);
    return;
  }
  auto [it, fresh] = alive_.try_emplace(ev.bucket);
  Bucket& b = it->second;
  b.id = ev.bucket;
  b.port = ev.port;
  b.l3mdev = ev.l3mdev;
  if (ev.kind == report::EventKind::bucket_create) {
    b.seen_create = true;
    b.created_by = ev.path;
    b.created_step = step;
  } else if (fresh) {
    b.created_step = step;  // first sight: existed before the trace began
  }
  if (ev.after) {
    if (!fresh && *ev.after != b.state) {
      b.last_writer = ev.function;
      b.last_step = step;
    }
    b.state = *ev.after;
  }
}

std::vector<const Bucket*> BucketModel::at_port(std::uint16_t port) const {
  std::vector<const Bucket*> out;
  for (const auto& [id, b] : alive_)
    if (b.port == port) out.push_back(&b);
  return out;
}

std::vector<TimedEvent> quiz_events(const report::Quiz& quiz) {
  std::vector<TimedEvent> all;
  for (const auto& ev : quiz.background) all.push_back({&ev, -1});
  for (size_t i = 0; i < quiz.steps.size(); ++i)
    for (const auto& ev : quiz.steps[i].events) all.push_back({&ev, static_cast<int>(i)});
  std::stable_sort(all.begin(), all.end(),
                   [](const TimedEvent& a, const TimedEvent& b) { return a.event->ts_ns < b.event->ts_ns; });
  return all;
}

}  // namespace tristate::trace
