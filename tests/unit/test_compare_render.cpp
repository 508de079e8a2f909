#include <gtest/gtest.h>

#include <regex>

#include "compare/matrix.hpp"
#include "compare/matrix_json.hpp"
#include "render/render_html.hpp"
#include "render/render_markdown.hpp"
#include "render/render_matrix_text.hpp"
#include "render/render_svg.hpp"
#include "test_compare_fixtures.hpp"

using namespace tristate;
using namespace tristate::compare;
using namespace tristate::compare_fixtures;

namespace {

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// 6.12 says EADDRNOTAVAIL on post-3's connect(); the "6.18" column lets it through.
Matrix differing() {
  Report b = report_for("6.18.1");
  for (auto& q : b.quizzes)
    if (q.name == "post-3") {
      auto& s = q.steps[3];
      s.calls[0] = {s.source, true, "None", 0, ""};
      s.matched = false;
      s.events = {ev("bucket_state", "__inet_hash_connect", "connect", kBind, kConnect)};
    }
  std::vector<LabelledReport> in;
  in.push_back({"", "a.json", report_for("6.12.9")});
  in.push_back({"", "b.json", b});
  assign_labels(in);
  return compare::compare(in);
}

Matrix agreeing() {
  std::vector<LabelledReport> in;
  in.push_back({"", "a.json", report_for("6.1.0-28")});
  in.push_back({"", "b.json", report_for("6.12.9")});
  assign_labels(in);
  return compare::compare(in);
}

}  // namespace

TEST(CompareText, TableShowsStepsThatMatterAndTheDivergence) {
  const std::string t = render::render_matrix_text(differing(), false);
  EXPECT_EQ(t.find('\033'), std::string::npos) << "no colour unless asked";
  EXPECT_NE(t.find("1 step differs"), std::string::npos);
  EXPECT_NE(t.find("6.12.9"), std::string::npos);
  EXPECT_NE(t.find("6.18.1"), std::string::npos);
  EXPECT_NE(t.find("*ok ✗"), std::string::npos);
  EXPECT_NE(t.find("port 60000: 0/0 (connect, skipped)"), std::string::npos);
  EXPECT_NE(t.find("first divergence at event #1"), std::string::npos);
  EXPECT_NE(t.find("connect_skip :60000 0/0→·"), std::string::npos);
  EXPECT_NE(t.find("bucket_state :60000 0/0→-1/-1"), std::string::npos);
  // Steps that neither failed nor touched a bucket are left out of the table.
  EXPECT_EQ(t.find("s2 = socket.socket()"), std::string::npos);
  // Both columns of the divergence line start at the same offset on their lines.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(t, m, std::regex("\n( *≠ +#1 +)connect_skip[^\n]*?  +(bucket_state)")));
}

TEST(CompareText, ColourOnlyWhenAsked) {
  const std::string t = render::render_matrix_text(differing(), true);
  EXPECT_NE(t.find("\033[1;31m*ok ✗\033[0m"), std::string::npos);
  const std::string agree = render::render_matrix_text(agreeing(), false);
  EXPECT_NE(agree.find("all agree"), std::string::npos);
  EXPECT_EQ(agree.find("Differences"), std::string::npos);
}

TEST(CompareText, ColumnsStayAlignedWithMultibyteCells) {
  // "≠", "✗" and "→" are several bytes but one column: the cell under a header must start at
  // the header's column, counted in code points.
  const std::string t = render::render_matrix_text(differing(), false);
  std::istringstream in(t);
  std::string line, head, row;
  while (std::getline(in, line)) {
    if (head.empty() && std::regex_search(line, std::regex("^ +quiz +step +statement"))) head = line;
    if (line.find("*ok ✗") != std::string::npos) row = line;
  }
  ASSERT_FALSE(head.empty()) << t;
  ASSERT_FALSE(row.empty()) << t;
  EXPECT_EQ(row.rfind("≠", 0), 0u);
  EXPECT_EQ(render::display_width(row.substr(0, row.find("*ok ✗"))),
            render::display_width(head.substr(0, head.find("6.18.1"))))
      << head << "\n" << row;
}

TEST(CompareMarkdown, PasteableTableDifferencesAndKernelList) {
  const std::string md = render::render_markdown(differing());
  EXPECT_NE(md.find("## Kernels"), std::string::npos);
  EXPECT_NE(md.find("| 6.12.9 | `6.12.9` | guest | fentry | a.json |"), std::string::npos);
  EXPECT_NE(md.find("| quiz | step | statement | 6.12.9 | 6.18.1 |"), std::string::npos);
  EXPECT_NE(md.find("| post-3 ≠ | 4 | `s2.connect(('127.9.9.9', 1234))` | EADDRNOTAVAIL<br>port "
                    "60000: 0/0 (connect, skipped) | **ok ✗**<br>port 60000: -1/-1 (connect) |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("## Differences"), std::string::npos);
  EXPECT_NE(md.find("### post-3 step 4 (line 18): `s2.connect(('127.9.9.9', 1234))`"),
            std::string::npos);
  EXPECT_NE(md.find("First divergence at event #1"), std::string::npos);
  // Every table line has the same number of unescaped pipes as its header.
  std::istringstream lines(md);
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind("| post-", 0) == 0) {
      std::string unescaped = std::regex_replace(line, std::regex("\\\\\\|"), "");
      EXPECT_EQ(count(unescaped, "|"), 6u) << line;
    }
}

TEST(CompareHtml, SelfContainedPageWithTableAndDiagrams) {
  const std::string h = render::render_html(differing());
  EXPECT_EQ(h.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(h.find("<table class=\"matrix\""), std::string::npos);
  EXPECT_EQ(count(h, "<script"), 0u);
  EXPECT_EQ(count(h, " src="), 0u);
  EXPECT_EQ(count(h, "<link"), 0u);
  EXPECT_EQ(count(h, "url(http"), 0u);
  EXPECT_NE(h.find("<td class=\"diff mismatch\""), std::string::npos);
  // post-1 and post-3's bind agree; post-3 moved differently on 6.18.1 (its connect turned
  // the 0 bucket into -1), so post-3 gets two diagrams: 3 quizzes → 4 SVGs.
  EXPECT_EQ(count(h, "<svg "), 4u);
  EXPECT_NE(h.find("post-3 — 6.18.1"), std::string::npos);
  EXPECT_NE(h.find("post-3 — 6.12.9"), std::string::npos);
  EXPECT_EQ(count(h, "<section class=\"difference\">"), 1u);
  // Marker ids are unique across the page.
  std::set<std::string> ids;
  const std::regex id("id=\"(d[0-9]+-arrow)\"");
  for (auto it = std::sregex_iterator(h.begin(), h.end(), id); it != std::sregex_iterator(); ++it)
    EXPECT_TRUE(ids.insert((*it)[1]).second) << (*it)[1];
  EXPECT_EQ(ids.size(), 4u);
}

TEST(CompareHtml, EscapesWhatTheReportsContain) {
  Report a = report_for("6.1<script>");
  a.quizzes[2].steps[3].source = "s.connect(('<b>&', 1))";
  Report b = a;
  b.kernel.release = "6.2";
  std::vector<LabelledReport> in;
  in.push_back({"", "", a});
  in.push_back({"", "", b});
  assign_labels(in);
  const std::string h = render::render_html(compare::compare(in));
  EXPECT_EQ(count(h, "<script"), 0u);
  EXPECT_NE(h.find("6.1&lt;script&gt;"), std::string::npos);
  EXPECT_NE(h.find("s.connect((&#39;&lt;b&gt;&amp;&#39;, 1))"), std::string::npos);
}

TEST(CompareJson, MatrixShape) {
  const nlohmann::json j = differing();
  EXPECT_EQ(j["schema"], "tristate.matrix/1");
  EXPECT_EQ(j["agree"], false);
  EXPECT_EQ(j["differing_rows"], 1);
  ASSERT_EQ(j["columns"].size(), 2u);
  EXPECT_EQ(j["columns"][1]["label"], "6.18.1");
  EXPECT_EQ(j["columns"][1]["traced"], true);
  EXPECT_EQ(j["quizzes"], nlohmann::json({"post-1", "post-2", "post-3"}));
  EXPECT_EQ(j["rows"].size(), 11u);
  const nlohmann::json* row = nullptr;
  for (const auto& r : j["rows"])
    if (r["quiz"] == "post-3" && r["step"] == 4) row = &r;
  ASSERT_NE(row, nullptr);
  EXPECT_EQ((*row)["differs"], true);
  EXPECT_EQ((*row)["cells"][0]["outcome"], "EADDRNOTAVAIL");
  EXPECT_EQ((*row)["cells"][1]["differs"], true);
  EXPECT_EQ((*row)["divergence"]["position"], 0);
  EXPECT_EQ((*row)["divergence"]["events"][0]["kind"], "connect_skip");
  EXPECT_EQ((*row)["divergence"]["events"][1]["after"]["fastreuse"], -1);
  EXPECT_TRUE((*row)["divergence"]["previous"][0].is_null());
  EXPECT_GE(j["diagrams"].size(), 4u);
  EXPECT_EQ(j["diagrams"][0]["transitions"][0]["from"], "absent");
}
