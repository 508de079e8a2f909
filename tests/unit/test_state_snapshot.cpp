// Bucket state snapshots: grouping the iterators' records, the compact line, the
// tracer-model cross-check, state assertions, the snapshot-based explainer, JSON and the
// matrix's state-only differences. Hand-made records and reports: no BPF needed.
#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <utility>

#include "compare/matrix.hpp"
#include "report/report_json.hpp"
#include "report/state_text.hpp"
#include "trace/explain_state.hpp"
#include "quiz/state_check.hpp"
#include "trace/state_crosscheck.hpp"
#include "trace/step_snapshot.hpp"

extern "C" {
#include "bpf/snapshot.h"
}

using namespace tristate;

namespace {

ts_snap_sock rec(ts_snap_source source, std::uint64_t sock, int fd, std::uint16_t port, int fr, int frp,
                 unsigned sk_state, const char* v4 = "127.0.0.1") {
  ts_snap_sock r{};
  r.source = static_cast<__u8>(source);
  r.sock = sock;
  r.fd = fd;
  r.port = port;
  r.bucket = port ? 0x1000 + port : 0;
  r.fastreuse = static_cast<__s8>(fr);
  r.fastreuseport = static_cast<__s8>(frp);
  r.sk_state = static_cast<__u8>(sk_state);
  r.family = 2;
  unsigned a, b, c, d;
  std::sscanf(v4, "%u.%u.%u.%u", &a, &b, &c, &d);
  r.addr[0] = static_cast<__u8>(a), r.addr[1] = static_cast<__u8>(b), r.addr[2] = static_cast<__u8>(c),
  r.addr[3] = static_cast<__u8>(d);
  return r;
}

report::StepState build(const std::vector<ts_snap_sock>& recs, const quiz::SocketNames& names) {
  return trace::build_step_state(recs.data(), recs.size() * sizeof(ts_snap_sock), names);
}

quiz::SocketNames quiz_names() {
  quiz::SocketNames n;
  n.by_fd = {{3, "ln"}, {4, "s1"}, {5, "s2"}};
  n.listener_port = {{1234, "ln"}};
  return n;
}

}  // namespace

TEST(StateSnapshot, NamesFilesAndTablesOnceEach) {
  const std::vector<ts_snap_sock> recs = {
      rec(TS_SNAP_TASK_FILE, 1, 3, 1234, 0, 0, 10, "0.0.0.0"),  // ln
      rec(TS_SNAP_TASK_FILE, 2, 4, 60000, -1, -1, 1),           // s1 connected
      rec(TS_SNAP_TASK_FILE, 3, 5, 0, 0, 0, 7),                 // s2 socket() only
      rec(TS_SNAP_TCP, 1, -1, 1234, 0, 0, 10, "0.0.0.0"),       // ln again (held by a file)
      rec(TS_SNAP_TCP, 2, -1, 60000, -1, -1, 1),                // s1 again
      rec(TS_SNAP_TCP, 9, -1, 1234, 0, 0, 1),                   // the accepted side of s1
      rec(TS_SNAP_TCP, 8, -1, 60001, -1, -1, 6),                // a TIME_WAIT socket
  };
  const auto st = build(recs, quiz_names());
  ASSERT_TRUE(st.taken);
  ASSERT_EQ(st.sockets.size(), 5u);
  EXPECT_EQ(st.sockets[0].name, "s2");  // port 0 sorts first
  EXPECT_EQ(st.sockets[0].port, 0);
  EXPECT_EQ(st.sockets[1].name, "ln");
  EXPECT_EQ(st.sockets[1].local, "0.0.0.0:1234");
  EXPECT_EQ(st.sockets[1].tcp_state, "LISTEN");
  EXPECT_EQ(st.sockets[2].name, "ln.child");
  EXPECT_EQ(st.sockets[2].fd, -1);
  EXPECT_EQ(st.sockets[3].name, "s1");
  EXPECT_EQ(st.sockets[3].state, (report::BucketState{-1, -1}));
  EXPECT_EQ(st.sockets[3].local, "127.0.0.1:60000");
  EXPECT_EQ(st.sockets[4].name, "time-wait");
  EXPECT_EQ(st.sockets[4].tcp_state, "TIME_WAIT");
  EXPECT_TRUE(st.gone.empty());
  EXPECT_EQ(report::state_line(st), "1234 0/0 ln ln.child · 60000 -1/-1 s1 · 60001 -1/-1 time-wait · unbound s2");
}

TEST(StateSnapshot, AnOpenSocketTheIteratorDidNotSeeIsReportedGone) {
  const std::vector<ts_snap_sock> recs = {rec(TS_SNAP_TASK_FILE, 2, 4, 60000, 0, 0, 7)};
  const auto st = build(recs, quiz_names());
  EXPECT_EQ(st.gone, (std::vector<std::string>{"ln", "s2"}));
}

TEST(StateSnapshot, Bhash2StateShownWhereItDiffers) {
  auto r = rec(TS_SNAP_TASK_FILE, 2, 4, 60000, -1, -1, 1);
  r.flags |= TS_SNAP_F_TB2 | TS_SNAP_F_TB2_STATE;
  r.fastreuse2 = 0;
  r.fastreuseport2 = 0;
  const auto st = build({r}, quiz_names());
  ASSERT_TRUE(st.sockets[0].state2);
  EXPECT_EQ(report::state_line(st), "60000 -1/-1 s1[bhash2 0/0]");
}

TEST(StateSnapshot, FailedSnapshotLineSaysWhy) {
  report::StepState st;
  st.error = "creating the iterator failed (EPERM)";
  EXPECT_EQ(report::state_line(st), "not read (creating the iterator failed (EPERM))");
}

TEST(StateSnapshot, JsonRoundTrip) {
  report::Step s;
  s.index = 1;
  s.source = "s1.bind(('127.0.0.1', 60000))";
  report::StepState st;
  st.taken = true;
  st.t_ns = 77;
  report::SockState so;
  so.name = "s1";
  so.fd = 4;
  so.port = 60000;
  so.state = {0, 0};
  so.state2 = report::BucketState{-1, -1};
  so.bhash2 = true;
  st.sockets.push_back(so);
  st.gone = {"s2"};
  st.model_diff = {"port 60000: traced 0/0, snapshot -1/-1"};
  s.state = st;
  nlohmann::json j = s;
  const auto back = j.get<report::Step>();
  ASSERT_TRUE(back.state);
  EXPECT_EQ(nlohmann::json(*back.state), nlohmann::json(st));
  // a step without snapshots has no "state" key (older readers, --no-state)
  EXPECT_FALSE(nlohmann::json(report::Step{}).contains("state"));
}

// ---- cross-check: tracer model vs snapshot ----

namespace {

report::Event ev(const char* kind, std::uint64_t ts, std::uint64_t bucket, std::uint16_t port,
                 std::optional<report::BucketState> after) {
  report::Event e;
  e.ts_ns = ts;
  e.kind = report::from_name<report::EventKind>(kind).value();
  e.function = "inet_csk_get_port";
  e.bucket = bucket;
  e.port = port;
  e.after = after;
  return e;
}

report::StepState snap(std::uint64_t t, std::uint16_t port, report::BucketState s) {
  report::StepState st;
  st.taken = true;
  st.t_ns = t;
  report::SockState so;
  so.name = "s1";
  so.port = port;
  so.state = s;
  st.sockets.push_back(so);
  return st;
}

report::Quiz two_step_quiz() {
  report::Quiz q;
  report::Step a, b;
  a.index = 1, b.index = 2;
  a.events = {ev("bucket_create", 100, 7, 60000, report::BucketState{0, 0}),
              ev("bucket_state", 110, 7, 60000, report::BucketState{0, 0})};
  a.state = snap(200, 60000, {0, 0});
  b.events = {ev("bucket_state", 300, 7, 60000, report::BucketState{1, 0})};
  b.state = snap(400, 60000, {1, 0});
  q.steps = {a, b};
  return q;
}

}  // namespace

TEST(StateCrosscheck, AgreeingModelGivesNoDiff) {
  auto q = two_step_quiz();
  trace::crosscheck_state(q);
  EXPECT_TRUE(q.steps[0].state->model_diff.empty());
  EXPECT_TRUE(q.steps[1].state->model_diff.empty());
  EXPECT_EQ(q.state_mismatches(), 0);
}

TEST(StateCrosscheck, AMissedEventIsCaught) {
  auto q = two_step_quiz();
  q.steps[1].events.clear();  // the +1 transition was lost
  trace::crosscheck_state(q);
  EXPECT_TRUE(q.steps[0].state->model_diff.empty());
  ASSERT_EQ(q.steps[1].state->model_diff.size(), 1u);
  EXPECT_EQ(q.steps[1].state->model_diff[0], "port 60000: traced 0/0, snapshot 1/0");
  EXPECT_EQ(q.state_mismatches(), 1);
}

TEST(StateCrosscheck, BucketsOnOneSideOnlyAreCaught) {
  auto q = two_step_quiz();
  q.steps[0].events.clear();
  q.steps[1].events.clear();
  q.steps[1].state = snap(400, 60001, {-1, -1});
  q.steps[1].events = {ev("bucket_create", 300, 8, 60002, report::BucketState{-1, -1})};
  trace::crosscheck_state(q);
  ASSERT_EQ(q.steps[0].state->model_diff.size(), 1u);
  EXPECT_EQ(q.steps[0].state->model_diff[0], "port 60000: snapshot 0/0, no bucket in the traced model");
  ASSERT_EQ(q.steps[1].state->model_diff.size(), 2u);
  EXPECT_EQ(q.steps[1].state->model_diff[1], "port 60002: traced -1/-1, not in the snapshot");
}

TEST(StateCrosscheck, EventsAfterTheSnapshotWaitForTheNextStep) {
  auto q = two_step_quiz();
  // a background event (softirq) after step 1's snapshot but before step 2
  report::Event late = ev("bucket_state", 250, 7, 60000, report::BucketState{1, 0});
  q.background.push_back(late);
  q.steps[1].events.clear();
  trace::crosscheck_state(q);
  EXPECT_TRUE(q.steps[0].state->model_diff.empty());
  EXPECT_TRUE(q.steps[1].state->model_diff.empty());
}

// ---- state assertions (the parser's quiz::StateAssert shape, hand-made here) ----

namespace {

struct Loc {
  int line = 0, column = 0;
};
struct Assert {
  std::string sock;
  int fastreuse = 0;
  int fastreuseport = 0;
  std::optional<std::pair<int, int>> bhash2;
  Loc loc;
  std::string text;
};

report::StepState one_sock(report::BucketState s, std::optional<report::BucketState> s2 = std::nullopt,
                           bool bhash2 = true) {
  report::StepState st;
  st.taken = true;
  report::SockState so;
  so.name = "s1";
  so.port = 60000;
  so.state = s;
  so.state2 = s2;
  so.bhash2 = bhash2;
  st.sockets.push_back(so);
  return st;
}

}  // namespace

TEST(StateCheck, PassedDiffAndNotChecked) {
  using report::CheckOutcome;
  const Assert a{"s1", -1, -1, std::nullopt, {5, 5}, "state s1: -1/-1"};
  auto r = quiz::check_state(std::vector<Assert>{a}, std::optional(one_sock({-1, -1})));
  EXPECT_EQ(r[0].outcome, CheckOutcome::passed);
  EXPECT_EQ(r[0].line, 5);

  r = quiz::check_state(std::vector<Assert>{a}, std::optional(one_sock({-1, 0})));
  EXPECT_EQ(r[0].outcome, CheckOutcome::diff);
  EXPECT_EQ(r[0].actual, "-1/0");
  EXPECT_TRUE(quiz::any_diff(r));

  r = quiz::check_state(std::vector<Assert>{a}, std::nullopt);
  EXPECT_EQ(r[0].outcome, CheckOutcome::not_checked);
  EXPECT_FALSE(quiz::any_diff(r));

  report::StepState failed;
  failed.error = "reading the iterator failed (EIO)";
  r = quiz::check_state(std::vector<Assert>{a}, std::optional(failed));
  EXPECT_EQ(r[0].outcome, CheckOutcome::not_checked);
  EXPECT_NE(r[0].why.find("EIO"), std::string::npos);
}

TEST(StateCheck, Bhash2PairNeedsAKernelThatKeepsIt) {
  using report::CheckOutcome;
  const Assert a{"s1", -1, -1, std::make_pair(-1, -1), {6, 5}, "state s1: -1/-1 [bhash2 -1/-1]"};
  // 6.1 - 6.17: a bhash2 bucket without its own pair: never "passed"
  auto r = quiz::check_state(std::vector<Assert>{a}, std::optional(one_sock({-1, -1})));
  EXPECT_EQ(r[0].outcome, CheckOutcome::not_checked);
  // 6.18+
  r = quiz::check_state(std::vector<Assert>{a}, std::optional(one_sock({-1, -1}, report::BucketState{-1, -1})));
  EXPECT_EQ(r[0].outcome, CheckOutcome::passed);
  r = quiz::check_state(std::vector<Assert>{a}, std::optional(one_sock({-1, -1}, report::BucketState{0, 0})));
  EXPECT_EQ(r[0].outcome, CheckOutcome::diff);
  EXPECT_EQ(r[0].actual, "-1/-1 [bhash2 0/0]");
  // the bhash pair differs: DIFF even where bhash2 cannot be read
  r = quiz::check_state(std::vector<Assert>{a}, std::optional(one_sock({0, 0}, std::nullopt, false)));
  EXPECT_EQ(r[0].outcome, CheckOutcome::diff);
}

TEST(StateCheck, MissingUnboundAndClosedSockets) {
  using report::CheckOutcome;
  const Assert a{"s2", 0, 0, std::nullopt, {7, 5}, "state s2: 0/0"};
  auto st = one_sock({0, 0});
  auto r = quiz::check_state(std::vector<Assert>{a}, std::optional(st));
  EXPECT_EQ(r[0].outcome, CheckOutcome::diff);
  EXPECT_EQ(r[0].actual, "no open socket s2");
  st.gone = {"s2"};
  r = quiz::check_state(std::vector<Assert>{a}, std::optional(st));
  EXPECT_EQ(r[0].outcome, CheckOutcome::not_checked);
  st.gone.clear();
  report::SockState unbound;
  unbound.name = "s2";
  st.sockets.push_back(unbound);
  r = quiz::check_state(std::vector<Assert>{a}, std::optional(st));
  EXPECT_EQ(r[0].outcome, CheckOutcome::diff);
  EXPECT_EQ(r[0].actual, "not bound");
}

TEST(StateCheck, ADiffMakesTheStepAMismatch) {
  const std::vector<Assert> asserts{Assert{"s1", -1, -1, std::nullopt, {3, 5}, "state s1: -1/-1"}};
  report::Quiz rq;
  rq.steps.resize(2);
  rq.steps[1].state = one_sock({0, 0});
  quiz::record_state_checks(rq.steps[1], quiz::check_state(asserts, rq.steps[1].state));
  ASSERT_EQ(rq.steps[1].state_checks.size(), 1u);
  EXPECT_EQ(rq.steps[1].state_checks[0].outcome, report::CheckOutcome::diff);
  EXPECT_EQ(rq.steps[1].state_checks[0].actual, "0/0");
  EXPECT_FALSE(rq.steps[1].matched);
  EXPECT_EQ(rq.mismatches(), 1);
  // no snapshot: not checked, the step stays matched
  report::Step untraced;
  quiz::record_state_checks(untraced, quiz::check_state(asserts, std::nullopt));
  EXPECT_EQ(untraced.state_checks[0].outcome, report::CheckOutcome::not_checked);
  EXPECT_TRUE(untraced.matched);
  // and it survives the JSON round trip
  nlohmann::json j = rq.steps[1];
  EXPECT_EQ(j.get<report::Step>().state_checks[0].outcome, report::CheckOutcome::diff);
}

// ---- the explainer that needs no events ----

TEST(ExplainFromState, ConnectBlockedByABindMadeBucket) {
  report::Quiz q;
  q.sysctls.ip_local_port_range = "60000\t60000";
  report::Step a, b;
  a.index = 1;
  a.source = "s1.bind(('127.0.0.1', 0))";
  a.calls = {{a.source, true, "None", 0, ""}};
  a.state = one_sock({0, 0});
  a.state->sockets[0].tcp_state = "CLOSE";
  a.state->sockets[0].local = "127.0.0.1:60000";
  b.index = 2;
  b.source = "s2.connect(('127.9.9.9', 1234))";
  b.calls = {{b.source, false, "", 99, "EADDRNOTAVAIL"}};
  b.matched = true;
  q.steps = {a, b};
  trace::explain_quiz_from_state(q);
  EXPECT_TRUE(q.steps[0].explanation.empty());
  const auto& why = q.steps[1].explanation;
  EXPECT_NE(why.find("Port 60000: 0/0, held by s1 (CLOSE 127.0.0.1:60000) (not -1/-1: connect() skips it)"),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("No other port is in the range -> EADDRNOTAVAIL."), std::string::npos) << why;
}

TEST(ExplainFromState, BindIntoAHeldPort) {
  report::Quiz q;
  report::Step a, b;
  a.state = one_sock({0, 0});
  b.calls = {{"s2.bind(('127.0.0.1', 60000))", false, "", 98, "EADDRINUSE"}};
  q.steps = {a, b};
  EXPECT_NE(trace::explain_step_from_state(q, 1).find("bind() asked for port 60000, whose bucket was 0/0"),
            std::string::npos);
  // without a snapshot before it, nothing is claimed
  q.steps[0].state.reset();
  EXPECT_EQ(trace::explain_step_from_state(q, 1), "");
}

// ---- the matrix: state-only differences between untraced columns ----

TEST(MatrixState, UntracedColumnsDifferInStateOnly) {
  auto make = [](const std::string& release, report::BucketState s) {
    compare::LabelledReport in;
    in.report.kernel.release = release;
    in.report.trace.mode = report::TraceMode::none;
    report::Quiz q;
    q.name = "q";
    report::Step st;
    st.index = 1;
    st.source = "s1.close()";
    st.state = one_sock(s);
    q.steps = {st};
    in.report.quizzes = {q};
    in.label = release;
    return in;
  };
  const auto m = compare::compare({make("6.12", {0, 0}), make("6.18", {-1, -1}), make("6.1", {0, 0})});
  ASSERT_EQ(m.rows.size(), 1u);
  const auto& row = m.rows[0];
  EXPECT_FALSE(row.outcome_differs);
  EXPECT_TRUE(row.snapshot_differs);
  EXPECT_TRUE(row.differs());
  EXPECT_FALSE(row.cells[0].differs);
  EXPECT_TRUE(row.cells[1].differs);
  EXPECT_EQ(row.cells[1].state, "after: 60000 -1/-1 s1");
  EXPECT_EQ(m.differing_rows(), 1u);
}

TEST(MatrixState, WhoHoldsABucketIsNotADifference) {
  auto make = [](const std::string& release, const char* holder) {
    compare::LabelledReport in;
    in.report.kernel.release = release;
    in.report.trace.mode = report::TraceMode::none;
    report::Quiz q;
    q.name = "q";
    report::Step st;
    st.index = 1;
    st.source = "s1.close()";
    st.state = one_sock({0, 0});
    st.state->sockets[0].name = holder;  // FIN_WAIT or already TIME_WAIT: timing
    q.steps = {st};
    in.report.quizzes = {q};
    in.label = release;
    return in;
  };
  const auto m = compare::compare({make("a", "closing"), make("b", "time-wait")});
  ASSERT_EQ(m.rows.size(), 1u);
  EXPECT_FALSE(m.rows[0].snapshot_differs);
  EXPECT_EQ(m.rows[0].cells[1].snapshot, "60000 0/0 time-wait");
}

TEST(StateSnapshot, ABucketOnlyATimeWaitSocketHoldsIsNamedAfterIt) {
  auto tw = rec(TS_SNAP_BUCKET, 0, -1, 60000, 0, 0, 6);
  auto again = rec(TS_SNAP_BUCKET, 0, -1, 1234, 0, 0, 10);  // the listener's: held by ln already
  const std::vector<ts_snap_sock> recs = {rec(TS_SNAP_TASK_FILE, 1, 3, 1234, 0, 0, 10), tw, again};
  const auto st = build(recs, quiz_names());
  EXPECT_EQ(report::state_line(st), "1234 0/0 ln · 60000 0/0 time-wait");
  auto closing = tw;
  closing.sk_state = 4;  // FIN_WAIT1
  EXPECT_EQ(report::state_line(build({closing}, quiz_names())), "60000 0/0 closing");
}

TEST(StateSnapshot, WithoutTheTablesAListenersQueueIsCounted) {
  auto ln = rec(TS_SNAP_TASK_FILE, 1, 3, 1234, 0, 0, 10, "0.0.0.0");
  ln.backlog = 2;
  EXPECT_EQ(report::state_line(build({ln}, quiz_names())), "1234 0/0 ln ln.child ln.child");
  // with the tables, the children come from iter/tcp and are not counted twice
  const auto tcp = rec(TS_SNAP_TCP, 9, -1, 7, 0, 0, 1);
  EXPECT_EQ(report::state_line(build({ln, tcp}, quiz_names())), "7 0/0 ? · 1234 0/0 ln");
}

TEST(MatrixState, Bhash2PairsOnlyBetweenKernelsThatKeepThem) {
  auto make = [](const std::string& release, std::optional<report::BucketState> s2) {
    compare::LabelledReport in;
    in.report.kernel.release = release;
    in.report.trace.mode = report::TraceMode::none;
    report::Quiz q;
    q.name = "q";
    report::Step st;
    st.index = 1;
    st.source = "s2.bind(('127.2.2.2', 60000))";
    st.state = one_sock({0, 0}, s2);
    q.steps = {st};
    in.report.quizzes = {q};
    in.label = release;
    return in;
  };
  // 6.12 has no pair of its own on bhash2: not a difference from 6.18's -1/-1
  auto m = compare::compare({make("6.12", std::nullopt), make("6.18", report::BucketState{-1, -1})});
  EXPECT_FALSE(m.rows[0].snapshot_differs);
  // two kernels that both keep it and disagree
  m = compare::compare({make("6.18", report::BucketState{0, 0}), make("7.2", report::BucketState{-1, -1})});
  EXPECT_TRUE(m.rows[0].snapshot_differs);
}
