// The check side of state assertions (`>>> # state s1: -1/-1 [bhash2 -1/-1]`, parsed into
// quiz::StateAssert by the quiz parser): each assertion against the snapshot taken after its
// statement, by the runner as each step comes in. A template over the assertion's shape
// (sock, fastreuse, fastreuseport, optional bhash2 pair, loc, text) so it can be tested with
// hand-made structs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/report.hpp"
#include "report/state_text.hpp"

namespace tristate::quiz {

using report::CheckOutcome;

struct StateCheckResult {
  CheckOutcome outcome = CheckOutcome::not_checked;
  std::string sock;
  int line = 0, column = 0;
  std::string text;    // the assertion as written
  std::string actual;  // what was read: "-1/0", "-1/-1 [bhash2 0/0]", "not bound", …
  std::string why;     // for NotChecked (and a Diff's detail)
};

// True when a result must make the step (and the quiz's exit code) a mismatch.
inline bool any_diff(const std::vector<StateCheckResult>& results) {
  for (const auto& r : results)
    if (r.outcome == CheckOutcome::diff) return true;
  return false;
}

template <typename Assert>
std::vector<StateCheckResult> check_state(const std::vector<Assert>& asserts,
                                          const std::optional<report::StepState>& snapshot) {
  std::vector<StateCheckResult> out;
  for (const auto& a : asserts) {
    StateCheckResult r;
    r.sock = a.sock;
    r.line = a.loc.line;
    r.column = a.loc.column;
    r.text = a.text;
    if (!snapshot) {
      r.why = "no bucket state was read (snapshots off or BPF iterators refused)";
      out.push_back(std::move(r));
      continue;
    }
    if (!snapshot->taken) {
      r.why = "the snapshot after this step failed: " + snapshot->error;
      out.push_back(std::move(r));
      continue;
    }
    const report::SockState* sock = nullptr;
    for (const auto& s : snapshot->sockets)
      if (s.name == a.sock) sock = &s;
    bool gone = false;
    for (const auto& g : snapshot->gone) gone |= g == a.sock;
    if (!sock) {
      if (gone) {
        r.why = a.sock + " was closed between the step and the snapshot";
      } else {
        r.outcome = CheckOutcome::diff;
        r.actual = "no open socket " + a.sock;
      }
      out.push_back(std::move(r));
      continue;
    }
    if (!sock->port) {
      r.outcome = CheckOutcome::diff;
      r.actual = "not bound";
      out.push_back(std::move(r));
      continue;
    }
    const report::BucketState want{a.fastreuse, a.fastreuseport};
    r.actual = report::pair_text(sock->state);
    if (sock->state2) r.actual += " [bhash2 " + report::pair_text(*sock->state2) + "]";
    bool differs = !(sock->state == want);
    bool unread = false;
    if (a.bhash2) {
      const report::BucketState want2{a.bhash2->first, a.bhash2->second};
      if (sock->state2)
        differs |= !(*sock->state2 == want2);
      else
        unread = true;
    }
    if (differs) {
      r.outcome = CheckOutcome::diff;
    } else if (unread) {
      r.why = sock->bhash2 ? "this kernel's bhash2 buckets have no state of their own (6.18+)"
                           : "this kernel has no bhash2 (6.1+)";
      r.why += "; the bhash pair matched";
    } else {
      r.outcome = CheckOutcome::passed;
    }
    out.push_back(std::move(r));
  }
  return out;
}

// Records the results under the step; a DIFF makes the step a mismatch (its status and the
// exit code follow, as for a wrong errno).
inline void record_state_checks(report::Step& step, const std::vector<StateCheckResult>& results) {
  for (const auto& r : results) {
    step.state_checks.push_back({r.outcome, r.sock, r.line, r.column, r.text,
                                 r.outcome == CheckOutcome::not_checked ? "" : r.actual, r.why});
    if (r.outcome == CheckOutcome::diff) step.matched = false;
  }
}

}  // namespace tristate::quiz
