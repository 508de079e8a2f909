// Replays bucket events into the set of bind buckets alive at a point of a quiz.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/report.hpp"

namespace tristate::trace {

struct Bucket {
  std::uint64_t id = 0;
  std::uint16_t port = 0;
  int l3mdev = 0;
  report::BucketState state;
  report::OpPath created_by = report::OpPath::none;  // none: seen before it was created
  int created_step = -1;    // index into quiz.steps, -1 = setup/background or unknown
  bool seen_create = false;
  std::string last_writer;  // function of the last state change
  int last_step = -1;
};

class BucketModel {
 public:
  // `step` is the index of the step the event belongs to, -1 for background.
  void apply(const report::Event& ev, int step);
  std::vector<const Bucket*> at_port(std::uint16_t port) const;
  const std::map<std::uint64_t, Bucket>& buckets() const { return alive_; }

 private:
  std::map<std::uint64_t, Bucket> alive_;
};

// Every event of the quiz with its step index (-1: background), in timestamp order.
struct TimedEvent {
  const report::Event* event;
  int step;
};
std::vector<TimedEvent> quiz_events(const report::Quiz& quiz);

}  // namespace tristate::trace
