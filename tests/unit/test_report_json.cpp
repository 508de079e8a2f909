#include <gtest/gtest.h>

#include "report/report_json.hpp"

using namespace tristate::report;

namespace {

Report sample() {
  Report r;
  r.tool_version = "0.1.0";
  r.kernel.release = "6.1.0-28-cloud-amd64";
  r.kernel.origin = "series";
  r.kernel.series = "6.1";
  r.trace.mode = TraceMode::fentry;
  r.trace.probes.push_back({"__inet_hash_connect", ProbeMechanism::fexit, true, ""});
  Quiz q;
  q.name = "post-3";
  q.status = QuizStatus::mismatch;
  Step s;
  s.index = 5;
  s.source = "s2.connect(('127.9.9.9', 1234))";
  s.calls.push_back({s.source, false, "", 99, "EADDRNOTAVAIL"});
  s.matched = false;
  Event e;
  e.kind = EventKind::bucket_create;
  e.function = "inet_bind_bucket_create";
  e.port = 60000;
  e.after = BucketState{-1, -1};
  e.result = 0;
  s.events.push_back(e);
  q.steps.push_back(s);
  r.quizzes.push_back(q);
  return r;
}

}  // namespace

TEST(ReportJson, RoundTripKeepsEverything) {
  const Report r = sample();
  const std::string text = nlohmann::json(r).dump();
  const Report back = parse_report(text, "mem.json");
  EXPECT_EQ(nlohmann::json(back).dump(), text);
  ASSERT_EQ(back.quizzes.at(0).steps.at(0).events.size(), 1u);
  EXPECT_EQ(back.quizzes[0].steps[0].events[0].after, (BucketState{-1, -1}));
  EXPECT_FALSE(back.quizzes[0].steps[0].events[0].before.has_value());
  EXPECT_EQ(back.mismatches(), 1);
}

TEST(ReportJson, RejectsOtherSchemaMajor) {
  auto j = nlohmann::json(sample());
  j["schema"] = "tristate.report/3";
  try {
    parse_report(j.dump(), "a.json");
    FAIL() << "accepted schema 3";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "a.json: schema tristate.report/3, this tristate reads tristate.report/1 and "
                  "tristate.report/2"),
              std::string::npos)
        << e.what();
  }
}

// Bucket ids are hashed addresses: most are above 2^53, where a JSON number loses digits in
// jq 1.6 and JavaScript. They are written as decimal strings; documents of tristate.report/1
// (integers) are still read, and anything else is refused naming the field.
TEST(ReportJson, BucketIdsAreStringsAndOldIntegerIdsAreRead) {
  Report r = sample();
  const std::uint64_t big = 18446744073709551557ull;  // > 2^53: a double would round it
  r.quizzes[0].steps[0].events[0].bucket = big;
  StepState st;
  st.taken = true;
  SockState sock;
  sock.name = "s1";
  sock.port = 60000;
  sock.bucket = (1ull << 53) + 1;
  st.sockets.push_back(sock);
  r.quizzes[0].steps[0].state = st;
  auto j = nlohmann::json(r);
  EXPECT_EQ(j["schema"], "tristate.report/2");
  const auto& ev = j["quizzes"][0]["steps"][0]["events"][0];
  ASSERT_TRUE(ev["bucket"].is_string()) << ev.dump();
  EXPECT_EQ(ev["bucket"], "18446744073709551557");
  EXPECT_EQ(j["quizzes"][0]["steps"][0]["state"]["sockets"][0]["bucket"], "9007199254740993");
  Report back = parse_report(j.dump(), "new.json");
  EXPECT_EQ(back.quizzes[0].steps[0].events[0].bucket, big);
  EXPECT_EQ(back.quizzes[0].steps[0].state->sockets[0].bucket, (1ull << 53) + 1);

  // a 1.1 document: integers
  auto old = j;
  old["schema"] = "tristate.report/1.1";
  old["quizzes"][0]["steps"][0]["events"][0]["bucket"] = big;
  old["quizzes"][0]["steps"][0]["state"]["sockets"][0]["bucket"] = (1ull << 53) + 1;
  back = parse_report(old.dump(), "old.json");
  EXPECT_EQ(back.quizzes[0].steps[0].events[0].bucket, big);
  EXPECT_EQ(back.quizzes[0].steps[0].state->sockets[0].bucket, (1ull << 53) + 1);

  for (const nlohmann::json& bad : {nlohmann::json("18446744073709551616"), nlohmann::json("12a"),
                                   nlohmann::json(""), nlohmann::json(-5), nlohmann::json(1.5)}) {
    auto b = j;
    b["quizzes"][0]["steps"][0]["events"][0]["bucket"] = bad;
    try {
      parse_report(b.dump(), "bad.json");
      FAIL() << "accepted bucket " << bad.dump();
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("bad.json: /quizzes/0/steps/0/events/0/bucket: expected a 64-bit id"),
                std::string::npos)
          << e.what();
    }
    auto k = j;
    k["quizzes"][0]["steps"][0]["state"]["sockets"][0]["bucket"] = bad;
    EXPECT_THROW(parse_report(k.dump(), "bad.json"), std::runtime_error) << bad.dump();
  }
}

TEST(ReportJson, CorruptJsonNamesFileLineAndColumn) {
  try {
    parse_report("{\"schema\": \"tristate.report/1\", ", "b.json");
    FAIL();
  } catch (const std::runtime_error& e) {
    // 32 bytes: the text ran out at column 33, and the message says it was cut short
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("b.json:1:33: not valid JSON: ", 0), 0u) << msg;
    EXPECT_NE(msg.find("cut short"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("json.exception"), std::string::npos) << msg;
  }
}

TEST(ReportJson, MissingFieldIsAnError) {
  EXPECT_THROW(parse_report(R"({"schema":"tristate.report/1","kernel":{}})", "c.json"),
               std::runtime_error);
}

// Event names are report::Names (fixed capacity, see name.hpp): a document naming a function
// longer than that is refused with the file and the field named, not cut short or crashed on.
TEST(ReportJson, OverlongEventNameIsAnErrorNamingTheFile) {
  auto j = nlohmann::json(sample());
  const std::string longest(Name::kCapacity, 'f');
  j["quizzes"][0]["steps"][0]["events"][0]["function"] = longest;
  EXPECT_EQ(parse_report(j.dump(), "ok.json").quizzes[0].steps[0].events[0].function, longest);
  j["quizzes"][0]["steps"][0]["events"][0]["function"] = longest + "f";
  try {
    parse_report(j.dump(), "d.json");
    FAIL() << "accepted a " << longest.size() + 1 << "-character name";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "d.json: /quizzes/0/steps/0/events/0/function: longer than 47 characters");
  }
}

TEST(ReportName, ComparesAndCopiesAsItsText) {
  Name a = "bucket_state", b = std::string("bucket_state"), c = std::string_view("bucket");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, "bucket_state");
  EXPECT_EQ(a, std::string("bucket_state"));
  EXPECT_NE(a, c);
  EXPECT_LT(c, a);
  EXPECT_TRUE(a.starts_with("bucket_"));
  c = a;  // a shorter name over a longer one and back leaves nothing behind
  EXPECT_EQ(c.view(), "bucket_state");
  c = "x";
  EXPECT_EQ(c.view(), "x");
  EXPECT_EQ(std::string(c.c_str()), "x");
  EXPECT_TRUE(Name().empty());
}
