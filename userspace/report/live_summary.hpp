// What a live trace saw, for the summary printed when it ends: ports, the buckets alive at
// the end per state, transitions by kind, and the loss counters. Plain data: trace/live_stats
// builds it from events, render/render_live shows it (render does not link trace).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace tristate::report {

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

}  // namespace tristate::report
