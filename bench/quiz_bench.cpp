// Times every quiz run by tristate's runner (run_quiz: fork, private netns, C++ syscalls)
// against the same quiz as a Python doctest under `unshare --net -- python3` (the post's way),
// both in the same run, and prints per-quiz medians, the whole-suite time and the ratio.
// The Python twins come from bench/quiz_to_python.py. Exit 1 when a quiz does not come out
// as expected in either form (the comparison would be meaningless), 2 on bad usage.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "quiz/quiz_parser.hpp"
#include "quiz/quiz_runner.hpp"
#include "util/child_process.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Runs argv, stdout/stderr to /dev/null unless `quiet` is false; returns the exit status
// (127 when it cannot be started).
int run(const std::vector<std::string>& args, bool quiet = true) {
  tristate::util::ChildOptions o;
  o.in = tristate::util::ChildStream::inherit();
  if (quiet) o.out = o.err = tristate::util::ChildStream::dev_null();
  auto child = tristate::util::ChildProcess::exec(args, o);
  return child ? child.value().wait() : 127;
}

// Marks the readiness point, to split a quiz's time into making the sandbox (fork +
// unshare) and the rest (setup, steps, exit).
class ReadyClock : public tristate::quiz::Observer {
 public:
  void sandbox_ready(std::uint64_t, pid_t) override { at = Clock::now(); }
  void quiz_done(tristate::report::Quiz&) override {}
  Clock::time_point at{};
};

struct Row {
  std::string name;
  tristate::quiz::Quiz quiz;
  std::string twin;
  std::vector<double> ours, python, sandbox;
  std::string problem;
};

}  // namespace

int main(int argc, char** argv) {
  int rounds = 5;
  std::string dir = std::string(TRISTATE_SOURCE_DIR) + "/quizzes";
  std::string converter = std::string(TRISTATE_SOURCE_DIR) + "/bench/quiz_to_python.py";
  // Debian's interpreter when present: a pyenv-style `python3` shim would add its own
  // start-up time to the baseline and flatter the ratio.
  std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "quiz_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "-n") rounds = std::max(1, std::atoi(value().c_str()));
    else if (a == "--quizzes") dir = value();
    else if (a == "--converter") converter = value();
    else if (a == "--python") python = value();
    else {
      std::fprintf(stderr,
                   "usage: quiz_bench [-n ROUNDS] [--quizzes DIR] [--converter quiz_to_python.py] "
                   "[--python python3]\n");
      return 2;
    }
  }

  std::vector<Row> rows;
  try {
    for (const auto& p : tristate::quiz::resolve_quiz_paths({}, dir))
      rows.push_back({fs::path(p).stem().string(), tristate::quiz::load_quiz(p), {}, {}, {}, {}, {}});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "quiz_bench: %s\n", e.what());
    return 2;
  }
  if (rows.empty()) {
    std::fprintf(stderr, "quiz_bench: no .quiz file in %s\n", dir.c_str());
    return 2;
  }

  char tmpl[] = "/tmp/quiz_bench.XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::perror("quiz_bench: mkdtemp");
    return 2;
  }
  const fs::path tmp = tmpl;
  for (auto& r : rows) {
    r.twin = (tmp / (r.name + ".py")).string();
    if (run({python, converter, r.quiz.file, "-o", r.twin}, false) != 0)
      r.problem = "quiz_to_python.py failed";
  }

  // The post's command; without root, the user namespace variant it also shows.
  std::vector<std::string> unshare = {"unshare", "--net", "--"};
  if (geteuid() != 0) unshare = {"unshare", "--user", "--map-root-user", "--net", "--"};

  tristate::quiz::RunOptions opts;
  ReadyClock ready;
  opts.observer = &ready;
  std::vector<double> suite_ours, suite_python;
  for (int round = 0; round < rounds; ++round) {
    // Alternate the two so both see the same machine load.
    auto t_suite = Clock::now();
    for (auto& r : rows) {
      auto t0 = Clock::now();
      auto rep = tristate::quiz::run_quiz(r.quiz, opts);
      r.ours.push_back(ms_since(t0));
      r.sandbox.push_back(std::chrono::duration<double, std::milli>(ready.at - t0).count());
      if (rep.status != tristate::report::QuizStatus::ok && r.problem.empty())
        r.problem = "tristate: " + std::string(tristate::report::name(rep.status)) + (rep.error.empty() ? "" : " (" + rep.error + ")");
    }
    suite_ours.push_back(ms_since(t_suite));

    t_suite = Clock::now();
    for (auto& r : rows) {
      if (r.twin.empty()) continue;
      auto args = unshare;
      args.push_back(python);
      args.push_back(r.twin);
      auto t0 = Clock::now();
      int rc = run(args);
      r.python.push_back(ms_since(t0));
      if (rc != 0 && r.problem.empty())
        r.problem = "python twin exited " + std::to_string(rc);
    }
    suite_python.push_back(ms_since(t_suite));
  }
  std::error_code ec;
  fs::remove_all(tmp, ec);

  std::printf("quiz suite benchmark: %zu quizzes, %d rounds, medians (ms); baseline: %s %s\n",
              rows.size(), rounds, [&] {
                std::string u;
                for (const auto& a : unshare) u += (u.empty() ? "" : " ") + a;
                return u;
              }().c_str(), python.c_str());
  std::printf("%-32s %10s %9s %12s %8s\n", "quiz", "tristate", "(sandbox)", "python", "ratio");
  bool ok = true;
  for (const auto& r : rows) {
    const double o = median(r.ours), p = median(r.python);
    std::printf("%-32s %10.2f %9.2f %12.2f %7.1fx%s%s\n", r.name.c_str(), o, median(r.sandbox), p,
                o > 0 ? p / o : 0.0,
                r.problem.empty() ? "" : "  ! ", r.problem.c_str());
    if (!r.problem.empty()) ok = false;
  }
  const double so = median(suite_ours), sp = median(suite_python);
  std::printf("%-32s %10.2f %9s %12.2f %7.1fx\n", "whole suite", so, "", sp, so > 0 ? sp / so : 0.0);
  std::printf("(sandbox) = fork + unshare until the readiness point; the rest is setup, steps, exit\n");
  std::printf("per quiz (mean over the suite): tristate %.2f ms, python %.2f ms\n",
              so / static_cast<double>(rows.size()), sp / static_cast<double>(rows.size()));
  std::printf("target: whole suite well under 1 s: %s (%.0f ms; slowest round %.0f ms)\n",
              so < 1000 ? "met" : "NOT met", so,
              *std::max_element(suite_ours.begin(), suite_ours.end()));
  return ok ? 0 : 1;
}
