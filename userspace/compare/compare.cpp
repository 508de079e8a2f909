#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "compare/bucket_view.hpp"
#include "compare/matrix.hpp"

#include "report/state_text.hpp"

namespace tristate::compare {

using report::Event;
using report::Quiz;
using report::Step;

bool Matrix::agree() const { return differing_rows() == 0; }

std::size_t Matrix::differing_rows() const {
  return static_cast<std::size_t>(
      std::count_if(rows.begin(), rows.end(), [](const Row& r) { return r.differs(); }));
}

namespace {

std::string who_is(const LabelledReport& in) { return in.file.empty() ? in.label : in.file; }

std::string name_list(const std::vector<std::string>& names, std::size_t shown = 3) {
  std::string s;
  for (std::size_t i = 0; i < names.size() && i < shown; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > shown) s += ", … " + std::to_string(names.size()) + " in all";
  if (names.empty()) s = "no quizzes";
  return s;
}

bool column_has_bhash2(const report::Report& r) {
  for (const Quiz& q : r.quizzes) {
    for (const Step& s : q.steps)
      for (const Event& e : s.events)
        if (report::is_bhash2(e.kind)) return true;
    for (const Event& e : q.background)
      if (report::is_bhash2(e.kind)) return true;
  }
  return false;
}

bool column_traced(const report::Report& r) {
  if (r.trace.mode != report::TraceMode::none) return true;
  // A document whose producer forgot the mode but carries events was traced all the same.
  for (const Quiz& q : r.quizzes)
    for (const Step& s : q.steps)
      if (!s.events.empty()) return true;
  return false;
}

std::string outcome_of(const Step& s) {
  for (const auto& c : s.calls) {
    if (c.ok) continue;
    if (!c.err_name.empty()) return c.err_name;
    return c.err ? "errno " + std::to_string(c.err) : "error";
  }
  return "ok";
}

bool same_sequence(const std::vector<Event>& a, const std::vector<Event>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_event(a[i], b[i])) return false;
  return true;
}

// Flags the cells whose value is not the row's most common one (ties: the earliest column's
// value wins, so with two inputs the first is the reference and the second is flagged).
template <typename Key>
void flag_minority(std::vector<Cell>& cells, const std::vector<bool>& eligible, Key key) {
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < cells.size(); ++i)
    if (eligible[i]) idx.push_back(i);
  std::size_t best = cells.size(), best_count = 0;
  for (std::size_t i : idx) {
    std::size_t n = 0;
    for (std::size_t j : idx) n += key(i) == key(j) ? 1 : 0;
    if (n > best_count) best = i, best_count = n;
  }
  if (best == cells.size()) return;
  for (std::size_t i : idx)
    if (!(key(i) == key(best))) cells[i].differs = true;
}

struct QuizInputs {
  std::vector<const Quiz*> per_column;  // never null for a common quiz
};

// Compares the traced columns' event sequences of one step; returns the sequences as compared
// (per column, empty for columns left out).
std::vector<std::vector<Event>> compare_events(Row& row, const std::vector<const Step*>& steps,
                                               const std::vector<Column>& columns) {
  std::vector<bool> compared(columns.size(), false);
  std::vector<std::size_t> idx;
  for (std::size_t c = 0; c < columns.size(); ++c)
    if (columns[c].traced && steps[c]) compared[c] = true, idx.push_back(c);
  std::vector<std::vector<Event>> seq(columns.size());
  if (idx.size() < 2) return seq;

  for (std::size_t k = 1; k < idx.size() && !row.state_differs; ++k)
    row.state_differs = row.cells[idx[k]].state != row.cells[idx[0]].state;

  // A kernel without bhash2 cannot produce bucket2_* events: that absence is not a
  // difference in behaviour, so such events are compared only among kernels that have them.
  bool all_bhash2 = true;
  for (std::size_t c : idx) all_bhash2 &= columns[c].bhash2;
  for (std::size_t c : idx)
    for (const Event& e : steps[c]->events)
      if (all_bhash2 || !report::is_bhash2(e.kind)) seq[c].push_back(e);

  for (std::size_t k = 1; k < idx.size() && !row.events_differ; ++k)
    row.events_differ = !same_sequence(seq[idx[k]], seq[idx[0]]);
  if (!row.events_differ) return seq;

  std::size_t longest = 0;
  for (std::size_t c : idx) longest = std::max(longest, seq[c].size());
  std::size_t pos = 0;
  for (; pos < longest; ++pos) {
    const auto& first = seq[idx[0]];
    bool all_same = true;
    for (std::size_t k = 1; k < idx.size() && all_same; ++k) {
      const auto& other = seq[idx[k]];
      const bool a = pos < first.size(), b = pos < other.size();
      all_same = a == b && (!a || same_event(first[pos], other[pos]));
    }
    if (!all_same) break;
  }
  Divergence d;
  d.position = pos;
  d.compared = compared;
  d.at.resize(columns.size());
  d.previous.resize(columns.size());
  for (std::size_t c : idx) {
    const auto& ev = seq[c];
    if (pos < ev.size()) d.at[c] = ev[pos];
    if (pos > 0 && pos - 1 < ev.size()) d.previous[c] = ev[pos - 1];
  }
  row.divergence = std::move(d);
  return seq;
}

// A quiz that could not run at all (sandbox failure) gets one row saying so.
void add_quiz_error_row(Matrix& m, const std::string& name, const QuizInputs& qi) {
  const std::size_t ncol = m.columns.size();
  bool any_error = false;
  for (const Quiz* q : qi.per_column) any_error |= q->status == report::QuizStatus::error;
  if (!any_error) return;
  Row row;
  row.quiz = name;
  row.step = -1;
  row.source = "(the quiz as a whole)";
  for (const Quiz* q : qi.per_column) {
    Cell c;
    const bool err = q->status == report::QuizStatus::error;
    c.outcome = err ? "error" : "ok";
    c.matched = !err;
    c.actual = q->error;
    c.state = "";
    row.cells.push_back(std::move(c));
  }
  row.failed = true;
  for (std::size_t i = 1; i < ncol; ++i)
    row.outcome_differs |= row.cells[i].outcome != row.cells[0].outcome;
  std::vector<bool> all(ncol, true);
  flag_minority(row.cells, all, [&](std::size_t i) { return row.cells[i].outcome; });
  m.rows.push_back(std::move(row));
}

// One quiz's steps across the columns. Rows are keyed by step index + source: the same index
// with another text is another step (the quiz file changed between the runs), shown absent
// where it did not run.
struct StepIndex {
  std::vector<std::pair<int, std::string>> keys;  // in row order
  std::map<std::pair<int, std::string>, std::vector<const Step*>> by_key;
  std::unordered_map<const Step*, std::string> state_of;  // walked in each report's own order
  std::unordered_map<const Step*, bool> snapshot_changed;  // vs the column's previous step
  std::unordered_map<const Step*, std::string> snapshot_key;  // what columns are compared on
};

StepIndex index_steps(const Matrix& m, const QuizInputs& qi) {
  const std::size_t ncol = m.columns.size();
  StepIndex ix;
  bool all_bhash2_state = true;  // bhash2 pairs are compared only when every column has them
  for (const auto& col : m.columns) all_bhash2_state &= col.bhash2_state;
  for (std::size_t c = 0; c < ncol; ++c) {
    BucketTracker tracker;
    std::string previous_snapshot = "no bucket";  // before step 1 (listeners aside)
    for (const Step& s : qi.per_column[c]->steps)
      if (s.state && s.state->taken) ix.snapshot_key[&s] = report::state_key(*s.state, all_bhash2_state);
    for (const Step& s : qi.per_column[c]->steps) {
      ix.state_of[&s] = tracker.step_state(s.events);
      if (s.state && s.state->taken) {
        const std::string now = report::state_key(*s.state, all_bhash2_state);
        ix.snapshot_changed[&s] = now != previous_snapshot;
        previous_snapshot = now;
      }
      auto key = std::make_pair(s.index, s.source);
      auto [it, fresh] = ix.by_key.try_emplace(key, std::vector<const Step*>(ncol, nullptr));
      if (fresh) ix.keys.push_back(key);
      if (!it->second[c]) it->second[c] = &s;
    }
  }
  std::stable_sort(ix.keys.begin(), ix.keys.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return ix;
}

// The row's cells as each column saw the step, without the comparison flags.
Row step_cells(const Matrix& m, const std::string& name, const std::pair<int, std::string>& key,
               const std::vector<const Step*>& steps, StepIndex& ix) {
  Row row;
  row.quiz = name;
  row.step = key.first;
  row.source = key.second;
  for (std::size_t c = 0; c < m.columns.size(); ++c) {
    Cell cell;
    const Step* s = steps[c];
    if (!s) {
      cell.present = false;
      cell.matched = false;
      row.cells.push_back(std::move(cell));
      continue;
    }
    if (!row.line) row.line = s->line;
    cell.outcome = outcome_of(*s);
    cell.matched = s->matched;
    cell.actual = s->actual;
    cell.events = s->events.size();
    if (s->state && s->state->taken) cell.snapshot = report::state_line(*s->state);
    cell.state = m.columns[c].traced ? ix.state_of[s]
                 : cell.snapshot.empty() ? "untraced"
                                         : "after: " + cell.snapshot;
    row.state_changed |= ix.snapshot_changed[s];
    row.failed |= cell.outcome != "ok" || !cell.matched;
    row.has_events |= cell.events > 0;
    row.cells.push_back(std::move(cell));
  }
  return row;
}

// Sets what differs between the columns of `row` and flags the cells in the minority.
void flag_differences(Row& row, const std::vector<const Step*>& steps, const std::vector<Column>& columns,
                      StepIndex& ix) {
  const std::size_t ncol = columns.size();
  auto outcome_key = [&](std::size_t i) {
    const Cell& c = row.cells[i];
    return std::make_tuple(c.present, c.outcome, c.matched);
  };
  for (std::size_t i = 1; i < ncol; ++i) row.outcome_differs |= outcome_key(i) != outcome_key(0);
  const auto compared = compare_events(row, steps, columns);

  std::vector<bool> read(ncol);  // columns whose state after the step was read
  std::vector<std::string> keys(ncol);
  std::size_t first_read = ncol;
  for (std::size_t c = 0; c < ncol; ++c) {
    read[c] = !row.cells[c].snapshot.empty();
    if (read[c]) keys[c] = ix.snapshot_key[steps[c]];
    if (read[c] && first_read == ncol) first_read = c;
  }
  for (std::size_t c = 0; c < ncol; ++c)
    row.snapshot_differs |= read[c] && keys[c] != keys[first_read];

  if (row.outcome_differs) {
    std::vector<bool> all(ncol, true);
    flag_minority(row.cells, all, outcome_key);
  }
  if (row.snapshot_differs)
    flag_minority(row.cells, read, [&](std::size_t i) { return keys[i]; });
  if (row.state_differs || row.events_differ) {
    std::vector<bool> traced(ncol);
    for (std::size_t c = 0; c < ncol; ++c) traced[c] = columns[c].traced && steps[c];
    flag_minority(row.cells, traced, [&](std::size_t i) {
      // Two cells agree on their bucket story when state and event sequence are the same.
      std::size_t same_as = i;
      for (std::size_t j = 0; j < i; ++j)
        if (traced[j] && row.cells[j].state == row.cells[i].state &&
            same_sequence(compared[j], compared[i])) {
          same_as = j;
          break;
        }
      return same_as;
    });
  }
}

void add_quiz_rows(Matrix& m, const std::string& name, const QuizInputs& qi) {
  add_quiz_error_row(m, name, qi);
  StepIndex ix = index_steps(m, qi);
  for (const auto& key : ix.keys) {
    const auto& steps = ix.by_key[key];
    Row row = step_cells(m, name, key, steps, ix);
    flag_differences(row, steps, m.columns, ix);
    m.rows.push_back(std::move(row));
  }
}

bool same_transitions(const std::vector<Transition>& a, const std::vector<Transition>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].from != b[i].from || a[i].to != b[i].to || a[i].step != b[i].step ||
        a[i].source != b[i].source || a[i].port != b[i].port)
      return false;
  return true;
}

void add_quiz_diagrams(Matrix& m, const std::string& name, const QuizInputs& qi) {
  std::vector<Diagram> found;
  for (std::size_t c = 0; c < m.columns.size(); ++c) {
    if (!m.columns[c].traced) continue;
    std::vector<Transition> seq;
    for (const Step& s : qi.per_column[c]->steps) {
      auto t = transitions_of(s);
      seq.insert(seq.end(), std::make_move_iterator(t.begin()), std::make_move_iterator(t.end()));
    }
    auto it = std::find_if(found.begin(), found.end(), [&](const Diagram& d) {
      return same_transitions(d.transitions, seq);
    });
    if (it != found.end()) {
      it->columns.push_back(c);
    } else {
      found.push_back(Diagram{name, {c}, std::move(seq)});
    }
  }
  // A quiz that never moved a bucket anywhere has nothing to draw.
  const bool any = std::any_of(found.begin(), found.end(),
                               [](const Diagram& d) { return !d.transitions.empty(); });
  if (!any) return;
  for (auto& d : found) m.diagrams.push_back(std::move(d));
}

}  // namespace

Matrix compare(const std::vector<LabelledReport>& inputs) {
  if (inputs.size() < 2)
    throw CompareError("compare needs at least two reports, got " +
                       std::to_string(inputs.size()));
  Matrix m;
  for (const auto& in : inputs) {
    Column col;
    col.label = in.label.empty() ? (in.file.empty() ? in.report.kernel.release : in.file)
                                 : in.label;
    col.file = in.file;
    col.release = in.report.kernel.release;
    col.where = in.report.where;
    col.trace_mode = report::name(in.report.trace.mode);
    col.traced = column_traced(in.report);
    for (const auto& q : in.report.quizzes)
      for (const auto& st : q.steps)
        if (st.state)
          for (const auto& so : st.state->sockets) col.bhash2_state |= so.state2.has_value();
    col.bhash2 = column_has_bhash2(in.report);
    m.columns.push_back(std::move(col));
  }

  // Index each input's quizzes by name (the first of a name wins).
  std::vector<std::unordered_map<std::string, const Quiz*>> index(inputs.size());
  std::vector<std::vector<std::string>> names(inputs.size());
  for (std::size_t c = 0; c < inputs.size(); ++c)
    for (const Quiz& q : inputs[c].report.quizzes)
      if (index[c].try_emplace(q.name, &q).second) names[c].push_back(q.name);

  for (const auto& n : names[0]) {
    bool everywhere = true;
    for (std::size_t c = 1; c < inputs.size() && everywhere; ++c) everywhere = index[c].count(n);
    if (everywhere) m.quizzes.push_back(n);
  }
  if (m.quizzes.empty()) {
    std::string msg = "no quiz in common between ";
    for (std::size_t c = 0; c < inputs.size(); ++c) {
      if (c) msg += c + 1 == inputs.size() ? " and " : ", ";
      msg += who_is(inputs[c]) + " (" + name_list(names[c]) + ")";
    }
    throw CompareError(msg);
  }

  // What each input lacks of what the others have.
  std::vector<std::string> all_names;
  std::unordered_set<std::string> seen;
  for (const auto& list : names)
    for (const auto& n : list)
      if (seen.insert(n).second) all_names.push_back(n);
  for (std::size_t c = 0; c < inputs.size(); ++c) {
    MissingQuizzes miss{c, {}};
    for (const auto& n : all_names)
      if (!index[c].count(n)) miss.quizzes.push_back(n);
    if (!miss.quizzes.empty()) m.missing.push_back(std::move(miss));
  }

  for (const auto& name : m.quizzes) {
    QuizInputs qi;
    for (std::size_t c = 0; c < inputs.size(); ++c) qi.per_column.push_back(index[c][name]);
    add_quiz_rows(m, name, qi);
    add_quiz_diagrams(m, name, qi);
  }
  return m;
}

}  // namespace tristate::compare
