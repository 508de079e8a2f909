// Explanations from synthetic events: they must follow the bucket states, not quiz names.
#include <gtest/gtest.h>

#include "trace/explain.hpp"

using namespace tristate;

namespace {

struct Builder {
  report::Quiz q;
  std::uint64_t ts = 1000;

  Builder() { q.sysctls.ip_local_port_range = "60000\t60000"; }

  report::Step& step(const std::string& source, bool ok = true, int err = 0, const char* err_name = "") {
    report::Step s;
    s.index = static_cast<int>(q.steps.size()) + 1;
    s.source = source;
    s.tid = 42;
    s.t_start_ns = ts;
    s.t_end_ns = ts + 500;
    ts += 1000;
    report::CallResult c;
    c.call = source;
    c.ok = ok;
    c.err = err;
    c.err_name = err_name;
    s.calls.push_back(c);
    s.matched = ok;
    q.steps.push_back(s);
    return q.steps.back();
  }

  static report::Event event(const report::Step& s, const char* kind, const char* fn, const char* path,
                             std::uint64_t bucket, std::uint16_t port) {
    report::Event e;
    e.ts_ns = s.t_start_ns + 10 + s.events.size();
    e.tid = s.tid;
    e.kind = report::from_name<report::EventKind>(kind).value();
    e.function = fn;
    e.path = report::from_name<report::OpPath>(path).value();
    e.bucket = bucket;
    e.port = port;
    return e;
  }

  // bind() creating a bucket and leaving it in `after`
  void bind_creates(report::Step& s, std::uint64_t bucket, std::uint16_t port, int req, report::BucketState after) {
    auto c = event(s, "bucket_create", "inet_bind_bucket_create", "bind", bucket, port);
    c.after = report::BucketState{0, 0};
    s.events.push_back(c);
    auto u = event(s, "bucket_state", "inet_csk_update_fastreuse", "bind", bucket, port);
    u.before = report::BucketState{0, 0};
    u.after = after;
    s.events.push_back(u);
    auto a = event(s, "bind_alloc", "inet_csk_get_port", "bind", bucket, port);
    a.requested_port = req;
    a.result = 0;
    a.after = after;
    s.events.push_back(a);
  }

  void connect_fails(report::Step& s) {
    auto a = event(s, "connect_alloc", "__inet_hash_connect", "connect", 0, 0);
    a.result = -99;
    s.events.push_back(a);
  }
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// The post's quiz 3: bind(port 0) makes a 0/0 bucket, connect() of another socket finds no port.
TEST(TraceExplain, ConnectBlockedByBindMadeBucket) {
  Builder b;
  b.step("s1 = socket(AF_INET, SOCK_STREAM)");
  auto& bind = b.step("s1.bind(('127.1.1.1', 0))");
  b.bind_creates(bind, 0xb1, 60000, 0, {0, 0});
  b.step("s1.connect(('127.9.9.9', 1234))");
  b.step("s2 = socket(AF_INET, SOCK_STREAM)");
  auto& conn = b.step("s2.connect(('127.9.9.9', 1234))", false, 99, "EADDRNOTAVAIL");
  b.connect_fails(conn);
  trace::explain_quiz(b.q);
  const std::string& x = b.q.steps[4].explanation;
  EXPECT_TRUE(has(x, "ip_local_port_range is 60000-60000")) << x;
  EXPECT_TRUE(has(x, "Port 60000's bucket was created by bind() in step 2 (s1.bind(('127.1.1.1', 0)))")) << x;
  EXPECT_TRUE(has(x, "(fastreuse 0, fastreuseport 0)")) << x;
  EXPECT_TRUE(has(x, "__inet_hash_connect skipped it")) << x;
  EXPECT_TRUE(has(x, "No other port is in the range -> EADDRNOTAVAIL")) << x;
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(b.q.steps[i].explanation, "") << i;
}

// The post's quiz 8: SO_REUSEADDR bind() makes the bucket +1, still not shareable by connect().
TEST(TraceExplain, ReuseaddrBucketStillBlocksConnect) {
  Builder b;
  auto& bind = b.step("s1.bind(('127.0.0.1', 60000))");
  b.bind_creates(bind, 0xb1, 60000, 60000, {1, 0});
  auto& conn = b.step("s2.connect(('127.8.8.8', 1234))", false, 99, "EADDRNOTAVAIL");
  b.connect_fails(conn);
  trace::explain_quiz(b.q);
  const std::string& x = b.q.steps[1].explanation;
  EXPECT_TRUE(has(x, "(fastreuse 1, fastreuseport 0)")) << x;
  EXPECT_TRUE(has(x, "last changed by inet_csk_update_fastreuse in step 1")) << x;
  EXPECT_TRUE(has(x, "skipped")) << x;
}

// Same failure, different state: a connect()-made bucket is shareable; the text must say the
// 4-tuple is the problem, not the bucket.
TEST(TraceExplain, ConnectMadeBucketPointsAtTheFourTuple) {
  Builder b;
  auto& c1 = b.step("s1.connect(('127.9.9.9', 1234))");
  auto cr = Builder::event(c1, "bucket_create", "inet_bind_bucket_create", "connect", 0xc1, 60000);
  cr.after = report::BucketState{0, 0};
  c1.events.push_back(cr);
  auto st = Builder::event(c1, "bucket_state", "__inet_hash_connect", "connect", 0xc1, 60000);
  st.before = report::BucketState{0, 0};
  st.after = report::BucketState{-1, -1};
  c1.events.push_back(st);
  auto& c2 = b.step("s2.connect(('127.9.9.9', 1234))", false, 99, "EADDRNOTAVAIL");
  b.connect_fails(c2);
  trace::explain_quiz(b.q);
  const std::string& x = b.q.steps[1].explanation;
  EXPECT_TRUE(has(x, "created by connect() in step 1")) << x;
  EXPECT_TRUE(has(x, "(fastreuse -1, fastreuseport -1)")) << x;
  EXPECT_TRUE(has(x, "every 4-tuple")) << x;
  EXPECT_FALSE(has(x, "skipped")) << x;
}

// A bucket destroyed before the failing step is not blamed; the free port is reported instead.
TEST(TraceExplain, DestroyedBucketIsNotBlamed) {
  Builder b;
  b.q.sysctls.ip_local_port_range = "60000 60001";
  auto& bind = b.step("s1.bind(('127.1.1.1', 0))");
  b.bind_creates(bind, 0xb1, 60000, 0, {0, 0});
  auto& close = b.step("s1.close()");
  auto d = Builder::event(close, "bucket_destroy", "inet_bind_bucket_destroy", "release", 0xb1, 60000);
  d.before = report::BucketState{0, 0};
  close.events.push_back(d);
  auto& conn = b.step("s2.connect(('127.9.9.9', 1234))", false, 99, "EADDRNOTAVAIL");
  b.connect_fails(conn);
  trace::explain_quiz(b.q);
  const std::string& x = b.q.steps[2].explanation;
  EXPECT_FALSE(has(x, "Port 60000's bucket")) << x;
  EXPECT_TRUE(has(x, "2 port(s) of the range had no traced bucket")) << x;
}

// bind() to a taken port; kernels up to 6.0 return 1 from inet_csk_get_port.
TEST(TraceExplain, BindConflictOnOldKernelReturnValue) {
  Builder b;
  auto& c1 = b.step("s1.bind(('127.0.0.1', 60000))");
  b.bind_creates(c1, 0xb1, 60000, 60000, {0, 0});
  auto& s2 = b.step("s2.bind(('127.0.0.1', 60000))", false, 98, "EADDRINUSE");
  auto a = Builder::event(s2, "bind_alloc", "inet_csk_get_port", "bind", 0, 0);
  a.requested_port = 60000;
  a.result = 1;
  s2.events.push_back(a);
  trace::explain_quiz(b.q);
  const std::string& x = b.q.steps[1].explanation;
  EXPECT_TRUE(has(x, "returned 1 (kernels up to 6.0")) << x;
  EXPECT_TRUE(has(x, "bind() asked for port 60000, whose bucket was created by bind() in step 1")) << x;
  EXPECT_TRUE(has(x, "-> EADDRINUSE")) << x;
}

TEST(TraceExplain, NoEventsNoExplanation) {
  Builder b;
  b.step("s2.connect(('127.9.9.9', 1234))", false, 99, "EADDRNOTAVAIL");
  b.q.sysctls.ip_local_port_range = "";
  trace::explain_quiz(b.q);
  EXPECT_EQ(b.q.steps[0].explanation, "");
}
