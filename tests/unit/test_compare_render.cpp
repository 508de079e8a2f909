#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

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
  // a differing cell in bold red (fmt writes bold and red as two SGR sequences)
  EXPECT_NE(t.find("\033[1m\033[31m*ok ✗\033[0m"), std::string::npos);
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

// Five columns with long labels: the natural table is far wider than 60 columns.
Matrix wide() {
  std::vector<LabelledReport> in;
  for (const char* r : {"6.1.0-28-cloud-amd64", "6.12.9+deb12-cloud-amd64", "6.16.12+deb13-cloud-amd64",
                        "6.18.1+deb13-cloud-amd64", "7.2.13-cloud-amd64"}) {
    Report x = report_for(r);
    if (std::string(r).rfind("6.18", 0) == 0 || std::string(r).rfind("7.2", 0) == 0)
      for (auto& q : x.quizzes)
        if (q.name == "post-3") {
          auto& st = q.steps[3];
          st.calls[0] = {st.source, true, "None", 0, ""};
          st.actual = "";
          st.matched = false;
          st.events = {ev("bucket_state", "__inet_hash_connect", "connect", kBind, kConnect)};
        }
    in.push_back({"", std::string(r) + ".json", x});
  }
  assign_labels(in);
  return compare::compare(in);
}

std::size_t widest_line(const std::string& t) {
  std::istringstream in(t);
  std::size_t w = 0;
  for (std::string line; std::getline(in, line);) w = std::max(w, render::display_width(line));
  return w;
}

TEST(CompareText, WrapsToTheGivenWidthAndNotWithout) {
  const Matrix m = wide();
  const std::string unlimited = render::render_matrix_text(m, render::MatrixTextOptions{});
  ASSERT_GT(widest_line(unlimited), 120u) << "the fixture must be wider than the terminal";
  for (std::size_t width : {60u, 80u, 100u}) {
    render::MatrixTextOptions opt;
    opt.width = width;
    const std::string t = render::render_matrix_text(m, opt);
    EXPECT_LE(widest_line(t), width) << t;
    // nothing is lost: every label, the differing outcome and the deciding state are there
    // (a long one may be split over lines, so look for its words)
    for (const auto& c : m.columns) EXPECT_NE(t.find(c.label.substr(0, 10)), std::string::npos) << c.label;
    EXPECT_NE(t.find("EADDRNOTAVAIL"), std::string::npos);
    EXPECT_NE(t.find("skipped)"), std::string::npos);
    EXPECT_NE(t.find("first divergence at event #1"), std::string::npos);
    // the key columns are repeated above each band of kernel columns
    EXPECT_GE(count(t, "statement"), 2u) << t;
  }
  // colour codes take no columns
  render::MatrixTextOptions coloured;
  coloured.width = 70;
  coloured.color = true;
  EXPECT_LE(widest_line(render::render_matrix_text(m, coloured)), 70u);
}

TEST(CompareText, WrapWordsCutsAtSpacesAndSplitsLongWords) {
  EXPECT_EQ(render::wrap_words("port 60000: 0/0 (connect, skipped)", 12),
            (std::vector<std::string>{"port 60000:", "0/0", "(connect,", "skipped)"}));
  EXPECT_EQ(render::wrap_words("abcdefghij", 4), (std::vector<std::string>{"abcd", "efgh", "ij"}));
  EXPECT_EQ(render::wrap_words("≠≠≠≠≠ x", 3), (std::vector<std::string>{"≠≠≠", "≠≠", "x"}));
  EXPECT_EQ(render::wrap_words("short", 0), (std::vector<std::string>{"short"}));
  EXPECT_EQ(render::display_width("\033[1;31m≠\033[0m ab"), 4u);
}

TEST(CompareText, OnlyDifferencesKeepsTheDifferingRows) {
  render::MatrixTextOptions opt;
  opt.rows = render::RowFilter::differ;
  const std::string t = render::render_matrix_text(differing(), opt);
  EXPECT_NE(t.find("(1 shown: only those that differ)"), std::string::npos) << t;
  EXPECT_NE(t.find("s2.connect(('127.9.9.9', 1234))"), std::string::npos);
  // post-1's connect moved a bucket (a row that matters) but agrees: not shown
  EXPECT_EQ(t.find("s1.connect(('127.1.1.1', 1234))"), std::string::npos) << t;
  const std::string all = render::render_matrix_text(differing(), false);
  EXPECT_NE(all.find("s1.connect(('127.1.1.1', 1234))"), std::string::npos);
  const std::string none = render::render_matrix_text(agreeing(), opt);
  EXPECT_NE(none.find("(no step differs)"), std::string::npos) << none;
  const std::string md = render::render_markdown(differing(), render::RowFilter::differ);
  EXPECT_EQ(count(md, "| post-"), 1u) << md;
  const std::string h = render::render_html(differing(), render::RowFilter::differ);
  EXPECT_EQ(count(h, "<tr id=\"row-"), 1u);
}

TEST(CompareHtml, SummaryLinksEachDifferingRowAndOutputIsVisible) {
  const std::string h = render::render_html(wide());
  // one link from the summary to the row and one to its section, per differing row
  EXPECT_NE(h.find("<nav class=\"differing\">"), std::string::npos);
  EXPECT_EQ(count(h, "<li><a href=\"#row-post-3-4\">"), 1u) << h;
  EXPECT_NE(h.find("<tr id=\"row-post-3-4\" class=\"differs\">"), std::string::npos);
  EXPECT_NE(h.find("<section class=\"difference\" id=\"diff-post-3-4\">"), std::string::npos);
  // every in-page link has its target
  const std::regex href("href=\"#([^\"]+)\"");
  std::size_t links = 0;
  for (auto it = std::sregex_iterator(h.begin(), h.end(), href); it != std::sregex_iterator(); ++it, ++links)
    EXPECT_NE(h.find("id=\"" + (*it)[1].str() + "\""), std::string::npos) << (*it)[1];
  EXPECT_GE(links, 3u);
  // the step's output, in the cell itself
  EXPECT_NE(h.find("<span class=\"actual\">OSError: [Errno 99] EADDRNOTAVAIL</span>"), std::string::npos);
}

TEST(CompareSvg, PictureGrowsForLongTitlesAndLabels) {
  std::vector<Transition> t = {{"absent", "0", 1, std::string(200, 'x'), 60000},
                               {"+1", "absent", 2, "s.close()", 60000}};
  const std::string title(120, 'T');
  const std::string svg = render::render_state_svg(t, "d0", title);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, std::regex("width=\"([0-9.]+)\"")));
  EXPECT_GE(std::stod(m[1]), 120 * 8.0) << "title of 120 characters at 13px bold";
  // every text's x is inside the picture
  const std::regex x("<text x=\"(-?[0-9.]+)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), x); it != std::sregex_iterator(); ++it)
    EXPECT_GE(std::stod((*it)[1]), 0.0) << svg;
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
  EXPECT_EQ(count(h, "<section class=\"difference\" id=\"diff-post-3-4\">"), 1u);
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
  EXPECT_EQ(j["schema"], "tristate.matrix/2");
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
