// `tristate state --watch`: what changed between two snapshots of the bhash buckets. Where the
// kernel refuses tracing (no fentry, no kprobes), sampling the buckets with the snapshot
// iterators is the live view left: it shows every bucket that lives across a sample, its
// tri-state and who holds it, but not what happened between two samples.
#pragma once

#include <optional>
#include <vector>

#include "trace/live_state.hpp"

namespace tristate::trace {

enum class BucketChange {
  present,   // in the first sample
  appeared,  // a bucket the previous sample did not have
  state,     // fastreuse/fastreuseport moved
  sockets,   // same state, other sockets or holders (a listener's child, TIME_WAIT, …)
  gone,      // freed: the last socket left
};

const char* name(BucketChange c);  // "present", "appeared", …

struct StateChange {
  BucketChange kind = BucketChange::appeared;
  StateBucket bucket;                 // as it is now; for `gone`, as last seen
  std::optional<StateBucket> before;  // state and sockets: as the previous sample saw it
};

// Buckets are told apart by id (the kernel object): a port freed and bound again between two
// samples is `gone` and `appeared` when the kernel gave it a new bucket. Sorted by netns, port,
// id. Pure.
std::vector<StateChange> diff_state(const StateSnapshot& before, const StateSnapshot& after);

// Every bucket of a first sample, as `present`.
std::vector<StateChange> initial_state(const StateSnapshot& first);

}  // namespace tristate::trace
