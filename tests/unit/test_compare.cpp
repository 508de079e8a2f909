#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "compare/bucket_view.hpp"
#include "compare/matrix.hpp"
#include "report/report_json.hpp"
#include "test_compare_fixtures.hpp"

using namespace tristate;
using namespace tristate::compare;
using namespace tristate::compare_fixtures;

namespace {

std::vector<LabelledReport> two(Report a, Report b) {
  std::vector<LabelledReport> in;
  in.push_back({"", "a.json", std::move(a)});
  in.push_back({"", "b.json", std::move(b)});
  assign_labels(in);
  return in;
}

const Row& row_of(const Matrix& m, const std::string& quiz, int step) {
  for (const auto& r : m.rows)
    if (r.quiz == quiz && r.step == step) return r;
  throw std::runtime_error("no row " + quiz + " step " + std::to_string(step));
}

Step& step_of(Report& r, const std::string& quiz, int index) {
  for (auto& q : r.quizzes)
    if (q.name == quiz)
      for (auto& s : q.steps)
        if (s.index == index) return s;
  throw std::runtime_error("no step");
}

// A scratch directory removed when the test ends.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("tristate-compare-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    const auto p = path / name;
    std::ofstream(p) << text;
    return p.string();
  }
};

}  // namespace

TEST(Compare, IdenticalRunsAgreeDespiteTimestampsPidsAndBucketIds) {
  // The fixture stamps every event with fresh ts/pid/bucket/netns, so the two runs differ in
  // exactly the fields compare must ignore.
  const Matrix m = compare::compare(two(report_for("6.1.0-28"), report_for("6.12.9")));
  EXPECT_TRUE(m.agree());
  EXPECT_EQ(m.differing_rows(), 0u);
  ASSERT_EQ(m.columns.size(), 2u);
  EXPECT_EQ(m.columns[0].label, "6.1.0-28");
  EXPECT_EQ(m.columns[1].label, "6.12.9");
  EXPECT_EQ(m.quizzes, (std::vector<std::string>{"post-1", "post-2", "post-3"}));
  EXPECT_EQ(m.rows.size(), 11u);  // every step is kept, even those that do not matter
  EXPECT_TRUE(m.missing.empty());
  for (const auto& r : m.rows)
    for (const auto& c : r.cells) EXPECT_FALSE(c.differs) << r.quiz << " " << r.step;

  const Row& connect = row_of(m, "post-3", 4);
  EXPECT_TRUE(connect.failed);
  EXPECT_TRUE(connect.matters());
  EXPECT_EQ(connect.cells[0].outcome, "EADDRNOTAVAIL");
  EXPECT_TRUE(connect.cells[0].matched);
  EXPECT_EQ(connect.cells[0].state, "port 60000: 0/0 (connect, skipped)");
  EXPECT_EQ(row_of(m, "post-3", 2).cells[1].state, "port 60000: 0/0 (bind)");
  EXPECT_EQ(row_of(m, "post-1", 2).cells[0].state, "port 60000: -1/-1 (connect)");
  EXPECT_EQ(row_of(m, "post-2", 3).cells[0].state, "port 60000: absent (release)");
  // A step that neither failed nor touched a bucket does not matter.
  EXPECT_FALSE(row_of(m, "post-3", 1).matters());
  EXPECT_EQ(row_of(m, "post-3", 1).cells[0].state, "no bucket event");
}

TEST(Compare, OneStepDiffersInOutcome) {
  Report b = report_for("6.18.1");
  Step& s = step_of(b, "post-3", 4);
  s.calls[0] = {s.source, true, "None", 0, ""};
  s.actual = "";
  s.matched = false;  // the quiz expected EADDRNOTAVAIL
  s.events = {ev("bucket_state", "__inet_hash_connect", "connect", kBind, kConnect)};
  const Matrix m = compare::compare(two(report_for("6.12.9"), b));

  EXPECT_FALSE(m.agree());
  EXPECT_EQ(m.differing_rows(), 1u);
  const Row& r = row_of(m, "post-3", 4);
  EXPECT_TRUE(r.outcome_differs);
  EXPECT_TRUE(r.state_differs);
  EXPECT_TRUE(r.events_differ);
  EXPECT_FALSE(r.cells[0].differs);  // with two inputs the first is the reference
  EXPECT_TRUE(r.cells[1].differs);
  EXPECT_EQ(r.cells[1].outcome, "ok");
  EXPECT_FALSE(r.cells[1].matched);
  EXPECT_EQ(cell_outcome(r.cells[1]), "ok ✗");
  EXPECT_EQ(r.cells[1].state, "port 60000: -1/-1 (connect)");
  ASSERT_TRUE(r.divergence);
  EXPECT_EQ(r.divergence->position, 0u);
  ASSERT_TRUE(r.divergence->at[0] && r.divergence->at[1]);
  EXPECT_EQ(r.divergence->at[0]->kind, report::EventKind::connect_skip);
  EXPECT_EQ(r.divergence->at[1]->kind, report::EventKind::bucket_state);
  // Nothing else is flagged.
  for (const auto& other : m.rows)
    if (!(other.quiz == "post-3" && other.step == 4)) {
      EXPECT_FALSE(other.differs());
    }
}

TEST(Compare, EventDiffersButOutcomeDoesNot) {
  Report b = report_for("6.12.9");
  // Same result, but the second connect() was first seen passing over another port: the
  // event sequence grew a step, the deciding state (port 60000, -1/-1) stays.
  Step& s = step_of(b, "post-1", 4);
  s.events.insert(s.events.begin(),
                  ev("connect_skip", "__inet_hash_connect", "connect", kBind, {}, 60001));
  const Matrix m = compare::compare(two(report_for("6.1.0-28"), b));

  EXPECT_FALSE(m.agree());
  const Row& r = row_of(m, "post-1", 4);
  EXPECT_FALSE(r.outcome_differs);
  EXPECT_TRUE(r.events_differ);
  EXPECT_FALSE(r.state_differs);
  EXPECT_EQ(r.cells[1].state, "port 60000: -1/-1 (connect)");
  EXPECT_TRUE(r.differs());
  ASSERT_TRUE(r.divergence);
  EXPECT_EQ(r.divergence->position, 0u);
  ASSERT_TRUE(r.divergence->at[0] && r.divergence->at[1]);
  EXPECT_EQ(r.divergence->at[0]->kind, report::EventKind::connect_alloc);
  EXPECT_EQ(r.divergence->at[1]->kind, report::EventKind::connect_skip);
  EXPECT_EQ(r.divergence->at[1]->port, 60001);
  EXPECT_FALSE(r.divergence->previous[0] || r.divergence->previous[1]);
  EXPECT_FALSE(r.cells[0].differs);
  EXPECT_TRUE(r.cells[1].differs);
  EXPECT_EQ(m.differing_rows(), 1u);
}

TEST(Compare, Bhash2EventsOnlyComparedBetweenKernelsThatHaveBhash2) {
  // 5.10 has no bhash2: its lack of bucket2_* events is not a behaviour difference.
  auto with_bhash2 = [](Report r) {
    for (auto& q : r.quizzes)
      for (auto& s : q.steps)
        if (!s.events.empty() && s.events.back().kind == report::EventKind::bucket_create)
          s.events.push_back(ev("bucket2_create", "inet_bind2_bucket_create", "", {}, {}));
    return r;
  };
  const Matrix m = compare::compare(two(report_for("5.10.0-32"), with_bhash2(report_for("6.1.0-28"))));
  EXPECT_FALSE(m.columns[0].bhash2);
  EXPECT_TRUE(m.columns[1].bhash2);
  EXPECT_TRUE(m.agree());

  // Between two bhash2 kernels a missing bucket2 event is a difference.
  Report b = with_bhash2(report_for("6.12.9"));
  step_of(b, "post-3", 2).events.pop_back();
  const Matrix m2 = compare::compare(two(with_bhash2(report_for("6.1.0-28")), b));
  const Row& r = row_of(m2, "post-3", 2);
  EXPECT_TRUE(r.events_differ);
  ASSERT_TRUE(r.divergence);
  EXPECT_EQ(r.divergence->position, 2u);
  EXPECT_EQ(r.divergence->at[0]->kind, report::EventKind::bucket2_create);
  EXPECT_FALSE(r.divergence->at[1].has_value());
  EXPECT_FALSE(r.state_differs);  // the port's state is the bhash bucket's: 0/0 on both
}

// 7.2 calls inet_bind2_bucket_destroy() on close where 6.1 and 6.12 inline it into
// __inet_put_port (reported at inet_put_port): the same destruction, taken at another place.
TEST(Compare, CreationAndDestructionAreComparedWithoutTheirPlace) {
  auto closing = [](const char* release, const char* where1, const char* where2) {
    Report r = report_for(release);
    Step& s = step_of(r, "post-3", 2);
    s.events.push_back(ev("bucket_destroy", where1, "release", kBind, {}));
    s.events.push_back(ev("bucket2_destroy", where2, "release", {}, {}));
    return r;
  };
  EXPECT_TRUE(compare::compare(two(closing("6.1.0-28", "inet_put_port", "inet_put_port"),
                                   closing("6.12.9", "inet_bind_bucket_destroy", "inet_bind2_bucket_destroy")))
                  .agree());
  // a state change is still compared with its function
  Report a = report_for("6.1.0-28"), b = report_for("6.12.9");
  step_of(a, "post-3", 2).events.push_back(ev("bucket_state", "inet_put_port", "release", kBind, kConnect));
  step_of(b, "post-3", 2).events.push_back(ev("bucket_state", "inet_csk_update_fastreuse", "release", kBind, kConnect));
  EXPECT_TRUE(row_of(compare::compare(two(std::move(a), std::move(b))), "post-3", 2).events_differ);
}

TEST(Compare, ReturnValuesAreNotCompared) {
  // Kernels ≤ 6.0 return 1 from inet_csk_get_port() on failure, later ones -EADDRINUSE.
  Report a = report_for("5.10.0-32"), b = report_for("6.1.0-28");
  step_of(a, "post-3", 2).events[0].result = 1;
  step_of(b, "post-3", 2).events[0].result = -98;
  EXPECT_TRUE(compare::compare(two(a, b)).agree());
}

TEST(Compare, FirstDivergenceWithThreeColumnsFlagsTheOddOneOut) {
  Report odd = report_for("7.2.13");
  step_of(odd, "post-2", 2).events[1].after = BucketState{-1, 0};
  std::vector<LabelledReport> in;
  in.push_back({"5.10", "", report_for("5.10.0-32")});
  in.push_back({"7.2", "", odd});
  in.push_back({"6.1", "", report_for("6.1.0-28")});
  const Matrix m = compare::compare(in);
  const Row& r = row_of(m, "post-2", 2);
  EXPECT_TRUE(r.events_differ);
  EXPECT_FALSE(r.cells[0].differs);
  EXPECT_TRUE(r.cells[1].differs);
  EXPECT_FALSE(r.cells[2].differs);
  EXPECT_EQ(r.cells[1].state, "port 60000: -1/0 (bind)");
  ASSERT_TRUE(r.divergence);
  EXPECT_EQ(r.divergence->position, 1u);
}

TEST(Compare, UntracedColumnComparesOutcomesOnly) {
  const Matrix m = compare::compare(two(report_for("6.18.0", false), report_for("6.1.0-28")));
  EXPECT_FALSE(m.columns[0].traced);
  EXPECT_TRUE(m.columns[1].traced);
  EXPECT_TRUE(m.agree());
  EXPECT_EQ(row_of(m, "post-3", 2).cells[0].state, "untraced");
  EXPECT_FALSE(row_of(m, "post-3", 2).divergence.has_value());
  // Only the traced kernel produced transitions, so one diagram per quiz, for column 1.
  for (const auto& d : m.diagrams) EXPECT_EQ(d.columns, (std::vector<std::size_t>{1}));
}

TEST(Compare, MissingQuizIsListedAndTheRestCompared) {
  Report b = report_for("6.12.9");
  b.quizzes.erase(b.quizzes.begin() + 1);  // no post-2
  Report a = report_for("6.1.0-28");
  a.quizzes.push_back(quiz_connect_twice("local-only"));
  const Matrix m = compare::compare(two(a, b));
  EXPECT_EQ(m.quizzes, (std::vector<std::string>{"post-1", "post-3"}));
  ASSERT_EQ(m.missing.size(), 1u);
  EXPECT_EQ(m.missing[0].column, 1u);
  EXPECT_EQ(m.missing[0].quizzes, (std::vector<std::string>{"post-2", "local-only"}));
  EXPECT_TRUE(m.agree());
  for (const auto& r : m.rows) EXPECT_NE(r.quiz, "post-2");
}

TEST(Compare, NoQuizInCommonIsRefusedNamingBothFiles) {
  Report b = report_for("6.12.9");
  for (auto& q : b.quizzes) q.name = "other-" + q.name;
  try {
    compare::compare(two(report_for("6.1.0-28"), b));
    FAIL() << "expected CompareError";
  } catch (const CompareError& e) {
    EXPECT_STREQ(e.what(),
                 "no quiz in common between a.json (post-1, post-2, post-3) and b.json "
                 "(other-post-1, other-post-2, other-post-3)");
  }
}

TEST(Compare, StepAbsentFromOneReportDiffers) {
  Report b = report_for("6.12.9");
  b.quizzes[0].steps.pop_back();  // post-1 step 4 never ran there
  const Matrix m = compare::compare(two(report_for("6.1.0-28"), b));
  const Row& r = row_of(m, "post-1", 4);
  EXPECT_FALSE(r.cells[1].present);
  EXPECT_TRUE(r.outcome_differs);
  EXPECT_EQ(cell_outcome(r.cells[1]), "—");
}

TEST(Compare, QuizThatCouldNotRunGetsAQuizLevelRow) {
  Report b = report_for("6.12.9");
  b.quizzes[2].status = report::QuizStatus::error;
  b.quizzes[2].error = "unshare(CLONE_NEWNET): EPERM";
  b.quizzes[2].steps.clear();
  const Matrix m = compare::compare(two(report_for("6.1.0-28"), b));
  const Row& r = row_of(m, "post-3", -1);
  EXPECT_TRUE(r.outcome_differs);
  EXPECT_EQ(r.cells[1].outcome, "error");
  EXPECT_EQ(r.cells[1].actual, "unshare(CLONE_NEWNET): EPERM");
}

TEST(Compare, NeedsTwoInputs) {
  std::vector<LabelledReport> one;
  one.push_back({"x", "", report_for("6.1")});
  EXPECT_THROW(compare::compare(one), CompareError);
}

TEST(Compare, LabelsFallBackToFileNamesWhenReleasesCollide) {
  std::vector<LabelledReport> in;
  in.push_back({"", "/tmp/prod/run.json", report_for("6.1.0-28")});
  in.push_back({"", "/tmp/lab/run.json", report_for("6.1.0-28")});
  in.push_back({"", "/tmp/lab/new.json", report_for("6.12.9")});
  assign_labels(in);
  EXPECT_EQ(in[0].label, "run.json (6.1.0-28)");
  EXPECT_EQ(in[1].label, "run.json (6.1.0-28) #2");
  EXPECT_EQ(in[2].label, "6.12.9");
}

TEST(Compare, TransitionsFollowTheBucket) {
  const auto q = quiz_reuse_and_close();
  std::vector<Transition> all;
  for (const auto& s : q.steps) {
    auto t = transitions_of(s);
    all.insert(all.end(), t.begin(), t.end());
  }
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].from, "absent");
  EXPECT_EQ(all[0].to, "0");
  EXPECT_EQ(all[1].from, "0");
  EXPECT_EQ(all[1].to, "+1");
  EXPECT_EQ(all[1].source, "s1.bind(('127.0.0.1', 60000))");
  EXPECT_EQ(all[2].from, "+1");
  EXPECT_EQ(all[2].to, "absent");
  EXPECT_EQ(node_name(BucketState{-1, 0}), "-1/0");
  EXPECT_EQ(shorten("s2.connect(('127.9.9.9', 1234))", 12), "s2.connect(…");
  EXPECT_EQ(shorten("→→→→", 4), "→→→→");
  EXPECT_EQ(shorten("→→→→→", 4), "→→→…");
}

TEST(Compare, DiagramsSplitByDistinctTransitionSequence) {
  Report b = report_for("6.18.1");
  step_of(b, "post-2", 2).events[1].after = BucketState{-1, 0};
  const Matrix m = compare::compare(two(report_for("6.1.0-28"), b));
  std::vector<const Diagram*> post2, post3;
  for (const auto& d : m.diagrams) {
    if (d.quiz == "post-2") post2.push_back(&d);
    if (d.quiz == "post-3") post3.push_back(&d);
  }
  ASSERT_EQ(post2.size(), 2u);
  EXPECT_EQ(post2[0]->columns, (std::vector<std::size_t>{0}));
  EXPECT_EQ(post2[1]->columns, (std::vector<std::size_t>{1}));
  EXPECT_EQ(post2[1]->transitions[1].to, "-1/0");
  ASSERT_EQ(post3.size(), 1u);
  EXPECT_EQ(post3[0]->columns, (std::vector<std::size_t>{0, 1}));
}

// --- files -------------------------------------------------------------------------------

TEST(CompareLoad, ReadsASavedReport) {
  TempDir dir;
  const auto p = dir.write("a.json", nlohmann::json(report_for("6.1.0-28")).dump());
  const LabelledReport r = load_report(p);
  EXPECT_EQ(r.file, p);
  EXPECT_EQ(r.report.kernel.release, "6.1.0-28");
  EXPECT_EQ(r.report.quizzes.size(), 3u);
}

TEST(CompareLoad, RefusesAnotherSchemaMajor) {
  TempDir dir;
  auto j = nlohmann::json(report_for("6.1.0-28"));
  j["schema"] = "tristate.report/3";
  const auto p = dir.write("A.json", j.dump());
  try {
    load_report(p);
    FAIL() << "expected CompareError";
  } catch (const CompareError& e) {
    EXPECT_EQ(std::string(e.what()),
              p + ": schema tristate.report/3, this tristate reads tristate.report/1 and "
                  "tristate.report/2");
  }
}

TEST(CompareLoad, CorruptJsonNamesFileLineAndColumn) {
  TempDir dir;
  const std::string text = nlohmann::json(report_for("6.1.0-28")).dump();
  const auto p = dir.write("cut.json", text.substr(0, 120));
  try {
    load_report(p);
    FAIL() << "expected CompareError";
  } catch (const CompareError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(p + ":1:121: not valid JSON: ", 0), 0u) << msg;  // where the text ran out
  }
}

TEST(CompareLoad, MissingFile) {
  try {
    load_report("/nonexistent/dir/none.json");
    FAIL() << "expected CompareError";
  } catch (const CompareError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/dir/none.json: no such file");
  }
}

TEST(Compare, RefusalWithoutStateIsDecidedByTheLiveBucket) {
  // Real tracers report a refused connect() as connect_alloc, port 0, result -99 (seen on
  // 5.10 and 7.2 guests): the state that decided it is the bucket alive on the only port.
  BucketTracker t;
  EXPECT_EQ(t.step_state({ev("bucket_create", "inet_bind_bucket_create", "bind", {}, kBind)}),
            "port 60000: 0/0 (bind)");
  Event refused = ev("connect_alloc", "__inet_hash_connect", "connect", {}, {}, 0);
  refused.result = -99;
  EXPECT_EQ(t.step_state({refused}), "port 60000: 0/0 (connect, refused)");
  // A bind() refused on a port asked for by number: that port's bucket.
  Event bind = ev("bind_alloc", "inet_csk_get_port", "bind", {}, {}, 0);
  bind.requested_port = 60000;
  bind.result = 1;  // kernels <= 6.0
  EXPECT_EQ(t.step_state({bind}), "port 60000: 0/0 (bind, refused)");
  EXPECT_EQ(t.step_state({ev("bucket_destroy", "inet_bind_bucket_destroy", "release", kBind, {})}),
            "port 60000: absent (release)");
  EXPECT_EQ(t.step_state({refused}), "connect_alloc (connect, refused)");  // nothing alive
  EXPECT_EQ(t.step_state({}), "no bucket event");
  EXPECT_EQ(t.step_state({ev("bucket2_create", "inet_bind2_bucket_create", "bind", {}, kBind)}),
            "no bucket event");
}
