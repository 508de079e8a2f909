#include "render/render_matrix_text.hpp"

#include <algorithm>

#include "compare/bucket_view.hpp"

namespace tristate::render {

using compare::Cell;
using compare::Matrix;
using compare::Row;

std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

namespace {

constexpr std::size_t kSourceWidth = 40;

struct Style {
  bool on;
  std::string operator()(const char* code, const std::string& s) const {
    return on ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
  }
};

std::string pad(const std::string& s, std::size_t width) {
  const std::size_t w = display_width(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

std::string trim_right(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// One table line from plain cells; `styled` replaces a cell's text after padding so ANSI
// codes never disturb the alignment.
std::string table_line(const std::vector<std::string>& cells, const std::vector<std::size_t>& w,
                       const std::vector<std::string>& styled) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const std::string padded = pad(cells[i], w[i]);
    const std::string tail = padded.substr(cells[i].size());
    line += (styled[i].empty() ? cells[i] : styled[i]) + (i + 1 < cells.size() ? tail + "  " : "");
  }
  return trim_right(line) + "\n";
}

void render_divergence(std::string& out, const Matrix& m, const Row& row, const Style& st) {
  std::vector<std::string> outcomes;
  for (std::size_t c = 0; c < m.columns.size(); ++c)
    outcomes.push_back(m.columns[c].label + ": " + compare::cell_outcome(row.cells[c]));
  if (row.outcome_differs) {
    out += "  outcome:";
    for (const auto& o : outcomes) out += "  " + o;
    out += "\n";
  }
  if (row.state_differs && !row.events_differ) {
    out += "  deciding state:";
    for (std::size_t c = 0; c < m.columns.size(); ++c)
      out += "  " + m.columns[c].label + ": " + row.cells[c].state;
    out += "\n";
  }
  if (row.snapshot_differs) {
    out += "  state after the step:";
    for (std::size_t c = 0; c < m.columns.size(); ++c)
      out += "  " + m.columns[c].label + ": " + (row.cells[c].snapshot.empty() ? "not read" : row.cells[c].snapshot);
    out += "\n";
  }
  if (!row.divergence) {
    std::vector<std::string> untraced;
    for (const auto& c : m.columns)
      if (!c.traced) untraced.push_back(c.label);
    if (!untraced.empty()) {
      out += "  events not compared: untraced in";
      for (const auto& u : untraced) out += " " + u;
      out += "\n";
    } else if (!row.events_differ) {
      out += "  bucket events: identical\n";
    }
    return;
  }
  const auto& d = *row.divergence;
  std::string skipped;
  for (std::size_t c = 0; c < d.compared.size(); ++c)
    if (!d.compared[c]) skipped += " " + m.columns[c].label;
  out += "  first divergence at event #" + std::to_string(d.position + 1) +
         (skipped.empty() ? "" : " (events not compared for" + skipped + ")") + ":\n";
  std::vector<std::size_t> cols;
  for (std::size_t c = 0; c < d.compared.size(); ++c)
    if (d.compared[c]) cols.push_back(c);
  std::vector<std::string> head = {"", ""}, prev = {"", "#" + std::to_string(d.position)},
                           at = {"≠", "#" + std::to_string(d.position + 1)};
  for (std::size_t c : cols) {
    head.push_back(m.columns[c].label);
    prev.push_back(d.previous[c] ? compare::describe_event(*d.previous[c]) : "");
    at.push_back(d.at[c] ? compare::describe_event(*d.at[c]) : "(no more events)");
  }
  std::vector<std::size_t> w(head.size(), 0);
  for (const auto* line : {&head, &prev, &at})
    for (std::size_t i = 0; i < line->size(); ++i) w[i] = std::max(w[i], display_width((*line)[i]));
  const std::vector<std::string> plain(head.size());
  std::vector<std::string> styled_head(head.size());
  for (std::size_t i = 2; i < head.size(); ++i) styled_head[i] = st("1", head[i]);
  out += "    " + table_line(head, w, styled_head);
  if (d.position > 0) out += "    " + table_line(prev, w, plain);
  std::vector<std::string> styled_at(at.size());
  for (std::size_t i = 2; i < at.size(); ++i) styled_at[i] = st("31", at[i]);
  out += "    " + table_line(at, w, styled_at);
}

}  // namespace

std::string render_matrix_text(const Matrix& m, bool color) {
  const Style st{color};
  std::string out;
  std::size_t shown = 0;
  for (const auto& r : m.rows) shown += r.matters() ? 1 : 0;
  const std::size_t differ = m.differing_rows();
  out += "tristate compare: " + std::to_string(m.columns.size()) + " reports, " +
         std::to_string(m.quizzes.size()) + " quizzes in common, " +
         std::to_string(m.rows.size()) + " steps (" + std::to_string(shown) + " shown), " +
         (differ ? st("1;31", std::to_string(differ) + (differ == 1 ? " step differs" : " steps differ"))
                 : st("32", "all agree")) + "\n\n";

  std::vector<std::string> head = {"", "quiz", "step", "statement"};
  for (const auto& c : m.columns) head.push_back(c.label);
  std::vector<std::vector<std::string>> lines;  // plain text, two lines per row
  std::vector<std::vector<std::string>> styles;
  for (const auto& r : m.rows) {
    if (!r.matters()) continue;
    std::vector<std::string> a = {r.differs() ? "≠" : "", r.quiz,
                                  r.step < 0 ? "-" : std::to_string(r.step),
                                  compare::shorten(r.source, kSourceWidth)};
    std::vector<std::string> b = {"", "", "", ""};
    std::vector<std::string> sa(4), sb(4);
    if (r.differs()) sa[0] = st("1;31", a[0]);
    for (const Cell& c : r.cells) {
      const std::string text = (c.differs ? "*" : "") + compare::cell_outcome(c);
      a.push_back(text);
      b.push_back(c.state);
      const char* code = c.differs ? "1;31" : (!c.matched || c.outcome != "ok") ? "33" : "";
      sa.push_back(*code ? st(code, text) : "");
      sb.push_back(c.state.empty() ? "" : st("2", c.state));
    }
    lines.push_back(std::move(a));
    styles.push_back(std::move(sa));
    // An untraced row has no bucket story to tell: no second line.
    const bool any_state = std::any_of(r.cells.begin(), r.cells.end(), [](const Cell& c) {
      return !c.state.empty() && c.state != "untraced";
    });
    if (any_state) {
      lines.push_back(std::move(b));
      styles.push_back(std::move(sb));
    }
  }
  std::vector<std::size_t> w(head.size(), 0);
  for (std::size_t i = 0; i < head.size(); ++i) w[i] = display_width(head[i]);
  for (const auto& l : lines)
    for (std::size_t i = 0; i < l.size(); ++i) w[i] = std::max(w[i], display_width(l[i]));
  std::vector<std::string> styled_head(head.size());
  for (std::size_t i = 0; i < head.size(); ++i) styled_head[i] = st("1", head[i]);
  if (lines.empty()) {
    out += "(no step failed, differed or touched a bind bucket)\n";
  } else {
    out += table_line(head, w, styled_head);
    for (std::size_t i = 0; i < lines.size(); ++i) out += table_line(lines[i], w, styles[i]);
    out += "\n✗ = output did not match the quiz's expectation; * = differs from the other "
           "reports; ≠ = the row differs\n";
  }

  if (differ) {
    out += "\n" + st("1", "Differences") + "\n";
    for (const auto& r : m.rows) {
      if (!r.differs()) continue;
      out += st("1;31", "≠") + " " + r.quiz +
             (r.step < 0 ? std::string(" (the quiz as a whole)")
                         : " step " + std::to_string(r.step) +
                               (r.line ? " (line " + std::to_string(r.line) + ")" : "") +
                               ": " + r.source) +
             "\n";
      render_divergence(out, m, r, st);
    }
  }

  if (!m.missing.empty()) {
    out += "\n" + st("1", "Not compared") + " (quizzes missing from some reports)\n";
    for (const auto& miss : m.missing) {
      out += "  " + m.columns[miss.column].label + " lacks:";
      for (const auto& q : miss.quizzes) out += " " + q;
      out += "\n";
    }
  }

  out += "\n" + st("1", "Reports") + "\n";
  for (const auto& c : m.columns) {
    out += "  " + c.label + ": kernel " + (c.release.empty() ? "?" : c.release) + ", " +
           c.where + ", trace " + (c.traced ? c.trace_mode : "none (untraced)");
    if (!c.file.empty()) out += ", " + c.file;
    out += "\n";
  }
  return out;
}

}  // namespace tristate::render
