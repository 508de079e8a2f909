// The accumulator behind a live trace's end-of-trace summary (report::LiveSummary): counts
// events as they arrive and follows the buckets' states to report those alive at the end.
#pragma once

#include <cstdint>

#include "report/live_summary.hpp"
#include "report/report.hpp"
#include "trace/bucket_model.hpp"

namespace tristate::trace {

class LiveStats {
 public:
  void add(const report::Event& e);
  // The summary so far; the counters come from the tracer (report::TraceInfo).
  report::LiveSummary summary(const report::TraceInfo& info, std::uint64_t undecodable, double seconds) const;

 private:
  report::LiveSummary acc_;
  BucketModel model_;
};

}  // namespace tristate::trace
