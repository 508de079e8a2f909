// The Matrix: several Reports (one per kernel or saved run) laid side by side, step by step.
// `compare()` builds it; renderers (text, markdown, HTML+SVG, JSON) only read it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "report/report.hpp"

namespace tristate::compare {

// 2: events (divergence) carry their bucket id as a string, as in tristate.report/2.
inline constexpr const char* kMatrixSchema = "tristate.matrix/2";

// Thrown for input that cannot be compared; the message names the file and the problem.
struct CompareError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One input: a Report and what to call its column.
struct LabelledReport {
  std::string label;  // column header; empty = let assign_labels() choose
  std::string file;   // where it was read from ("" when produced in memory)
  report::Report report;
};

struct Column {
  std::string label;
  std::string file;
  std::string release;  // kernel.release
  std::string where;    // host | guest
  std::string trace_mode;
  bool traced = false;  // events can be trusted to be complete for this column
  bool bhash2 = false;  // the report holds bucket2_* events (the kernel has bhash2)
  bool bhash2_state = false;  // its snapshots show bhash2 buckets with their own pair (6.18+)
};

struct Cell {
  bool present = true;     // the step exists in this column's report
  std::string outcome;     // "ok", an errno name, or "error" (quiz could not run)
  bool matched = true;     // output matched the quiz's expectation
  std::string state;       // bucket state that decided it: "port 60000: 0/0 (bind)",
                           // "no bucket event", "untraced", "" when !present
  std::string actual;      // what the step printed
  std::string snapshot;    // bucket state read after the step (report::state_line), "" if none
  std::size_t events = 0;  // bucket events attributed to the step
  bool differs = false;    // this cell is not like the others in its row
};

// Where the event sequences of one step first part ways.
struct Divergence {
  // Index into the compared sequence: Step::events, less bucket2_* events when some compared
  // column's kernel reported none at all (it has no bhash2, e.g. 5.10).
  std::size_t position = 0;
  // Per column (same order as Matrix::columns): the event at `position`, nullopt when the
  // sequence has ended there; columns not compared (untraced, absent) are nullopt too and
  // listed in `compared` as false.
  std::vector<std::optional<report::Event>> at;
  std::vector<std::optional<report::Event>> previous;  // event at position-1 (context)
  std::vector<bool> compared;
};

struct Row {
  std::string quiz;
  int step = 0;           // Step::index; -1 for the quiz-level row of a quiz that errored
  int line = 0;
  std::string source;
  std::vector<Cell> cells;  // one per column
  bool failed = false;      // an outcome is not "ok" or an expectation failed somewhere
  bool outcome_differs = false;  // outcome, expectation or presence differ
  bool state_differs = false;    // the deciding bucket state differs (traced columns only)
  bool events_differ = false;    // the event sequences differ (traced columns only)
  bool snapshot_differs = false; // the state read after the step differs (traced or not)
  bool has_events = false;
  bool state_changed = false;    // some column's snapshot differs from its previous step's
  std::optional<Divergence> divergence;

  bool differs() const { return outcome_differs || state_differs || events_differ || snapshot_differs; }
  bool matters() const { return failed || differs() || has_events || state_changed; }
};

// One move of a bind bucket, as drawn in the state diagram.
struct Transition {
  std::string from;  // "absent", "-1", "0", "+1", or a pair "-1/0" when the two differ
  std::string to;
  int step = 0;
  std::string source;  // the statement that caused it
  std::uint16_t port = 0;
};

// A distinct transition sequence of one quiz and the columns that produced it.
struct Diagram {
  std::string quiz;
  std::vector<std::size_t> columns;
  std::vector<Transition> transitions;
};

struct MissingQuizzes {
  std::size_t column = 0;
  std::vector<std::string> quizzes;  // present in another input, absent from this one
};

struct Matrix {
  std::vector<Column> columns;
  std::vector<std::string> quizzes;  // compared (common to every input), in input order
  std::vector<MissingQuizzes> missing;
  std::vector<Row> rows;             // every step of every common quiz
  std::vector<Diagram> diagrams;     // per quiz, one per distinct transition sequence

  bool agree() const;
  std::size_t differing_rows() const;
};

// Fills empty labels: the kernel release when it tells the inputs apart, else
// "file (release)", else the file name; duplicates get " #2", " #3".
void assign_labels(std::vector<LabelledReport>& inputs);

// The largest report `compare` reads. All 22 shipped quizzes untraced make 167 KB (measured
// on the host, 2026-12): 64 MiB is hundreds of traced suites; past it a file is not a report.
inline constexpr std::size_t kMaxReportBytes = 64u << 20;

// Reads and parses a saved report ("-": standard input, named "<stdin>"). Throws
// CompareError: missing/unreadable file, not JSON (FILE:LINE:COLUMN), another schema major,
// malformed document.
LabelledReport load_report(const std::string& path);

// Lays the inputs side by side. Throws CompareError when fewer than two inputs are given or
// no quiz is common to all of them. Quizzes missing from some inputs are listed, not compared.
Matrix compare(const std::vector<LabelledReport>& inputs);

}  // namespace tristate::compare
