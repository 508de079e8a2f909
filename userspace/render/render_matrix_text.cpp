#include "render/render_matrix_text.hpp"
#include "render/text_style.hpp"

#include <algorithm>
#include <numeric>

#include "compare/bucket_view.hpp"
#include "report/event_text.hpp"

namespace tristate::render {

using compare::Cell;
using compare::Matrix;
using compare::Row;

namespace {

// Length in bytes of the ANSI SGR sequence starting at s[i], 0 when there is none.
std::size_t escape_len(const std::string& s, std::size_t i) {
  if (s[i] != '\033' || i + 1 >= s.size() || s[i + 1] != '[') return 0;
  const auto m = s.find('m', i + 2);
  return m == std::string::npos ? s.size() - i : m - i + 1;
}

// The first `n` display columns of `s` (escape sequences ride along, uncounted).
std::pair<std::string, std::string> split_columns(const std::string& s, std::size_t n) {
  std::size_t cols = 0, i = 0;
  while (i < s.size()) {
    if (const auto e = escape_len(s, i)) {
      i += e;
      continue;
    }
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (cols == n) break;
      ++cols;
    }
    ++i;
  }
  return {s.substr(0, i), s.substr(i)};
}

}  // namespace

std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    if (const auto e = escape_len(s, i)) {
      i += e;
      continue;
    }
    n += (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 ? 1 : 0;
    ++i;
  }
  return n;
}

std::vector<std::string> wrap_words(const std::string& s, std::size_t width) {
  if (width == 0 || display_width(s) <= width) return {s};
  std::vector<std::string> lines;
  std::string cur;
  std::size_t cur_w = 0;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    auto sp = s.find(' ', pos);
    if (sp == std::string::npos) sp = s.size();
    std::string word = s.substr(pos, sp - pos);
    pos = sp + 1;
    if (word.empty()) continue;
    std::size_t w = display_width(word);
    if (cur_w && cur_w + 1 + w <= width) {
      cur += " " + word;
      cur_w += 1 + w;
      continue;
    }
    if (cur_w) lines.push_back(std::move(cur));
    while (w > width) {  // a word wider than the line: cut it
      auto [head, tail] = split_columns(word, width);
      lines.push_back(std::move(head));
      word = std::move(tail);
      w -= width;
    }
    cur = std::move(word);
    cur_w = w;
  }
  if (cur_w || lines.empty()) lines.push_back(std::move(cur));
  return lines;
}

namespace {

constexpr std::size_t kSourceWidth = 40;
constexpr std::size_t kMinColumn = 12;  // a kernel column narrower than this is unreadable

struct Style {
  bool on;
  std::string operator()(Tone tone, const std::string& s) const { return paint(on, tone, s); }
};

std::string trim_right(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// A line of prose: wrapped at spaces to `width`, continuation lines indented two more than
// the first.
void prose(std::string& out, const std::string& line, std::size_t width) {
  const std::size_t indent = line.find_first_not_of(' ') == std::string::npos ? 0 : line.find_first_not_of(' ');
  if (width == 0 || display_width(line) <= width) {
    out += line + "\n";
    return;
  }
  const std::size_t body = std::max<std::size_t>(20, width > indent + 2 ? width - indent - 2 : 0);
  const auto lines = wrap_words(line.substr(indent), body);
  for (std::size_t i = 0; i < lines.size(); ++i)
    out += std::string(indent + (i ? 2 : 0), ' ') + lines[i] + "\n";
}

struct TableCell {
  std::string text;       // plain
  Tone style = Tone::plain;  // applied to each line of it
};
using TableRow = std::vector<TableCell>;

// Column widths for the columns `cols` given `budget` display columns (separators included):
// columns that fit at their natural width keep it, the rest share what is left.
std::vector<std::size_t> fill_widths(const std::vector<std::size_t>& natural,
                                     const std::vector<std::size_t>& cols, std::size_t budget) {
  std::vector<std::size_t> order(cols.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return natural[cols[a]] < natural[cols[b]]; });
  std::size_t left = budget > 2 * (cols.size() - 1) ? budget - 2 * (cols.size() - 1) : cols.size();
  std::vector<std::size_t> w(cols.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t share = std::max<std::size_t>(1, left / (order.size() - k));
    w[order[k]] = std::min(natural[cols[order[k]]], share);
    left -= std::min(left, w[order[k]]);
  }
  return w;
}

// The rows (the first one is the header) as aligned columns. The first `key` columns say
// which row it is; when the table is wider than `width`, the other columns are split into
// bands printed one after the other, each repeating the key columns, and cells wrap inside
// their column. Colour codes are applied after padding so they never disturb alignment.
void table(std::string& out, const std::vector<TableRow>& rows, std::size_t key,
           std::size_t width, const Style& st, const std::string& indent) {
  if (rows.empty()) return;
  const std::size_t n = rows.front().size();
  std::vector<std::size_t> natural(n, 0);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < n; ++i) natural[i] = std::max(natural[i], display_width(r[i].text));
  const std::size_t total = std::accumulate(natural.begin(), natural.end(), std::size_t{0}) + 2 * (n - 1);

  std::vector<std::pair<std::vector<std::size_t>, std::vector<std::size_t>>> bands;  // columns, widths
  if (width == 0 || key >= n || indent.size() + total <= width) {
    std::vector<std::size_t> all(n);
    std::iota(all.begin(), all.end(), 0);
    bands.push_back({all, natural});
  } else {
    const std::size_t room = width > indent.size() + 2 * kMinColumn ? width - indent.size() : 2 * kMinColumn;
    // The key columns take at most half the room: the widest of them wraps first.
    std::vector<std::size_t> key_w(natural.begin(), natural.begin() + key);
    auto key_total = [&] { return std::accumulate(key_w.begin(), key_w.end(), std::size_t{0}) + 2 * key; };
    while (key_total() > room / 2) {
      auto widest = std::max_element(key_w.begin(), key_w.end());
      if (*widest <= 6) break;
      --*widest;
    }
    const std::size_t avail = std::max(kMinColumn, room > key_total() ? room - key_total() : 0);
    for (std::size_t i = key; i < n;) {
      std::vector<std::size_t> band;
      std::size_t need = 0;
      for (std::size_t j = i; j < n; ++j) {
        const std::size_t more = std::min(natural[j], kMinColumn) + (band.empty() ? 0 : 2);
        if (!band.empty() && need + more > avail) break;
        band.push_back(j);
        need += more;
      }
      // Let the whole band keep its natural widths when they fit.
      std::vector<std::size_t> w = fill_widths(natural, band, avail);
      std::vector<std::size_t> cols, widths;
      for (std::size_t k = 0; k < key; ++k) cols.push_back(k), widths.push_back(key_w[k]);
      for (std::size_t k = 0; k < band.size(); ++k) cols.push_back(band[k]), widths.push_back(w[k]);
      bands.push_back({cols, widths});
      i += band.size();
    }
  }

  for (std::size_t b = 0; b < bands.size(); ++b) {
    const auto& [cols, widths] = bands[b];
    if (b) out += "\n";
    for (std::size_t r = 0; r < rows.size(); ++r) {
      std::vector<std::vector<std::string>> parts;
      std::size_t height = 0;
      bool any = false;
      for (std::size_t k = 0; k < cols.size(); ++k) {
        const auto& text = rows[r][cols[k]].text;
        any |= !text.empty();
        parts.push_back(text.empty() ? std::vector<std::string>{} : wrap_words(text, widths[k]));
        height = std::max(height, parts.back().size());
      }
      if (!any) continue;
      for (std::size_t l = 0; l < height; ++l) {
        std::string line = indent;
        for (std::size_t k = 0; k < cols.size(); ++k) {
          const std::string frag = l < parts[k].size() ? parts[k][l] : "";
          const std::size_t fw = display_width(frag);
          line += st(rows[r][cols[k]].style, frag);
          if (k + 1 < cols.size()) line += std::string(widths[k] > fw ? widths[k] - fw : 0, ' ') + "  ";
        }
        out += trim_right(line) + "\n";
      }
    }
  }
}

void render_divergence(std::string& out, const Matrix& m, const Row& row, const Style& st,
                       std::size_t width) {
  if (row.outcome_differs) {
    std::string line = "  outcome:";
    for (std::size_t c = 0; c < m.columns.size(); ++c)
      line += "  " + m.columns[c].label + ": " + compare::cell_outcome(row.cells[c]);
    prose(out, line, width);
  }
  if (row.state_differs && !row.events_differ) {
    std::string line = "  deciding state:";
    for (std::size_t c = 0; c < m.columns.size(); ++c)
      line += "  " + m.columns[c].label + ": " + row.cells[c].state;
    prose(out, line, width);
  }
  if (row.snapshot_differs) {
    std::string line = "  state after the step:";
    for (std::size_t c = 0; c < m.columns.size(); ++c)
      line += "  " + m.columns[c].label + ": " +
              (row.cells[c].snapshot.empty() ? "not read" : row.cells[c].snapshot);
    prose(out, line, width);
  }
  if (!row.divergence) {
    std::string untraced;
    for (const auto& c : m.columns)
      if (!c.traced) untraced += " " + c.label;
    if (!untraced.empty())
      prose(out, "  events not compared: untraced in" + untraced, width);
    else if (!row.events_differ)
      out += "  bucket events: identical\n";
    return;
  }
  const auto& d = *row.divergence;
  std::string skipped;
  for (std::size_t c = 0; c < d.compared.size(); ++c)
    if (!d.compared[c]) skipped += " " + m.columns[c].label;
  prose(out, "  first divergence at event #" + std::to_string(d.position + 1) +
                 (skipped.empty() ? "" : " (events not compared for" + skipped + ")") + ":",
        width);
  TableRow head = {{""}, {""}}, prev = {{""}, {"#" + std::to_string(d.position)}},
           at = {{"≠"}, {"#" + std::to_string(d.position + 1)}};
  for (std::size_t c = 0; c < d.compared.size(); ++c) {
    if (!d.compared[c]) continue;
    head.push_back({m.columns[c].label, Tone::bold});
    prev.push_back({d.previous[c] ? report::event_line(*d.previous[c]) : ""});
    at.push_back({d.at[c] ? report::event_line(*d.at[c]) : "(no more events)", Tone::red});
  }
  std::vector<TableRow> rows = {head};
  if (d.position > 0) rows.push_back(prev);
  rows.push_back(at);
  table(out, rows, 2, width, st, "    ");
}

}  // namespace

namespace {

// The table: a row per step shown, its outcome in each column, and under it (dim) the bucket
// states, when some column has one to tell.
std::vector<TableRow> step_rows(const Matrix& m, RowFilter filter) {
  std::vector<TableRow> rows;
  TableRow head = {{"", Tone::bold}, {"quiz", Tone::bold}, {"step", Tone::bold}, {"statement", Tone::bold}};
  for (const auto& c : m.columns) head.push_back({c.label, Tone::bold});
  rows.push_back(std::move(head));
  for (const auto& r : m.rows) {
    if (!render::shown(r, filter)) continue;
    TableRow a = {{r.differs() ? "≠" : "", Tone::bold_red},
                  {r.quiz},
                  {r.step < 0 ? "-" : std::to_string(r.step)},
                  {compare::shorten(r.source, kSourceWidth)}};
    TableRow b(4);
    for (const Cell& c : r.cells) {
      Tone code = c.differs ? Tone::bold_red : (!c.matched || c.outcome != "ok") ? Tone::yellow : Tone::plain;
      a.push_back({(c.differs ? "*" : "") + compare::cell_outcome(c), code});
      b.push_back({c.state, Tone::dim});
    }
    rows.push_back(std::move(a));
    // An untraced row has no bucket story to tell: no second line.
    const bool any_state = std::any_of(r.cells.begin(), r.cells.end(), [](const Cell& c) {
      return !c.state.empty() && c.state != "untraced";
    });
    if (any_state) rows.push_back(std::move(b));
  }
  return rows;
}

// After the table: each differing row's divergence, quizzes some reports lack, the reports.
void render_notes(std::string& out, const Matrix& m, const Style& st, std::size_t width) {
  if (m.differing_rows()) {
    out += "\n" + st(Tone::bold, "Differences") + "\n";
    for (const auto& r : m.rows) {
      if (!r.differs()) continue;
      prose(out, st(Tone::bold_red, "≠") + " " + r.quiz +
                     (r.step < 0 ? std::string(" (the quiz as a whole)")
                                 : " step " + std::to_string(r.step) +
                                       (r.line ? " (line " + std::to_string(r.line) + ")" : "") +
                                       ": " + r.source),
            width);
      render_divergence(out, m, r, st, width);
    }
  }

  if (!m.missing.empty()) {
    out += "\n" + st(Tone::bold, "Not compared") + " (quizzes missing from some reports)\n";
    for (const auto& miss : m.missing) {
      std::string line = "  " + m.columns[miss.column].label + " lacks:";
      for (const auto& q : miss.quizzes) line += " " + q;
      prose(out, line, width);
    }
  }

  out += "\n" + st(Tone::bold, "Reports") + "\n";
  for (const auto& c : m.columns) {
    std::string line = "  " + c.label + ": kernel " + (c.release.empty() ? "?" : c.release) +
                       ", " + c.where + ", trace " + (c.traced ? c.trace_mode : "none (untraced)");
    if (!c.file.empty()) line += ", " + c.file;
    prose(out, line, width);
  }
}

}  // namespace

std::string render_matrix_text(const Matrix& m, const MatrixTextOptions& opt) {
  const Style st{opt.color};
  const std::size_t width = opt.width;
  std::string out;
  std::size_t shown = 0;
  for (const auto& r : m.rows) shown += render::shown(r, opt.rows) ? 1 : 0;
  const std::size_t differ = m.differing_rows();
  prose(out,
        "tristate compare: " + std::to_string(m.columns.size()) + " reports, " +
            std::to_string(m.quizzes.size()) + " quizzes in common, " +
            std::to_string(m.rows.size()) + " steps (" + std::to_string(shown) + " shown" +
            (opt.rows == RowFilter::differ ? ": only those that differ" : "") + "), " +
            (differ ? st(Tone::bold_red, std::to_string(differ) + (differ == 1 ? " step differs" : " steps differ"))
                    : st(Tone::green, "all agree")),
        width);
  out += "\n";

  const std::vector<TableRow> rows = step_rows(m, opt.rows);
  if (rows.size() == 1) {
    out += opt.rows == RowFilter::differ ? "(no step differs)\n"
                                         : "(no step failed, differed or touched a bind bucket)\n";
  } else {
    table(out, rows, 4, width, st, "");
    out += "\n";
    prose(out, "✗ = output did not match the quiz's expectation; * = differs from the other "
               "reports; ≠ = the row differs", width);
  }
  render_notes(out, m, st, width);
  return out;
}

}  // namespace tristate::render
