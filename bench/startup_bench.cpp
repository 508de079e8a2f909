// Whole-process times of `tristate quiz` on this machine (host parts), each beside
// its baseline measured in the same run, the variants rotated round by round:
//  1. One quiz (default post-3), what a user runs most: `tristate quiz Q` (tracing refused here
//     or not, the bucket state snapshot after each step included), `--no-trace --no-state`,
//     and the post's way, `unshare --net -- python3 Q.py` (targets: <= 15 ms, <= 8 ms).
//  2. Every shipped quiz: `tristate quiz -j 1` against `-j N` (N: this process's CPUs; target
//     <= 0.6x of -j 1 on 2 cores), beside the kernel's own floor: as many forked children, each
//     making a network namespace and exiting, one at a time and N side by side (this binary,
//     `--netns-floor`). The kernel makes and tears down namespaces largely one at a time, so
//     this ratio is what no tristate change can go below for that part of a quiz.
// Wall time medians and minimums, and the processes' CPU time (user + sys, from wait4): on a
// shared machine the minimum and the CPU time say more than the median.
// usage: startup_bench TRISTATE [-n ROUNDS] [--quiz NAME] [--jobs N]
// Exit 1 when a run does not exit 0 (the figures would be of a failure), 2 on bad usage.
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Sample {
  double wall_ms = 0, cpu_ms = 0;
  int status = 0;
};

Sample run(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  Sample s;
  const auto t0 = Clock::now();
  pid_t pid;
  if (posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) {
    s.status = 127;
  } else {
    int status = 0;
    rusage ru{};
    wait4(pid, &status, 0, &ru);
    s.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    s.cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
  }
  s.wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  posix_spawn_file_actions_destroy(&fa);
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

struct Variant {
  std::string label;
  std::vector<std::string> args;
  std::vector<double> wall, cpu;
  std::string problem;
  double med() const { return median(wall); }
  double min() const { return wall.empty() ? 0 : *std::min_element(wall.begin(), wall.end()); }
};

void print(const Variant& v, const Variant* base) {
  std::printf("  %-44s median %7.1f ms  min %7.1f ms  cpu %7.1f ms", v.label.c_str(), v.med(), v.min(), median(v.cpu));
  if (base && base->med() > 0) std::printf("  %5.2fx of %s (min %5.2fx)", v.med() / base->med(), base->label.c_str(), v.min() / base->min());
  std::printf("%s%s\n", v.problem.empty() ? "" : "  ! ", v.problem.c_str());
}

void measure(std::vector<Variant>& vs, int rounds) {
  for (int r = 0; r < rounds; ++r)
    for (std::size_t k = 0; k < vs.size(); ++k) {
      auto& v = vs[(k + static_cast<std::size_t>(r)) % vs.size()];  // rotate: each sees the same load
      const Sample s = run(v.args);
      v.wall.push_back(s.wall_ms);
      v.cpu.push_back(s.cpu_ms);
      if (s.status != 0 && v.problem.empty()) v.problem = "exit status " + std::to_string(s.status);
    }
}

// The kernel's part of a quiz sandbox alone: `count` forked children, each entering a new
// network namespace and exiting at once, `jobs` at a time. Exit 1 when one could not.
int netns_floor(int jobs, int count) {
  std::atomic<int> next{0}, failed{0};
  auto worker = [&] {
    while (next.fetch_add(1) < count) {
      const pid_t pid = fork();
      if (pid == 0) _exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
      int status = 0;
      if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < jobs; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  return failed ? 1 : 0;
}

int usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  return sched_getaffinity(0, sizeof set, &set) == 0 ? std::max(1, CPU_COUNT(&set)) : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--netns-floor") return netns_floor(std::atoi(argv[2]), std::atoi(argv[3]));
  if (argc < 2 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: startup_bench TRISTATE [-n ROUNDS] [--quiz NAME] [--jobs N]\n");
    return 2;
  }
  const std::string ts = argv[1];
  int rounds = 15, jobs = usable_cpus();
  std::string quiz = "post-3";
  const std::string dir = std::string(TRISTATE_SOURCE_DIR) + "/quizzes";
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "startup_bench: %s needs a value\n", a.c_str());
      return 2;
    }
    if (a == "-n") rounds = std::max(1, std::atoi(argv[++i]));
    else if (a == "--quiz") quiz = argv[++i];
    else if (a == "--jobs") jobs = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "startup_bench: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  // The post's way as the baseline: the quiz as a Python doctest (bench/quiz_to_python.py).
  char tmpl[] = "/tmp/startup_bench.XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::perror("startup_bench: mkdtemp");
    return 2;
  }
  const std::string twin = std::string(tmpl) + "/" + quiz + ".py";
  const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  const bool have_twin =
      run({python, std::string(TRISTATE_SOURCE_DIR) + "/bench/quiz_to_python.py", dir + "/" + quiz + ".quiz", "-o", twin})
          .status == 0;

  setenv("TRISTATE_QUIZ_DIR", dir.c_str(), 1);
  const std::vector<std::string> q = {ts, "quiz", "-q"};
  auto with = [&](std::vector<std::string> extra) {
    auto a = q;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  std::vector<Variant> one = {
      {"tristate quiz " + quiz, with({quiz}), {}, {}, {}},
      {"tristate quiz " + quiz + " --no-trace --no-state", with({quiz, "--no-trace", "--no-state"}), {}, {}, {}},
  };
  if (have_twin) one.push_back({"unshare --net -- python3 " + quiz + ".py", {"unshare", "--net", "--", python, twin}, {}, {}, {}});
  measure(one, rounds);

  const std::string j = std::to_string(jobs);
  int shipped = 0;
  for (const auto& e : fs::directory_iterator(dir)) shipped += e.path().extension() == ".quiz";
  const std::string self = fs::read_symlink("/proc/self/exe").string(), n = std::to_string(shipped);
  std::vector<Variant> suite = {
      {"tristate quiz -j 1 (every shipped quiz)", with({"-j", "1"}), {}, {}, {}},
      {"tristate quiz -j " + j, with({"-j", j}), {}, {}, {}},
      {"kernel alone: " + n + " namespaces, 1 at a time", {self, "--netns-floor", "1", n}, {}, {}, {}},
      {"kernel alone: " + n + " namespaces, " + j + " at a time", {self, "--netns-floor", j, n}, {}, {}, {}},
  };
  measure(suite, std::max(3, rounds / 3));
  std::error_code ec;
  fs::remove_all(tmpl, ec);

  std::printf("startup_bench: whole processes, %d rounds (suite: %d), variants rotated; load %s\n", rounds,
              std::max(3, rounds / 3), [] {
                double l[3] = {0, 0, 0};
                getloadavg(l, 3);
                static char b[64];
                std::snprintf(b, sizeof b, "%.2f %.2f %.2f", l[0], l[1], l[2]);
                return b;
              }());
  std::printf("one quiz:\n");
  const Variant* py = have_twin ? &one[2] : nullptr;
  print(one[0], py);
  print(one[1], py);
  if (py) print(*py, nullptr);
  std::printf("  target: %s <= 15 ms: %s (median), %s (min); --no-trace --no-state <= 8 ms: %s (median), %s (min)\n",
              quiz.c_str(), one[0].med() <= 15 ? "met" : "NOT met", one[0].min() <= 15 ? "met" : "NOT met",
              one[1].med() <= 8 ? "met" : "NOT met", one[1].min() <= 8 ? "met" : "NOT met");
  std::printf("every shipped quiz (%d CPUs usable):\n", usable_cpus());
  print(suite[0], nullptr);
  print(suite[1], &suite[0]);
  print(suite[2], nullptr);
  print(suite[3], &suite[2]);
  const double ratio = suite[0].med() > 0 ? suite[1].med() / suite[0].med() : 0;
  const double floor = suite[2].med() > 0 ? suite[3].med() / suite[2].med() : 0;
  std::printf("  target: -j %s <= 0.6x of -j 1: %s (%.2fx; the kernel's floor for the namespaces alone: %.2fx)\n", j.c_str(),
              ratio <= 0.6 ? "met" : "NOT met", ratio, floor);
  bool ok = true;
  for (const auto& v : suite) ok = ok && v.problem.empty();
  for (const auto* v : {&one[0], &one[1]}) ok = ok && v->problem.empty();
  return ok ? 0 : 1;
}
