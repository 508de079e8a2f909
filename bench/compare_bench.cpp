// compare of two 1,000-quiz documents, as `tristate compare A.json B.json` does it: parse both
// (parse_report), build the Matrix, render the table (and, separately, the other outputs).
// Baseline measured in the same run: nlohmann::json::parse of the same two texts, i.e. the
// cost of merely reading the files. Target: parse + compare + table ≤ 1 s.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "compare/matrix.hpp"
#include "compare/matrix_json.hpp"
#include "render/render_html.hpp"
#include "render/render_markdown.hpp"
#include "render/render_matrix_text.hpp"
#include "report/report_json.hpp"
#include "../tests/unit/test_compare_fixtures.hpp"

using namespace tristate;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kQuizzes = 1000;
constexpr int kRepeats = 5;

// Median wall time of `kRepeats` runs, in milliseconds.
double time_ms(const std::function<void()>& f) {
  std::vector<double> t;
  for (int i = 0; i < kRepeats; ++i) {
    const auto start = Clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

// With a directory argument the two documents are also written there (a.json, b.json) so the
// whole command can be timed: `time tristate compare DIR/a.json DIR/b.json >/dev/null`.
int main(int argc, char** argv) {
  using namespace compare_fixtures;
  const report::Report a = big_report("6.12.9", kQuizzes);
  report::Report b = big_report("6.18.1", kQuizzes);
  // Every 10th quiz differs: half in outcome, half in one event, so the divergence and
  // flagging paths are part of what is timed.
  for (std::size_t i = 0; i < b.quizzes.size(); i += 10) {
    auto& s = b.quizzes[i].steps[1];
    if (i % 20 == 0) {
      s.calls[0].ok = false;
      s.calls[0].err_name = "EADDRINUSE";
    } else if (!s.events.empty()) {
      s.events.back().after = report::BucketState{-1, 0};
    }
  }
  const std::string ta = nlohmann::json(a).dump(2), tb = nlohmann::json(b).dump(2);
  if (argc > 1) {
    const std::string dir = argv[1];
    for (const auto& [name, text] : {std::pair{"/a.json", &ta}, std::pair{"/b.json", &tb}}) {
      std::FILE* f = std::fopen((dir + name).c_str(), "w");
      if (!f || std::fwrite(text->data(), 1, text->size(), f) != text->size()) {
        std::fprintf(stderr, "compare_bench: cannot write %s%s\n", dir.c_str(), name);
        return 2;
      }
      std::fclose(f);
    }
  }
  std::size_t steps = 0, events = 0;
  for (const auto& q : a.quizzes) {
    steps += q.steps.size();
    for (const auto& s : q.steps) events += s.events.size();
  }
  std::printf("compare_bench: 2 documents × %d quizzes (%zu steps, %zu events each), %.1f + %.1f KiB "
              "of JSON, median of %d runs\n",
              kQuizzes, steps, events, ta.size() / 1024.0, tb.size() / 1024.0, kRepeats);

  const double t_raw = time_ms([&] {
    auto ja = nlohmann::json::parse(ta);
    auto jb = nlohmann::json::parse(tb);
  });
  std::vector<compare::LabelledReport> in(2);
  const double t_load = time_ms([&] {
    in[0] = {"", "a.json", report::parse_report(ta, "a.json")};
    in[1] = {"", "b.json", report::parse_report(tb, "b.json")};
  });
  compare::assign_labels(in);
  compare::Matrix m;
  const double t_compare = time_ms([&] { m = compare::compare(in); });
  std::size_t bytes = 0;
  const double t_text = time_ms([&] { bytes = render::render_matrix_text(m, false).size(); });
  // Sizes are kept so that no render can be optimised away.
  std::size_t sink = 0;
  const double t_md = time_ms([&] { sink += render::render_markdown(m).size(); });
  const double t_html = time_ms([&] { sink += render::render_html(m).size(); });
  const double t_json = time_ms([&] { sink += nlohmann::json(m).dump(2).size(); });

  const double total = t_load + t_compare + t_text;
  std::printf("  baseline  json::parse of both texts   %8.1f ms\n", t_raw);
  std::printf("  load      parse_report × 2            %8.1f ms  (%.2f× baseline)\n", t_load,
              t_load / t_raw);
  std::printf("  compare   %zu rows, %zu differ      %8.1f ms  (%.2f× baseline)\n",
              m.rows.size(), m.differing_rows(), t_compare, t_compare / t_raw);
  std::printf("  render    text table (%zu KiB)        %8.1f ms\n", bytes / 1024, t_text);
  std::printf("  render    markdown / html / json      %8.1f / %.1f / %.1f ms  (%zu KiB in all)\n",
              t_md, t_html, t_json, sink / kRepeats / 1024);
  std::printf("  total     load + compare + table          %8.1f ms  (target ≤ 1000 ms: %s)\n", total,
              total <= 1000 ? "met" : "NOT MET");
  return total <= 1000 ? 0 : 1;
}
