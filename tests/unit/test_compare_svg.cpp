#include <gtest/gtest.h>

#include <regex>

#include "compare/bucket_view.hpp"
#include "render/render_svg.hpp"
#include "test_compare_fixtures.hpp"

using namespace tristate;
using namespace tristate::compare;
using namespace tristate::compare_fixtures;

namespace {

std::vector<Transition> of_quiz(const report::Quiz& q) {
  std::vector<Transition> all;
  for (const auto& s : q.steps) {
    auto t = transitions_of(s);
    all.insert(all.end(), t.begin(), t.end());
  }
  return all;
}

std::vector<std::string> all(const std::string& s, const std::string& re) {
  std::vector<std::string> out;
  const std::regex r(re);
  for (auto it = std::sregex_iterator(s.begin(), s.end(), r); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1]);
  return out;
}

}  // namespace

TEST(CompareSvg, NodesAndLabelledEdgesForAKnownSequence) {
  const std::string svg = render::render_state_svg(of_quiz(quiz_reuse_and_close()), "t", "post-2");
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(all(svg, "<g class=\"node\" data-state=\"([^\"]+)\""),
            (std::vector<std::string>{"absent", "-1", "0", "+1"}));
  EXPECT_EQ(all(svg, "<g class=\"edge\" data-from=\"([^\"]+)\""),
            (std::vector<std::string>{"absent", "0", "+1"}));
  EXPECT_EQ(all(svg, "data-to=\"([^\"]+)\""), (std::vector<std::string>{"0", "+1", "absent"}));
  // Edge labels: order number and the statement, shortened when long.
  const auto labels = all(svg, "font-family=\"monospace\"[^>]*>([^<]+)</text>");
  ASSERT_EQ(labels.size(), 3u);
  EXPECT_EQ(labels[0], "1. s1.bind((&#39;127.0.0.1&#39;, 60000))");
  EXPECT_EQ(labels[1], "2. s1.bind((&#39;127.0.0.1&#39;, 60000))");
  EXPECT_EQ(labels[2], "3. s1.close()");
  // The full statement and the move are in the tooltip.
  EXPECT_NE(svg.find("<title>step 3: s1.close() — port 60000: +1 → absent</title>"),
            std::string::npos);
  EXPECT_EQ(all(svg, "marker-end=\"url\\(#([^)]+)\\)\"").size(), 3u);
  EXPECT_NE(svg.find("<marker id=\"t-arrow\""), std::string::npos);
}

TEST(CompareSvg, UnvisitedStatesAreDrawnFadedAndPairsGetTheirOwnNode) {
  std::vector<Transition> t = {{"absent", "-1", 2, "s.connect(('127.1.1.1', 1234))", 60000},
                               {"-1", "-1/0", 3, "s2.bind(('127.0.0.1', 60000))", 60000}};
  const std::string svg = render::render_state_svg(t, "p", "pair");
  EXPECT_EQ(all(svg, "data-state=\"([^\"]+)\""),
            (std::vector<std::string>{"absent", "-1", "0", "+1", "-1/0"}));
  // "0" and "+1" were never reached: white fill, grey outline.
  const auto zero = svg.substr(svg.find("data-state=\"0\""), 200);
  EXPECT_NE(zero.find("fill=\"#ffffff\" stroke=\"#bbb\""), std::string::npos) << zero;
  const auto pair = svg.substr(svg.find("data-state=\"-1/0\""), 200);
  EXPECT_NE(pair.find("stroke=\"#333\""), std::string::npos) << pair;
}

TEST(CompareSvg, OverlappingArcsGetSeparateLanes) {
  // Two moves over the same span in the same direction must not share a height.
  std::vector<Transition> t = {{"absent", "0", 1, "a.bind(('127.0.0.1', 0))", 60000},
                               {"0", "absent", 2, "a.close()", 60000},
                               {"absent", "0", 3, "b.bind(('127.0.0.1', 0))", 60000}};
  const std::string svg = render::render_state_svg(t, "l", "lanes");
  const auto label_y = all(svg, "<text x=\"[0-9.]+\" y=\"([0-9.]+)\" text-anchor=\"middle\" "
                                "font-size=\"11\"");
  ASSERT_EQ(label_y.size(), 3u);
  EXPECT_NE(label_y[0], label_y[2]);  // both forward, same span: stacked
  EXPECT_GT(std::stod(label_y[1]), std::stod(label_y[0]));  // the backward move is drawn below
}
