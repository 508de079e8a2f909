#include "render/render_markdown.hpp"

#include "compare/bucket_view.hpp"
#include "report/event_text.hpp"

namespace tristate::render {

using compare::Matrix;
using compare::Row;

namespace {

// Table cells: a pipe would end the cell, a newline the row.
std::string cell_text(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += "<br>";
    else out += c;
  }
  return out;
}

// An inline code span that survives backticks inside the statement.
std::string code(const std::string& s) {
  if (s.empty()) return "";
  const bool ticks = s.find('`') != std::string::npos;
  return ticks ? "`` " + s + " ``" : "`" + s + "`";
}

std::string row_title(const Row& r) {
  if (r.step < 0) return r.quiz + " (the quiz as a whole)";
  return r.quiz + " step " + std::to_string(r.step) +
         (r.line ? " (line " + std::to_string(r.line) + ")" : "") + ": " + code(r.source);
}

void divergence(std::string& out, const Matrix& m, const Row& r) {
  if (r.outcome_differs) {
    out += "Outcome:";
    for (std::size_t c = 0; c < m.columns.size(); ++c)
      out += (c ? "; " : " ") + m.columns[c].label + " → " + code(compare::cell_outcome(r.cells[c]));
    out += ".\n\n";
  }
  if (r.state_differs && !r.events_differ) {
    out += "Deciding bucket state:";
    for (std::size_t c = 0; c < m.columns.size(); ++c)
      out += (c ? "; " : " ") + m.columns[c].label + " → " + r.cells[c].state;
    out += ".\n\n";
  }
  if (r.snapshot_differs) {
    out += "Bucket state read after the step:";
    for (std::size_t c = 0; c < m.columns.size(); ++c)
      out += (c ? "; " : " ") + m.columns[c].label + " → " +
             (r.cells[c].snapshot.empty() ? std::string("not read") : code(r.cells[c].snapshot));
    out += ".\n\n";
  }
  if (!r.divergence) {
    bool any_untraced = false;
    for (const auto& c : m.columns) any_untraced |= !c.traced;
    out += any_untraced ? "Bucket events not compared: some reports are untraced.\n\n"
                        : "Bucket events: identical.\n\n";
    return;
  }
  const auto& d = *r.divergence;
  out += "First divergence at event #" + std::to_string(d.position + 1) + ":\n\n| # |";
  std::string sep = "| ---: |";
  for (std::size_t c = 0; c < m.columns.size(); ++c) {
    if (!d.compared[c]) continue;
    out += " " + cell_text(m.columns[c].label) + " |";
    sep += " --- |";
  }
  out += "\n" + sep + "\n";
  if (d.position > 0) {
    out += "| " + std::to_string(d.position) + " |";
    for (std::size_t c = 0; c < m.columns.size(); ++c)
      if (d.compared[c])
        out += " " + (d.previous[c] ? code(report::event_line(*d.previous[c])) : "") + " |";
    out += "\n";
  }
  out += "| **" + std::to_string(d.position + 1) + "** |";
  for (std::size_t c = 0; c < m.columns.size(); ++c)
    if (d.compared[c])
      out += " " + (d.at[c] ? code(report::event_line(*d.at[c])) : "*(no more events)*") +
             " |";
  out += "\n\n";
}

}  // namespace

std::string render_markdown(const Matrix& m, RowFilter rows) {
  std::string out;
  const std::size_t differ = m.differing_rows();
  out += "# tristate: " + std::to_string(m.columns.size()) + " kernels compared — " +
         (differ ? std::to_string(differ) + (differ == 1 ? " step differs" : " steps differ")
                 : std::string("all agree")) +
         "\n\n";

  out += "## Kernels\n\n| column | kernel release | where | trace | file |\n"
         "| --- | --- | --- | --- | --- |\n";
  for (const auto& c : m.columns)
    out += "| " + cell_text(c.label) + " | " + code(c.release) + " | " + c.where + " | " +
           (c.traced ? c.trace_mode : "untraced") + " | " + cell_text(c.file) + " |\n";
  out += "\n";

  out += std::string("## Steps\n\n") +
         (rows == RowFilter::differ ? "Only the steps that differ (" : "Steps that failed, differ, or touched a bind bucket (") +
         std::to_string(m.quizzes.size()) + " quizzes compared). Each cell: outcome (✗ = "
         "output did not match the quiz), then the bucket state that decided it. **Bold** = "
         "differs.\n\n| quiz | step | statement |";
  std::string sep = "| --- | ---: | --- |";
  for (const auto& c : m.columns) {
    out += " " + cell_text(c.label) + " |";
    sep += " --- |";
  }
  out += "\n" + sep + "\n";
  for (const auto& r : m.rows) {
    if (!shown(r, rows)) continue;
    out += "| " + cell_text(r.quiz) + (r.differs() ? " ≠" : "") + " | " +
           (r.step < 0 ? "-" : std::to_string(r.step)) + " | " + cell_text(code(r.source)) +
           " |";
    for (const auto& c : r.cells) {
      std::string o = cell_text(compare::cell_outcome(c));
      if (c.differs) o = "**" + o + "**";
      out += " " + o + (c.state.empty() ? "" : "<br>" + cell_text(c.state));
      // traced cells: the state read after the step too (untraced ones show it as their state)
      if (!c.snapshot.empty() && c.state.rfind("after: ", 0) != 0) out += "<br>after: " + cell_text(c.snapshot);
      out += " |";
    }
    out += "\n";
  }
  out += "\n";

  if (differ) {
    out += "## Differences\n\n";
    for (const auto& r : m.rows) {
      if (!r.differs()) continue;
      out += "### " + row_title(r) + "\n\n";
      divergence(out, m, r);
    }
  }

  if (!m.missing.empty()) {
    out += "## Not compared\n\nQuizzes missing from some reports:\n\n";
    for (const auto& miss : m.missing) {
      out += "- " + m.columns[miss.column].label + " lacks:";
      for (const auto& q : miss.quizzes) out += " " + code(q);
      out += "\n";
    }
    out += "\n";
  }
  return out;
}

}  // namespace tristate::render
