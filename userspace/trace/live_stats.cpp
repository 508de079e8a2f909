#include "trace/live_stats.hpp"

#include <string>

#include "report/state_text.hpp"

#include "report/state_text.hpp"

namespace tristate::trace {

void LiveStats::add(const report::Event& e) {
  ++acc_.events;
  ++acc_.by_kind[std::string(report::name(e.kind))];
  if (e.port) acc_.ports.insert(e.port);
  using report::EventKind;
  if (e.kind == EventKind::bucket_create) ++acc_.buckets_created;
  if (e.kind == EventKind::bucket_destroy) ++acc_.buckets_destroyed;
  if (report::is_alloc(e.kind) && e.result && *e.result != 0) ++acc_.failed_allocations;
  if (e.kind == EventKind::bucket_state && e.before && e.after && *e.before != *e.after)
    ++acc_.transitions[report::pair_text(*e.before) + " -> " + report::pair_text(*e.after)];
  model_.apply(e, -1);
}

report::LiveSummary LiveStats::summary(const report::TraceInfo& info, std::uint64_t undecodable,
                                       double seconds) const {
  report::LiveSummary s = acc_;
  s.kernel_events = info.events;
  s.lost = info.lost;
  s.missed = info.missed;
  s.undecodable = undecodable;
  s.seconds = seconds;
  // only buckets whose state we saw: one first met by its destroy has none to report
  for (const auto& [id, b] : model_.buckets()) ++s.alive_by_state[report::pair_text(b.state)];
  return s;
}

}  // namespace tristate::trace
