// Strict loading: every case users hit with a hand-edited or foreign report must be
// refused with the JSON path of the field, never read as something else.
#include <gtest/gtest.h>

#include "report/report_check.hpp"
#include "report/report_json.hpp"

using namespace tristate::report;
using nlohmann::json;

namespace {

json sound() {
  Report r;
  r.kernel.release = "6.1.0-28-cloud-amd64";
  Quiz q;
  q.name = "post-3";
  Step s;
  s.index = 1;
  s.source = "s1.bind(('127.0.0.1', 0))";
  Event e;
  e.kind = EventKind::bucket_create;
  e.function = "inet_bind_bucket_create";
  e.port = 60000;
  e.after = BucketState{0, 0};
  s.events.push_back(e);
  q.steps.push_back(s);
  r.quizzes.push_back(q);
  return json(r);
}

std::string problem(const json& j) { return check_report(j).value_or("(accepted)"); }

}  // namespace

TEST(ReportCheck, SoundDocumentPasses) { EXPECT_EQ(check_report(sound()), std::nullopt); }

TEST(ReportCheck, PortOutOfRangeNamesItsPath) {
  auto j = sound();
  j["quizzes"][0]["steps"][0]["events"][0]["port"] = 99999999;
  EXPECT_EQ(problem(j), "/quizzes/0/steps/0/events/0/port: expected an integer 0..65535, found 99999999");
}

TEST(ReportCheck, FloatWhereAnIntegerBelongs) {
  auto j = sound();
  j["quizzes"][0]["steps"][0]["index"] = 1e30;
  EXPECT_NE(problem(j).find("/quizzes/0/steps/0/index: expected an integer"), std::string::npos);
}

TEST(ReportCheck, UnknownStatusModeWhereOrigin) {
  for (auto [ptr, bad] : {std::pair{"/quizzes/0/status", "great"}, {"/trace/mode", "ebpf"},
                          {"/where", "cloud"}, {"/kernel/origin", "usb"}}) {
    auto j = sound();
    j[json::json_pointer(ptr)] = bad;
    EXPECT_EQ(problem(j).rfind(std::string(ptr) + ": expected one of", 0), 0u) << ptr << ": " << problem(j);
  }
}

// An event kind or path from a newer or foreign tool is refused by name, with the list this
// build knows, before the loader meets it.
TEST(ReportCheck, UnknownEventKindOrPath) {
  auto j = sound();
  j["quizzes"][0]["steps"][0]["events"][0]["kind"] = "bucket3_create";
  EXPECT_EQ(problem(j).rfind("/quizzes/0/steps/0/events/0/kind: expected one of bucket_create, bucket_state,", 0), 0u)
      << problem(j);
  j = sound();
  j["quizzes"][0]["steps"][0]["events"][0]["path"] = "accept";
  EXPECT_EQ(problem(j).rfind("/quizzes/0/steps/0/events/0/path: expected one of", 0), 0u) << problem(j);
  j = sound();
  j["quizzes"][0]["steps"][0]["events"][0]["path"] = "release";
  EXPECT_EQ(check_report(j), std::nullopt);
  EXPECT_EQ(j.get<Report>().quizzes[0].steps[0].events[0].path, OpPath::release);
}

TEST(ReportCheck, WrongTypeNamesTheField) {
  auto j = sound();
  j["quizzes"][0]["name"] = 5;
  EXPECT_EQ(problem(j), "/quizzes/0/name: expected a string, found 5");
  j = sound();
  j["quizzes"][0]["steps"][0]["events"][0].erase("function");
  EXPECT_EQ(problem(j), "/quizzes/0/steps/0/events/0: missing field \"function\"");
}

TEST(ReportCheck, BucketStateOutsideTheKernelsValues) {
  auto j = sound();
  j["quizzes"][0]["steps"][0]["events"][0]["after"]["fastreuse"] = 7;
  EXPECT_NE(problem(j).find("/after/fastreuse: expected an integer -1..2"), std::string::npos);
}

TEST(ReportCheck, NegativeDuration) {
  auto j = sound();
  j["quizzes"][0]["duration_ms"] = -3.5;
  EXPECT_NE(problem(j).find("/quizzes/0/duration_ms: expected a finite number >= 0"), std::string::npos);
}

TEST(ReportCheck, DuplicateQuizNameIsRefusedNotMerged) {
  auto j = sound();
  j["quizzes"].push_back(j["quizzes"][0]);
  EXPECT_NE(problem(j).find("/quizzes/1/name: quiz \"post-3\" appears twice (also /quizzes/0)"),
            std::string::npos);
}

TEST(ReportCheck, NameTooLongForItsField) {
  auto j = sound();
  j["quizzes"][0]["steps"][0]["events"][0]["comm"] = std::string(300, 'c');
  EXPECT_NE(problem(j).find("/comm: longer than"), std::string::npos);
}

TEST(ReportCheck, ALongBadValueIsShortenedInTheMessage) {
  auto j = sound();
  j["quizzes"][0]["status"] = std::string(1 << 20, 'x');
  EXPECT_LT(problem(j).size(), 200u);
}

TEST(ReportCheck, ParseReportPrefixesTheFileAndHandlesHugeNumbers) {
  try {
    parse_report(R"({"schema":"tristate.report/1","kernel":{"release":"x"},"quizzes":[],"d":1e400})", "f.json");
    FAIL() << "accepted 1e400";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("f.json: not valid JSON", 0), 0u) << e.what();
  }
  auto j = sound();
  j["quizzes"][0]["status"] = "great";
  try {
    parse_report(j.dump(), "g.json");
    FAIL() << "accepted status great";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("g.json: /quizzes/0/status", 0), 0u) << e.what();
  }
}
