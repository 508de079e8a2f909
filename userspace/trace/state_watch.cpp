#include "trace/state_watch.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace tristate::trace {
namespace {

bool same_holders(const StateBucket& a, const StateBucket& b) {
  if (a.sockets != b.sockets || a.owners.size() != b.owners.size()) return false;
  for (std::size_t i = 0; i < a.owners.size(); ++i) {
    const auto &x = a.owners[i], &y = b.owners[i];
    if (std::tie(x.pid, x.fd, x.local, x.tcp_state) != std::tie(y.pid, y.fd, y.local, y.tcp_state)) return false;
  }
  return true;
}

void sort_changes(std::vector<StateChange>& out) {
  std::stable_sort(out.begin(), out.end(), [](const StateChange& a, const StateChange& b) {
    return std::tie(a.bucket.netns, a.bucket.port, a.bucket.id) < std::tie(b.bucket.netns, b.bucket.port, b.bucket.id);
  });
}

}  // namespace

const char* name(BucketChange c) {
  switch (c) {
    case BucketChange::present: return "present";
    case BucketChange::appeared: return "appeared";
    case BucketChange::state: return "state";
    case BucketChange::sockets: return "sockets";
    case BucketChange::gone: return "gone";
  }
  return "?";
}

std::vector<StateChange> diff_state(const StateSnapshot& before, const StateSnapshot& after) {
  std::map<std::uint64_t, const StateBucket*> old;
  for (const auto& b : before.buckets) old[b.id] = &b;
  std::vector<StateChange> out;
  for (const auto& b : after.buckets) {
    const auto it = old.find(b.id);
    if (it == old.end()) {
      out.push_back({BucketChange::appeared, b, std::nullopt});
      continue;
    }
    const StateBucket& was = *it->second;
    old.erase(it);
    if (b.state.fastreuse != was.state.fastreuse || b.state.fastreuseport != was.state.fastreuseport)
      out.push_back({BucketChange::state, b, was});
    else if (!same_holders(b, was))
      out.push_back({BucketChange::sockets, b, was});
  }
  for (const auto& [id, b] : old) out.push_back({BucketChange::gone, *b, std::nullopt});
  sort_changes(out);
  return out;
}

std::vector<StateChange> initial_state(const StateSnapshot& first) {
  std::vector<StateChange> out;
  for (const auto& b : first.buckets) out.push_back({BucketChange::present, b, std::nullopt});
  sort_changes(out);
  return out;
}

}  // namespace tristate::trace
