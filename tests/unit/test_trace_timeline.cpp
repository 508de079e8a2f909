// Attribution of events to steps.
#include <gtest/gtest.h>

#include "trace/timeline.hpp"

using namespace tristate;

namespace {

report::Event ev(std::uint64_t ts, std::uint32_t tid, std::uint64_t netns, const char* kind) {
  report::Event e;
  e.ts_ns = ts;
  e.tid = tid;
  e.netns = netns;
  e.kind = kind;
  return e;
}

report::Quiz two_steps() {
  report::Quiz q;
  q.steps.resize(2);
  q.steps[0].index = 1;
  q.steps[0].tid = 7;
  q.steps[0].t_start_ns = 100;
  q.steps[0].t_end_ns = 200;
  q.steps[1].index = 2;
  q.steps[1].tid = 7;
  q.steps[1].t_start_ns = 300;
  q.steps[1].t_end_ns = 400;
  return q;
}

}  // namespace

TEST(TraceTimeline, EventsGoToTheStepWhoseWindowAndThreadContainThem) {
  auto q = two_steps();
  trace::attribute_events(q,
                          {ev(350, 7, 5, "connect_alloc"), ev(150, 7, 5, "bind_alloc"), ev(120, 7, 5, "bucket_create"),
                           ev(50, 6, 5, "bind_alloc"),     // setup's listener, before step 1
                           ev(160, 0, 5, "bucket_destroy"),  // softirq inside step 1's window
                           ev(150, 7, 9, "bind_alloc")},   // another namespace
                          5);
  ASSERT_EQ(q.steps[0].events.size(), 2u);
  EXPECT_EQ(q.steps[0].events[0].kind, "bucket_create");  // timestamp order
  EXPECT_EQ(q.steps[0].events[1].kind, "bind_alloc");
  ASSERT_EQ(q.steps[1].events.size(), 1u);
  EXPECT_EQ(q.steps[1].events[0].kind, "connect_alloc");
  ASSERT_EQ(q.background.size(), 2u);
  EXPECT_EQ(q.background[0].ts_ns, 50u);
  EXPECT_EQ(q.background[1].tid, 0u);
  for (const auto& s : q.steps)
    for (const auto& e : s.events) EXPECT_EQ(e.netns, 5u);
}

TEST(TraceTimeline, WindowEdgesAreInclusive) {
  auto q = two_steps();
  trace::attribute_events(q, {ev(100, 7, 5, "a"), ev(200, 7, 5, "b"), ev(201, 7, 5, "c")}, 5);
  EXPECT_EQ(q.steps[0].events.size(), 2u);
  EXPECT_EQ(q.background.size(), 1u);
}
