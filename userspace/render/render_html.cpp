#include "render/render_html.hpp"

#include <cctype>
#include <set>

#include "compare/bucket_view.hpp"
#include "render/render_svg.hpp"
#include "report/event_text.hpp"

namespace tristate::render {

using compare::Matrix;
using compare::Row;

namespace {

constexpr const char* kStyle = R"css(
body { font-family: system-ui, sans-serif; margin: 2em; color: #111; background: #fff; }
h1 { font-size: 1.5em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; text-align: left; }
th { background: #f2f2f2; }
code, .event { font-family: ui-monospace, monospace; font-size: 0.92em; }
td .state { display: block; color: #555; font-size: 0.85em; }
td .actual { display: block; font-family: ui-monospace, monospace; font-size: 0.8em; color: #333;
             white-space: pre-wrap; overflow-wrap: anywhere; }
td .actual::before { content: "→ "; color: #888; }
nav.differing ul { margin: 0.3em 0; } tr:target td, tr:target th, section:target { outline: 2px solid #c00; }
td.diff { background: #ffd6d6; font-weight: bold; }
tr.differs th.mark { color: #c00; }
.summary.agree { color: #176117; } .summary.differ { color: #a00; font-weight: bold; }
.legend { color: #555; font-size: 0.9em; }
figure { margin: 0.8em 0 1.6em 0; } figcaption { font-size: 0.9em; color: #333; }
ol.transitions { font-size: 0.85em; color: #333; }
tr.first-divergence td { background: #fff1c9; }
)css";

std::string esc(const std::string& s) { return xml_escape(s); }

// One id per row, unique in the page and safe in a URL fragment: "post-3-4" (quiz, step), a
// quiz that could not run "post-3-quiz"; a repeated key (same index, another statement) gets
// "-2", "-3".
std::vector<std::string> row_ids(const Matrix& m) {
  std::vector<std::string> ids;
  std::set<std::string> used;
  for (const auto& r : m.rows) {
    std::string id;
    for (char c : r.quiz + "-" + (r.step < 0 ? std::string("quiz") : std::to_string(r.step)))
      id += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
    std::string unique = id;
    for (int k = 2; used.count(unique); ++k) unique = id + "-" + std::to_string(k);
    used.insert(unique);
    ids.push_back(unique);
  }
  return ids;
}

std::string row_title(const Row& r) {
  if (r.step < 0) return esc(r.quiz) + " (the quiz as a whole)";
  return esc(r.quiz) + " step " + std::to_string(r.step) +
         (r.line ? " (line " + std::to_string(r.line) + ")" : "") + ": <code>" + esc(r.source) +
         "</code>";
}

std::string labels_of(const Matrix& m, const std::vector<std::size_t>& cols) {
  std::string s;
  for (std::size_t i = 0; i < cols.size(); ++i) s += (i ? ", " : "") + m.columns[cols[i]].label;
  return s;
}

void table(std::string& out, const Matrix& m, RowFilter rows, const std::vector<std::string>& ids) {
  out += "<table class=\"matrix\" id=\"matrix\">\n<thead><tr><th class=\"mark\"></th><th>quiz</th>"
         "<th>step</th><th>statement</th>";
  for (const auto& c : m.columns) out += "<th>" + esc(c.label) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < m.rows.size(); ++i) {
    const Row& r = m.rows[i];
    if (!shown(r, rows)) continue;
    out += "<tr id=\"row-" + ids[i] + "\"" + (r.differs() ? " class=\"differs\"" : "") +
           "><th class=\"mark\">" +
           (r.differs() ? "<a href=\"#diff-" + ids[i] + "\" title=\"how it differs\">≠</a>" : "") +
           "</th><td>" + esc(r.quiz) + "</td><td>" +
           (r.step < 0 ? "-" : std::to_string(r.step)) + "</td><td><code>" + esc(r.source) +
           "</code></td>";
    for (const auto& c : r.cells) {
      std::string cls;
      if (c.differs) cls += "diff";
      if (c.present && !c.matched) cls += cls.empty() ? "mismatch" : " mismatch";
      out += "<td" + (cls.empty() ? "" : " class=\"" + cls + "\"") + " title=\"" +
             esc(c.actual) + "\"><span class=\"outcome\">" + esc(compare::cell_outcome(c)) +
             "</span>";
      if (!c.state.empty()) out += "<span class=\"state\">" + esc(c.state) + "</span>";
      if (!c.snapshot.empty() && c.state.rfind("after: ", 0) != 0)
        out += "<span class=\"state\">after: " + esc(c.snapshot) + "</span>";
      // what the step printed, visible (not only in the tooltip)
      if (!c.actual.empty()) out += "<span class=\"actual\">" + esc(c.actual) + "</span>";
      out += "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
}

void differences(std::string& out, const Matrix& m, const std::vector<std::string>& ids) {
  out += "<h2 id=\"differences\">Differences</h2>\n";
  for (std::size_t i = 0; i < m.rows.size(); ++i) {
    const Row& r = m.rows[i];
    if (!r.differs()) continue;
    out += "<section class=\"difference\" id=\"diff-" + ids[i] + "\"><h3>" + row_title(r) +
           " <a class=\"back\" href=\"#row-" + ids[i] + "\">(row)</a></h3>\n";
    if (r.outcome_differs) {
      out += "<p>Outcome:";
      for (std::size_t c = 0; c < m.columns.size(); ++c)
        out += std::string(c ? ";" : "") + " " + esc(m.columns[c].label) + " → <code>" +
               esc(compare::cell_outcome(r.cells[c])) + "</code>";
      out += "</p>\n";
    }
    if (r.snapshot_differs) {
      out += "<p>Bucket state read after the step:";
      for (std::size_t c = 0; c < m.columns.size(); ++c)
        out += std::string(c ? ";" : "") + " " + esc(m.columns[c].label) + " → <code>" +
               esc(r.cells[c].snapshot.empty() ? std::string("not read") : r.cells[c].snapshot) + "</code>";
      out += "</p>\n";
    }
    if (!r.divergence) {
      bool untraced = false;
      for (const auto& c : m.columns) untraced |= !c.traced;
      out += untraced ? "<p>Bucket events not compared: some reports are untraced.</p>\n"
                      : "<p>Bucket events: identical.</p>\n";
    } else {
      const auto& d = *r.divergence;
      out += "<p>First divergence at event #" + std::to_string(d.position + 1) +
             ":</p>\n<table class=\"divergence\"><thead><tr><th>#</th>";
      for (std::size_t c = 0; c < m.columns.size(); ++c)
        if (d.compared[c]) out += "<th>" + esc(m.columns[c].label) + "</th>";
      out += "</tr></thead><tbody>\n";
      if (d.position > 0) {
        out += "<tr><td>" + std::to_string(d.position) + "</td>";
        for (std::size_t c = 0; c < m.columns.size(); ++c)
          if (d.compared[c])
            out += "<td class=\"event\">" +
                   (d.previous[c] ? esc(report::event_line(*d.previous[c])) : "") + "</td>";
        out += "</tr>\n";
      }
      out += "<tr class=\"first-divergence\"><td>" + std::to_string(d.position + 1) + "</td>";
      for (std::size_t c = 0; c < m.columns.size(); ++c)
        if (d.compared[c])
          out += "<td class=\"event\">" +
                 (d.at[c] ? esc(report::event_line(*d.at[c])) : "<em>(no more events)</em>") +
                 "</td>";
      out += "</tr>\n</tbody></table>\n";
    }
    out += "</section>\n";
  }
}

void diagrams(std::string& out, const Matrix& m) {
  out += "<h2>Tri-state transitions</h2>\n<p class=\"legend\">How each quiz moved its bind "
         "buckets: <b>absent</b>, <b>-1</b> (made by connect()), <b>0</b> (made by bind()), "
         "<b>+1</b> (reuse); a pair such as -1/0 is fastreuse/fastreuseport when the two "
         "differ. Arrows are numbered in order and labelled with the statement that moved the "
         "bucket.</p>\n";
  if (m.diagrams.empty()) {
    out += "<p>No bucket transitions were recorded (no report was traced, or no quiz moved a "
           "bucket).</p>\n";
    return;
  }
  std::size_t n = 0;
  std::string current;
  for (const auto& d : m.diagrams) {
    if (d.quiz != current) {
      if (!current.empty()) out += "</section>\n";
      current = d.quiz;
      out += "<section class=\"quiz-diagrams\" id=\"quiz-" + esc(d.quiz) + "\"><h3>" +
             esc(d.quiz) + "</h3>\n";
    }
    const std::string kernels = labels_of(m, d.columns);
    out += "<figure>\n";
    if (d.transitions.empty()) {
      out += "<p>No bucket moved.</p>\n";
    } else {
      out += render_state_svg(d.transitions, "d" + std::to_string(n),
                              d.quiz + " on " + kernels);
    }
    out += "<figcaption>" + esc(d.quiz) + " — " + esc(kernels) + "</figcaption>\n";
    if (!d.transitions.empty()) {
      out += "<ol class=\"transitions\">";
      for (const auto& t : d.transitions)
        out += "<li>step " + std::to_string(t.step) + " <code>" + esc(t.source) + "</code>: port " +
               std::to_string(t.port) + " " + esc(t.from) + " → " + esc(t.to) + "</li>";
      out += "</ol>\n";
    }
    out += "</figure>\n";
    ++n;
  }
  out += "</section>\n";
}

}  // namespace

std::string render_html(const Matrix& m, RowFilter rows) {
  const std::vector<std::string> ids = row_ids(m);
  const std::size_t differ = m.differing_rows();
  const std::string headline =
      std::to_string(m.columns.size()) + " kernels compared — " +
      (differ ? std::to_string(differ) + (differ == 1 ? " step differs" : " steps differ")
              : std::string("all agree"));
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>tristate: " +
         esc(headline) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  out += "<h1>tristate: " + esc(headline) + "</h1>\n";
  out += std::string("<p class=\"summary ") + (differ ? "differ" : "agree") + "\">" +
         std::to_string(m.quizzes.size()) + " quizzes compared, " +
         std::to_string(m.rows.size()) + " steps, " + std::to_string(differ) +
         " differ.</p>\n";
  if (differ) {
    out += "<nav class=\"differing\"><p>Steps that differ:</p><ul>\n";
    for (std::size_t i = 0; i < m.rows.size(); ++i)
      if (m.rows[i].differs())
        out += "<li><a href=\"#row-" + ids[i] + "\">" + row_title(m.rows[i]) +
               "</a> — <a href=\"#diff-" + ids[i] + "\">how it differs</a></li>\n";
    out += "</ul></nav>\n";
  }

  out += "<h2>Kernels</h2>\n<table class=\"kernels\"><thead><tr><th>column</th><th>kernel "
         "release</th><th>where</th><th>trace</th><th>file</th></tr></thead><tbody>\n";
  for (const auto& c : m.columns)
    out += "<tr><td>" + esc(c.label) + "</td><td><code>" + esc(c.release) + "</code></td><td>" +
           esc(c.where) + "</td><td>" + esc(c.traced ? c.trace_mode : "untraced") +
           "</td><td>" + esc(c.file) + "</td></tr>\n";
  out += "</tbody></table>\n";

  out += std::string("<h2>Steps</h2>\n<p class=\"legend\">") +
         (rows == RowFilter::differ ? "Only the steps that differ. "
                                    : "Steps that failed, differ, or touched a bind bucket. ") +
         "Each cell: outcome (✗ = output did not match the quiz), the bucket state that decided "
         "it, and after → what the step printed. Red cells differ from the other kernels.</p>\n";
  table(out, m, rows, ids);
  if (differ) differences(out, m, ids);
  diagrams(out, m);

  if (!m.missing.empty()) {
    out += "<h2>Not compared</h2>\n<ul class=\"missing\">\n";
    for (const auto& miss : m.missing) {
      out += "<li>" + esc(m.columns[miss.column].label) + " lacks:";
      for (const auto& q : miss.quizzes) out += " <code>" + esc(q) + "</code>";
      out += "</li>\n";
    }
    out += "</ul>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace tristate::render
