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
  e.kind = report::from_name<report::EventKind>(kind).value();
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
  EXPECT_EQ(q.steps[0].events[0].kind, report::EventKind::bucket_create);  // timestamp order
  EXPECT_EQ(q.steps[0].events[1].kind, report::EventKind::bind_alloc);
  ASSERT_EQ(q.steps[1].events.size(), 1u);
  EXPECT_EQ(q.steps[1].events[0].kind, report::EventKind::connect_alloc);
  ASSERT_EQ(q.background.size(), 2u);
  EXPECT_EQ(q.background[0].ts_ns, 50u);
  EXPECT_EQ(q.background[1].tid, 0u);
  for (const auto& s : q.steps)
    for (const auto& e : s.events) EXPECT_EQ(e.netns, 5u);
}

TEST(TraceTimeline, WindowEdgesAreInclusive) {
  auto q = two_steps();
  trace::attribute_events(q, {ev(100, 7, 5, "bucket_create"), ev(200, 7, 5, "bucket_state"),
                              ev(201, 7, 5, "bucket_destroy")}, 5);
  ASSERT_EQ(q.steps[0].events.size(), 2u);
  EXPECT_EQ(q.steps[0].events[1].kind, report::EventKind::bucket_state);
  ASSERT_EQ(q.background.size(), 1u);
  EXPECT_EQ(q.background[0].kind, report::EventKind::bucket_destroy);
}

namespace {

report::Event accepted(std::uint64_t ts, std::uint32_t tid, const char* function, const char* addr) {
  auto e = ev(ts, tid, 5, "bucket2_create");
  e.function = function;
  e.addr = addr;
  e.port = 1234;
  return e;
}

report::CallResult call(const char* text, bool ok = true) {
  report::CallResult c;
  c.call = text;
  c.ok = ok;
  return c;
}

}  // namespace

// ksoftirqd (another thread, possibly after the step ended) completing the handshake of a
// step's connect(): the accepted socket's bhash2 bucket belongs to that step, as it does when
// the connecting thread ran the softirq itself.
TEST(TraceTimeline, AcceptedSocketBucketGoesToTheConnectThatMadeIt) {
  auto q = two_steps();
  q.steps[0].calls = {call("s1.connect(('127.9.9.9', 1234))")};
  q.steps[1].calls = {call("s2.getsockname()")};
  trace::attribute_events(q, {accepted(250, 99, "__inet_inherit_port", "127.9.9.9"),
                              accepted(350, 99, "inet_bind2_bucket_create", "127.9.9.9")}, 5);
  EXPECT_EQ(q.steps[0].events.size(), 2u);
  EXPECT_TRUE(q.steps[1].events.empty());
  EXPECT_TRUE(q.background.empty());
}

TEST(TraceTimeline, AcceptedSocketBucketPrefersTheConnectToItsAddress) {
  auto q = two_steps();
  q.steps[0].calls = {call("s1.connect(('127.9.9.9', 1234))")};
  q.steps[1].calls = {call("s2.connect(('127.8.8.8', 1234))")};
  trace::attribute_events(q, {accepted(450, 99, "__inet_inherit_port", "127.9.9.9")}, 5);
  EXPECT_EQ(q.steps[0].events.size(), 1u);
  EXPECT_TRUE(q.steps[1].events.empty());
}

TEST(TraceTimeline, OtherBackgroundEventsStayThere) {
  auto q = two_steps();
  q.steps[0].calls = {call("s1.connect(('127.9.9.9', 1234))", false)};  // refused: no connection
  auto bind_made = accepted(250, 99, "inet_bind2_bucket_create", "127.9.9.9");
  bind_made.path = report::OpPath::bind;  // another thread's bind(): not an accepted connection
  trace::attribute_events(q, {accepted(250, 99, "__inet_inherit_port", "127.9.9.9"), bind_made,
                              ev(260, 99, 5, "bucket_destroy")}, 5);
  EXPECT_TRUE(q.steps[0].events.empty());
  EXPECT_EQ(q.background.size(), 3u);
}
