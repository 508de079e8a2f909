#include "trace/state_crosscheck.hpp"

#include <map>
#include <string>

#include "trace/bucket_model.hpp"

namespace tristate::trace {
namespace {

std::string pair_text(const report::BucketState& s) {
  return std::to_string(s.fastreuse) + "/" + std::to_string(s.fastreuseport);
}

}  // namespace

void crosscheck_state(report::Quiz& quiz) {
  const auto events = quiz_events(quiz);
  BucketModel model;
  std::size_t next = 0;
  for (auto& step : quiz.steps) {
    if (!step.state || !step.state->taken) continue;
    auto& st = *step.state;
    while (next < events.size() && events[next].event->ts_ns <= st.t_ns) {
      model.apply(*events[next].event, events[next].step);
      ++next;
    }
    st.model_diff.clear();
    // One bhash bucket per port in a quiz's namespace (no l3mdev there).
    std::map<std::uint16_t, report::BucketState> seen;
    for (const auto& s : st.sockets)
      if (s.port) seen.emplace(s.port, s.state);
    std::map<std::uint16_t, report::BucketState> traced;
    for (const auto& [id, b] : model.buckets()) traced.emplace(b.port, b.state);
    for (const auto& [port, state] : seen) {
      auto t = traced.find(port);
      if (t == traced.end())
        st.model_diff.push_back("port " + std::to_string(port) + ": snapshot " + pair_text(state) +
                                ", no bucket in the traced model");
      else if (!(t->second == state))
        st.model_diff.push_back("port " + std::to_string(port) + ": traced " + pair_text(t->second) +
                                ", snapshot " + pair_text(state));
    }
    for (const auto& [port, state] : traced)
      if (!seen.count(port))
        st.model_diff.push_back("port " + std::to_string(port) + ": traced " + pair_text(state) +
                                ", not in the snapshot");
  }
}

}  // namespace tristate::trace
