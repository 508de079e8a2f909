#include "render/render_text.hpp"
#include "render/text_style.hpp"

#include <algorithm>

#include <sstream>

#include "report/event_text.hpp"
#include "report/state_text.hpp"
#include "util/errno_names.hpp"

namespace tristate::render {

using report::BucketState;
using report::Event;

namespace {

struct Palette {
  bool on;
  std::string green(const std::string& s) const { return paint(on, Tone::green, s); }
  std::string red(const std::string& s) const { return paint(on, Tone::bold_red, s); }
  std::string dim(const std::string& s) const { return paint(on, Tone::dim, s); }
  std::string bold(const std::string& s) const { return paint(on, Tone::bold, s); }
  std::string cyan(const std::string& s) const { return paint(on, Tone::cyan, s); }
};

std::string wrap_paragraph(const std::string& text, const std::string& indent, size_t width) {
  std::istringstream words(text);
  std::string word, line, out;
  while (words >> word) {
    if (!line.empty() && indent.size() + line.size() + 1 + word.size() > width) {
      out += indent + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out += indent + line + "\n";
  return out;
}

std::string pad(const std::string& s, size_t n) {
  return s.size() >= n ? s + "  " : s + std::string(n - s.size(), ' ');
}

}  // namespace

std::string render_header(const report::Report& r, const TextOptions& opt) {
  Palette p{opt.color};
  std::ostringstream o;
  o << p.bold("tristate " + r.tool_version) << "  kernel " << r.kernel.release;
  if (r.kernel.origin != "host") {
    o << " (guest";
    if (!r.kernel.package.empty()) o << ", " << r.kernel.package;
    if (!r.kernel.package_version.empty()) o << " " << r.kernel.package_version;
    o << ")";
  } else {
    o << " (" << r.where << ")";
  }
  o << "  trace: " << report::name(r.trace.mode) << "  state: " << r.state.method << "\n";
  if (!r.trace.notice.empty()) o << p.dim("note: " + r.trace.notice) << "\n";
  if (!r.state.notice.empty()) o << p.dim("note: " + r.state.notice) << "\n";
  return o.str();
}

std::string render_quiz(const report::Quiz& q, const TextOptions& opt) {
  Palette p{opt.color};
  std::ostringstream o;
  o << "\n" << p.bold(q.name) << "  " << q.title;
  if (!q.source.empty()) o << p.dim("  (" + q.source + ")");
  o << "\n";
  if (!q.lesson.empty()) o << p.dim("  lesson: " + q.lesson) << "\n";
  if (!q.setup.empty()) o << p.dim("  setup:  " + q.setup) << "\n";
  if (opt.background && opt.events)
    for (const auto& e : q.background) o << p.dim("      . " + report::event_story(e)) << "\n";
  for (const auto& s : q.steps) {
    std::string result;
    if (!s.calls.empty() && !s.calls.back().ok && s.calls.back().err > 0)
      result = util::errno_label(s.calls.back().err);
    else
      result = s.actual.empty() ? "ok" : s.actual;
    const std::string mark = s.matched ? p.green("ok  ") : p.red("DIFF");
    o << "  " << mark << " " << pad(s.source, 44) << result;
    if (s.matched && !s.expected.empty() && !s.calls.empty() && !s.calls.back().ok)
      o << p.dim("  (as expected)");
    o << "\n";
    // A step that printed what the quiz expects differs only by a state assertion: its DIFF
    // line below says what was read.
    const bool output_differs =
        !s.matched && !(s.actual == s.expected && std::any_of(s.state_checks.begin(), s.state_checks.end(),
                                                               [](const report::StateCheck& c) { return c.outcome == report::CheckOutcome::diff; }));
    if (output_differs) {
      o << "         " << p.red("expected: " + (s.expected.empty() ? "no error, no output"
                                                                  : s.expected))
        << "\n";
      if (!s.actual.empty()) o << "         " << p.red("got:      " + s.actual) << "\n";
    }
    if (opt.events)
      for (const auto& e : s.events) o << "         " << p.cyan(report::event_story(e)) << "\n";
    if (s.state) {
      o << "         " << (s.state->taken ? p.dim("state: " + report::state_line(*s.state))
                                          : p.red("state: " + report::state_line(*s.state)))
        << "\n";
      for (const auto& g : s.state->gone)
        o << "         " << p.red("state: " + g + " not read: closed between the step and the snapshot") << "\n";
      for (const auto& d : s.state->model_diff)
        o << "         " << p.red("warning: traced model differs from the snapshot: " + d) << "\n";
    }
    // state assertions: a DIFF is a mismatch like a wrong errno; never "ok" without a snapshot
    for (const auto& c : s.state_checks) {
      switch (c.outcome) {
        case report::CheckOutcome::passed: o << "         " << p.dim("ok   " + c.text) << "\n"; break;
        case report::CheckOutcome::diff:
          o << "         " << p.red("DIFF " + c.text + "  (read: " + c.actual + ", line " + std::to_string(c.line) + ")")
            << "\n";
          break;
        case report::CheckOutcome::not_checked:
          o << "         " << p.dim("not checked: " + c.text + " (" + c.why + ")") << "\n";
          break;
      }
    }
    if (!s.explanation.empty()) o << wrap_paragraph("why: " + s.explanation, "         ", 100);
    if (!s.note.empty()) o << wrap_paragraph("note: " + s.note, "         ", 100);
  }
  if (q.status == report::QuizStatus::error) o << "  " << p.red("error: " + q.error) << "\n";
  const int bad = q.mismatches();
  o << "  " << (q.status == report::QuizStatus::ok ? p.green("as expected") : p.red(std::string(report::name(q.status)))) << ": "
    << (q.steps.size() - bad) << "/" << q.steps.size() << " steps matched";
  o << p.dim("  (" + std::to_string(static_cast<int>(q.duration_ms + 0.5)) + " ms)") << "\n";
  return o.str();
}

std::string render_summary(const report::Report& r, const TextOptions& opt) {
  Palette p{opt.color};
  int ok = 0, mismatch = 0, error = 0;
  for (const auto& q : r.quizzes) {
    if (q.status == report::QuizStatus::ok) ++ok;
    else if (q.status == report::QuizStatus::error) ++error;
    else ++mismatch;
  }
  std::ostringstream o;
  o << "\n" << r.quizzes.size() << " quizzes: " << p.green(std::to_string(ok) + " as expected");
  if (mismatch) o << ", " << p.red(std::to_string(mismatch) + " differ");
  if (error) o << ", " << p.red(std::to_string(error) + " failed to run");
  if (r.trace.mode != report::TraceMode::none)
    o << "; " << r.trace.events << " bucket events, " << r.trace.lost << " lost"
      << (r.trace.missed ? ", " + p.red(std::to_string(r.trace.missed) +
                                        " probe runs missed (events incomplete)")
                         : "");
  if (r.state.method != "none") {
    int taken = 0, failed = 0;
    for (const auto& q : r.quizzes)
      for (const auto& s : q.steps)
        if (s.state) (s.state->taken ? taken : failed)++;
    o << "; state read after " << taken << " steps";
    if (failed) o << ", " << p.red(std::to_string(failed) + " snapshots failed");
    if (r.trace.mode != report::TraceMode::none) {
      const int diff = r.state_mismatches();
      o << ", " << (diff ? p.red(std::to_string(diff) + " model/snapshot mismatches")
                         : std::string("0 model/snapshot mismatches"));
    }
  }
  o << "\n";
  return o.str();
}

std::string render_text(const report::Report& r, const TextOptions& opt) {
  std::string out = render_header(r, opt);
  for (const auto& q : r.quizzes) out += render_quiz(q, opt);
  return out + render_summary(r, opt);
}

}  // namespace tristate::render
