// JSON handed to tristate by users: FILE:LINE:COLUMN in every parse error, and nesting
// refused before nlohmann allocates a value per bracket.
#include <gtest/gtest.h>

#include <string>

#include "report/json_text.hpp"
#include "report/report_json.hpp"

using namespace tristate::report;

TEST(JsonText, PositionCountsLinesAndColumns) {
  const std::string t = "{\n  \"a\": 1,\n  \"b\"";
  EXPECT_EQ(position_of(t, 0).line, 1u);
  EXPECT_EQ(position_of(t, 0).column, 1u);
  EXPECT_EQ(position_of(t, 2).line, 2u);   // the first byte of line 2
  EXPECT_EQ(position_of(t, 2).column, 1u);
  EXPECT_EQ(position_of(t, t.size()).line, 3u);
  EXPECT_EQ(position_of(t, t.size()).column, 6u);  // one past "  \"b\""
}

TEST(JsonText, SyntaxErrorNamesLineAndColumnWithoutLibraryNoise) {
  auto r = parse_json_text("{\n  \"a\": 1,\n  \"b\": tru\n}", "t.json");
  ASSERT_FALSE(r);
  const std::string msg = r.error().message;
  EXPECT_EQ(msg.rfind("t.json:3:", 0), 0u) << msg;
  EXPECT_NE(msg.find("not valid JSON: "), std::string::npos) << msg;
  EXPECT_EQ(msg.find("[json.exception"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("cut short"), std::string::npos) << msg;  // the text goes on after it
}

TEST(JsonText, TruncatedTextSaysSo) {
  auto r = parse_json_text("{\"a\": [1, 2", "cut.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("cut.json:1:12: not valid JSON: ", 0), 0u) << r.error().message;
  EXPECT_NE(r.error().message.find("cut short"), std::string::npos) << r.error().message;
}

TEST(JsonText, LongTokenIsNotEchoedWhole) {
  auto r = parse_json_text("{\"a\": \"" + std::string(100000, 'x'), "s.json");
  ASSERT_FALSE(r);
  EXPECT_LT(r.error().message.size(), 300u) << r.error().message.substr(0, 300);
}

TEST(JsonText, NestingBeyondTheLimitIsRefusedWhereItGoesTooDeep) {
  // Without the bound this input alone took ~75 bytes of memory per '[' inside nlohmann.
  const std::string bomb = "{\"schema\": \"tristate.report/2\",\n \"x\": " + std::string(1000000, '[');
  auto r = parse_json_text(bomb, "bomb.json");
  ASSERT_FALSE(r);
  // the '{' is level 1, so the 64th '[' is the 65th level: column 7 + 63 on line 2
  EXPECT_EQ(r.error().message, "bomb.json:2:70: JSON nested more than 64 levels deep, refused before parsing");
}

TEST(JsonText, BracketsInsideStringsAreText) {
  const std::string s = "{\"a\": \"" + std::string(1000, '[') + "\\\"" + std::string(1000, '{') + "\"}";
  auto r = parse_json_text(s, "s.json");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value()["a"].get<std::string>().size(), 2001u);
}

TEST(JsonText, NestingAtTheLimitParses) {
  const std::string s = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(parse_json_text(s, "ok.json"));
  const std::string t = std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  EXPECT_FALSE(parse_json_text(t, "deep.json"));
}

TEST(JsonText, ReportLoaderUsesTheBound) {
  try {
    parse_report(std::string(200000, '['), "r.json");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("r.json:1:65: JSON nested more than 64", 0), 0u) << e.what();
  }
}
