// What a live trace saw, for the summary printed when it ends: ports, the buckets alive at
// the end per state, transitions by kind, and the loss counters. Plain data (rendered by
// render/render_live) plus the accumulator that builds it from events.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "report/report.hpp"
#include "trace/bucket_model.hpp"

namespace tristate::trace {

struct LiveSummary {
  std::uint64_t events = 0;            // events received and decoded
  std::uint64_t kernel_events = 0;     // events the BPF side submitted (its counter)
  std::uint64_t lost = 0;              // events the ring buffer had no room for
  std::uint64_t missed = 0;            // probe runs the kernel skipped (recursion protection)
  std::uint64_t undecodable = 0;
  double seconds = 0;
  std::set<std::uint16_t> ports;
  std::map<std::string, std::uint64_t> by_kind;      // "bucket_create" -> n
  std::map<std::string, std::uint64_t> transitions;  // "0/0 -> +1/+1" -> n (state changes only)
  std::map<std::string, std::uint64_t> alive_by_state;  // bhash buckets alive at the end
  std::uint64_t buckets_created = 0;
  std::uint64_t buckets_destroyed = 0;
  std::uint64_t failed_allocations = 0;  // bind()/connect() port allocations that failed
};

// "-1/-1", "0/0", "+1/0" (fastreuse/fastreuseport).
std::string state_key(const report::BucketState& s);

class LiveStats {
 public:
  void add(const report::Event& e);
  // The summary so far; the counters come from the tracer (report::TraceInfo).
  LiveSummary summary(const report::TraceInfo& info, std::uint64_t undecodable, double seconds) const;

 private:
  LiveSummary acc_;
  BucketModel model_;
};

}  // namespace tristate::trace
