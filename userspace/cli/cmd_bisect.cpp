// `tristate bisect QUIZ…`: which Debian kernel build first behaves differently. Runs the
// quizzes in guests of the builds the mirror offers between --from and --to (lab/kernel_history),
// searching k-ary with as many guests per round as there are cores (lab/bisect_search), and
// prints each boundary with the differing steps side by side and the first build's changelog
// entries since the last one on bind-bucket topics.
// Exit 0: the ends agree; 1: boundaries found; 2: bad input or an end that did not run.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli/command_boundary.hpp"
#include "cli/commands.hpp"
#include "cli/guest_run.hpp"
#include "render/render_matrix_text.hpp"
#include "report/event_text.hpp"
#include "report/state_text.hpp"
#include "cli/option_checks.hpp"
#include "cli/text_output.hpp"
#include "lab/bisect_search.hpp"
#include "lab/changelog.hpp"
#include "lab/kernel_history.hpp"
#include "lab/quiz_guest.hpp"
#include "quiz/quiz_parser.hpp"
#include "report/schemas.hpp"

namespace tristate::cli {
namespace {

// What a build's run is compared by: each step's outcome, or its outcome and the bucket state
// read after it (state-only changes, e.g. a bucket left -1/0 instead of -1/-1).
enum class BisectBy { Outcome, State };

struct BisectOptions {
  std::vector<std::string> names;
  std::string from, to;
  std::string by = "outcome";
  std::string json;
  int jobs = 0;
  int guest_timeout_s = 240;
  bool refresh = false;
};

BisectBy parse_by(const std::string& by) {
  if (by == "outcome") return BisectBy::Outcome;
  if (by == "state") return BisectBy::State;
  throw std::invalid_argument("--by '" + by + "': expected outcome or state");
}

// One step's outcome: what it printed or raised, call by call.
std::string step_signature(const report::Step& s, BisectBy by) {
  switch (by) {
    case BisectBy::Outcome: {
      std::string out = s.actual;
      for (auto& c : s.calls) out += "|" + (c.ok ? std::string("ok") : c.err_name);
      return out;
    }
    case BisectBy::State: {
      // The matrix's comparison key: ports and pairs, not which socket holds them (timing).
      // bhash2 pairs are left out: only 6.18+ keeps them, so a range across 6.18 would find
      // their appearance, not a behaviour. A step whose snapshot failed says so in its key.
      const std::string state = !s.state ? "none" : s.state->taken ? report::state_key(*s.state, false) : "unread";
      return step_signature(s, BisectBy::Outcome) + "|state " + state;
    }
  }
  return "";
}

std::string report_signature(const report::Report& r, BisectBy by) {
  std::string sig;
  for (auto& q : r.quizzes) {
    sig += "#" + q.name + ":" + std::string(report::name(q.status)) + "\n";
    for (auto& s : q.steps) sig += std::to_string(s.index) + "=" + step_signature(s, by) + "\n";
  }
  return sig;
}

std::string outcome_text(const report::Step& s) {
  for (auto& c : s.calls)
    if (!c.ok) return c.err_name;
  return s.actual.empty() ? "ok" : s.actual;
}

using Progress = std::function<void(const std::string&)>;

// The builds --from … --to covers, oldest first: one per upstream version (the newest Debian
// revision), since rebuilds of one version for two suites run the same code. Throws with the
// message to show when the range is empty or unknown.
std::vector<lab::KernelBuild> bisect_range(const BisectOptions& o, const lab::Cache& cache, const Progress& progress) {
  const std::vector<lab::KernelBuild> all = lab::available_builds(cache, progress, o.refresh);
  std::vector<lab::KernelBuild> builds;
  for (auto& b : all) {
    if (!builds.empty() && builds.back().upstream == b.upstream) builds.back() = b;
    else builds.push_back(b);
  }
  auto index_of = [&](const std::string& v, bool first) -> long {
    if (v.empty()) return first ? 0 : long(builds.size()) - 1;
    auto b = lab::find_build(builds, v);
    if (!b) return -1;
    for (std::size_t i = 0; i < builds.size(); ++i)
      if (builds[i].package == b->package) return long(i);
    return -1;
  };
  const long lo = index_of(o.from, true), hi = index_of(o.to, false);
  for (auto [v, i] : {std::pair{o.from, lo}, std::pair{o.to, hi}})
    if (i < 0)
      throw std::runtime_error("no build of " + v + " on this machine's mirror (`tristate kernels available` lists them)");
  if (lo >= hi)
    throw std::runtime_error("--from " + builds[lo].upstream + " must be an older build than --to " + builds[hi].upstream);
  return {builds.begin() + lo, builds.begin() + hi + 1};
}

// Boots the builds of one bisection round side by side and signs each one's report; keeps
// the reports for the boundaries' step listing. A build that cannot be fetched or run is a
// probe without signature (the search goes around it), not an error of the command.
struct Prober {
  const std::vector<lab::KernelBuild>& range;
  const lab::Cache& cache;
  const std::vector<std::string>& paths;
  const BisectOptions& o;
  const Globals& g;
  BisectBy by;
  int parallel;
  std::map<std::size_t, report::Report> reports;

  std::vector<lab::BuildProbe> operator()(const std::vector<std::size_t>& idx) {
    std::vector<lab::BuildProbe> out(idx.size());
    std::vector<lab::GuestJob> jobs;
    std::vector<std::size_t> slot;
    for (std::size_t k = 0; k < idx.size(); ++k) {
      const auto& b = range[idx[k]];
      try {
        auto kernel = lab::fetch_build(b, cache, [&](const std::string& l) { spdlog::info("[{}] {}", b.upstream, l); });
        lab::GuestJob job{kernel, lab::make_quiz_request(g.self_exe, paths, {})};
        job.request.timeout = std::chrono::seconds(o.guest_timeout_s);
        job.request.label = b.upstream;
        jobs.push_back(std::move(job));
        slot.push_back(k);
      } catch (const std::exception& e) {
        out[k] = {std::nullopt, "cannot fetch: " + describe_error(e)};
      }
    }
    const auto results = lab::run_guests(jobs, cache, parallel);
    for (std::size_t j = 0; j < results.size(); ++j) {
      const std::size_t k = slot[j];
      try {
        if (!results[j].ok) throw lab::GuestError(results[j].error, results[j].console_tail);
        auto rep = lab::quiz_report_from(jobs[j].kernel, jobs[j].request, results[j].result);
        out[k] = {report_signature(rep, by), ""};
        reports[idx[k]] = std::move(rep);
      } catch (const lab::GuestError& e) {
        out[k] = {std::nullopt, e.what()};
      }
      spdlog::info("[{}] {}", range[idx[k]].upstream,
                   out[k].signature ? "ran" : "did not run: " + out[k].error);
    }
    return out;
  }
};

// The steps that differ between the last good and the first bad build, with their events side
// by side; into `out` and the boundary's JSON.
void list_changed_steps(std::ostream& out, nlohmann::json& jb, const report::Report& ra, const report::Report& rb,
                        const lab::KernelBuild& good, const lab::KernelBuild& bad, BisectBy by) {
  auto state_of = [](const report::Step& st) {
    return !st.state ? std::string("not read") : st.state->taken ? report::state_line(*st.state) : "not read: " + st.state->error;
  };
  const bool by_state = by == BisectBy::State;
  for (std::size_t q = 0; q < ra.quizzes.size() && q < rb.quizzes.size(); ++q) {
    const auto& qa = ra.quizzes[q];
    const auto& qb = rb.quizzes[q];
    for (std::size_t s = 0; s < qa.steps.size() && s < qb.steps.size(); ++s) {
      const auto& sa = qa.steps[s];
      const auto& sb = qb.steps[s];
      if (step_signature(sa, by) == step_signature(sb, by)) continue;
      out << "  " << qa.name << " step " << sa.index << " (line " << sa.line << "): " << sa.source << "\n"
          << "    " << good.upstream << ": " << outcome_text(sa) << (by_state ? "   state: " + state_of(sa) : "") << "\n"
          << "    " << bad.upstream << ": " << outcome_text(sb) << (by_state ? "   state: " + state_of(sb) : "") << "\n";
      const std::size_t rows = std::max(sa.events.size(), sb.events.size());
      for (std::size_t e = 0; e < rows; ++e) {
        const std::string a = e < sa.events.size() ? report::event_line(sa.events[e]) : "";
        const std::string b = e < sb.events.size() ? report::event_line(sb.events[e]) : "";
        // padded by terminal columns, not bytes: the event lines hold "→" and "·"
        const std::size_t w = render::display_width(a);
        out << "      " << a << std::string(w < 58 ? 58 - w : 0, ' ') << " | " << b << "\n";
      }
      nlohmann::json js = {{"quiz", qa.name}, {"step", sa.index}, {"source", sa.source},
                           {"last_good", outcome_text(sa)}, {"first_bad", outcome_text(sb)}};
      if (by_state) {
        js["last_good_state"] = state_of(sa);
        js["first_bad_state"] = state_of(sb);
      }
      jb["steps"].push_back(std::move(js));
    }
  }
}

// The first bad build's changelog entries since the last good one that touch the bind code.
// A changelog that cannot be had is said in the report, not an error: the bisection stands.
void list_changelog(std::ostream& out, nlohmann::json& jb, const lab::KernelBuild& good, const lab::KernelBuild& bad,
                    const lab::Cache& cache, const Progress& progress) {
  std::string why;
  try {
    if (auto log = lab::build_changelog(bad, cache, progress, &why)) {
      const auto lines = lab::changelog_excerpt(lab::read_gzip_file(log->string()), good.upstream);
      out << "  changelog of " << bad.package << " since " << good.upstream << " (tcp, inet, bind, port, "
          << "bhash, hash, reuse): " << lines.size() << " entries\n";
      const std::size_t shown = std::min<std::size_t>(lines.size(), 25);
      for (std::size_t k = 0; k < shown; ++k) out << "    " << lines[k].version << ": " << lines[k].text << "\n";
      if (shown < lines.size()) out << "    … " << lines.size() - shown << " more (--json has them all)\n";
      for (auto& l : lines) jb["changelog"].push_back({{"version", l.version}, {"text", l.text}});
    } else {
      out << "  changelog: " << why << "\n";
      jb["changelog_missing"] = why;
    }
  } catch (const std::exception& e) {
    out << "  changelog: " << e.what() << "\n";
    jb["changelog_missing"] = e.what();
  }
}

int bisect(const BisectOptions& o, const Globals& g) {
  std::ostringstream discarded;  // -q: the exit status (and --json) only
  std::ostream& out = g.quiet ? discarded : std::cout;
  const BisectBy by = parse_by(o.by);
  const std::vector<std::string> paths = quiz::resolve_quiz_paths(o.names, g.quiz_dir);
  require_quiz_files_for_guests(paths);
  for (const auto& p : paths) quiz::load_quiz(p);  // a bad quiz is said before any download
  const auto cache = lab::Cache::from_environment();
  const Progress progress = [](const std::string& l) { spdlog::info("{}", l); };

  const std::vector<lab::KernelBuild> range = bisect_range(o, cache, progress);
  const int parallel = o.jobs > 0 ? o.jobs : int(std::max(1u, std::thread::hardware_concurrency()));
  std::size_t log2 = 0;
  while ((std::size_t(1) << log2) < range.size() - 1) ++log2;
  spdlog::info("bisecting {} builds, {} … {}, {} guest(s) per round", range.size(), range.front().upstream,
               range.back().upstream, parallel);

  const auto t0 = std::chrono::steady_clock::now();
  Prober prober{range, cache, paths, o, g, by, parallel, {}};
  const auto res = lab::bisect_builds(range.size(), std::size_t(parallel), std::ref(prober));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  nlohmann::json j = {{"schema", report::kBisectSchema}, {"from", range.front().upstream}, {"to", range.back().upstream}, {"by", o.by},
                      {"builds", range.size()}, {"boots", res.boots()}, {"rounds", res.rounds.size()},
                      {"log2_builds", log2}, {"wall_s", wall}};
  for (auto& [i, p] : res.probed)
    j["probed"].push_back({{"version", range[i].upstream}, {"package", range[i].package}, {"ran", bool(p.signature)},
                           {"error", p.error}});
  out << "bisected " << range.size() << " builds (" << range.front().upstream << " … "
            << range.back().upstream << "): " << res.boots() << " boots in " << res.rounds.size()
            << " rounds (ceil(log2 " << range.size() - 1 << ") = " << log2 << "), " << int(wall) << " s\n";
  for (auto& [i, p] : res.probed)
    if (!p.signature) out << "  skipped " << range[i].upstream << " (" << range[i].package << "): " << p.error << "\n";
  int rc = kExitOk;
  if (!res.error.empty()) {
    out << "cannot bisect: " << res.error << "\n";
    rc = kExitError;
  } else if (res.boundaries.empty()) {
    out << "no change: " << range.front().upstream << " and " << range.back().upstream
              << " give the same " << o.by << "s (changes that cancel out in between are not looked for)\n";
  } else {
    rc = kExitMismatch;
    if (res.boundaries.size() > 1)
      out << "the behaviour changes " << res.boundaries.size() << " times in this range:\n";
  }
  for (auto& bd : res.boundaries) {
    const auto& good = range[bd.last_good];
    const auto& bad = range[bd.first_bad];
    out << "\nlast like " << range.front().upstream << ": " << good.upstream << " (" << good.package << " "
              << good.version << ")\nfirst different: " << bad.upstream << " (" << bad.package << " "
              << bad.version << ")\n";
    nlohmann::json jb = {{"last_good", good.upstream}, {"first_bad", bad.upstream},
                         {"last_good_package", good.package}, {"first_bad_package", bad.package}};
    for (auto u : bd.unbootable_between) {
      out << "  (the change may also be in " << range[u].upstream << ", which did not run)\n";
      jb["unbootable_between"].push_back(range[u].upstream);
    }
    list_changed_steps(out, jb, prober.reports.at(bd.last_good), prober.reports.at(bd.first_bad), good, bad, by);
    list_changelog(out, jb, good, bad, cache, progress);
    j["boundaries"].push_back(jb);
  }
  if (!j.contains("boundaries")) j["boundaries"] = nlohmann::json::array();
  if (!res.error.empty()) j["error"] = res.error;
  out << std::flush;
  if (!o.json.empty() && !write_json(o.json, j))
    return kExitError;
  if (!std::cout) return kExitError;
  return rc;
}


}  // namespace

void add_bisect_command(CLI::App& app, Globals& g) {
  auto o = std::make_shared<BisectOptions>();
  auto* sub = app.add_subcommand(
      "bisect",
      "Find the first Debian kernel build whose quiz outcomes differ from --from's, among the\n"
      "builds the machine's mirror offers (`tristate kernels available`). Boots as many guests\n"
      "per round as there are cores. Exit 0: no change; 1: boundaries found; 2: error.");
  sub->add_option("quizzes", o->names, "Quiz names or files")->required();
  sub->add_option("--from", o->from, "Oldest build (version 6.12.95 or minor 6.16); default: the oldest");
  sub->add_option("--to", o->to, "Newest build; default: the newest");
  sub->add_option("--by", o->by, "What differs: outcome (each step's result) or state (its result and the bucket state read after it)")
      ->default_val("outcome");
  add_quiet_flag(*sub, g, "only the exit status and --json");
  sub->add_option("--json", o->json, "Also write the result as JSON to FILE (- = stdout)")
      ->type_name("FILE")
      ->check(kOutputFile);
  sub->add_option("-j,--jobs", o->jobs, "Guests per round, 1..64 (default: number of cores)")
      ->check(CLI::Range(1, 64));  // each guest may take 1 GiB
  using namespace std::chrono_literals;
  sub->add_option("--guest-timeout", o->guest_timeout_s,
                  "Time a guest may take, boot included: 4m, 90s, ... (a plain number is seconds)")
      ->default_str("240s")
      ->type_name("DURATION")
      ->transform(duration_in(1s, 5s, 1h));
  sub->add_flag("--refresh", o->refresh, "Update the package lists first (else at most daily)");
  sub->footer("Example:\n  tristate bisect release-between-connects --from 6.12 --to 7.2");
  sub->callback([o, &g] { g.exit_code = bisect(*o, g); });
}

}  // namespace tristate::cli
