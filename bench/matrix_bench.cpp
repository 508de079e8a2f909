// Matrix speed. Run: build/bench/matrix_bench build/tristate [RUNS] [--history]
// Runs `tristate matrix` as a user would (every built-in quiz, the host plus 5.10, 6.1, 6.12
// and latest, -j = cores; with --history one column per minor, no host) RUNS times (default 3)
// and prints the wall time, the CPU seconds of tristate and its qemus (user+sys: what the
// machine's load does not move), each kernel's boot and quiz time, and the parallel efficiency: the
// guests' own time summed and divided by the cores, over the wall time (1.0 = the cores never
// waited). Each run is paired with a baseline run with TRISTATE_LAB_PLAIN_BOOT=1 (the guest
// boot with nothing skipped, see GuestRequest::plain_boot), in the same process, alternating.
// Targets on a 2-core machine: median wall <= 10 s (default), <= 40 s (--history). Kernels
// must be cached (`tristate kernels fetch 5.10 6.1 6.12 latest`); one warm-up run builds the
// initramfs first.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include "bench_util.hpp"
#include "lab/process.hpp"

namespace fs = std::filesystem;
namespace bench = tristate::bench;
using Clock = std::chrono::steady_clock;

namespace {

struct Run {
  double wall = 0;
  double cpu = 0;  // user+sys of tristate and its qemus (RUSAGE_CHILDREN): what load does not move
  std::map<std::string, std::pair<double, double>> guests;  // spec -> boot, quizzes
  std::size_t quizzes = 0, columns = 0;
};

// Waited-for descendants' CPU seconds so far (qemu is tristate's child, waited for by it).
double children_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  auto s = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

Run run_matrix(const std::string& tristate, const fs::path& json, bool history, bool plain) {
  std::vector<std::string> argv = {"env", std::string("TRISTATE_LAB_PLAIN_BOOT=") + (plain ? "1" : "0"), tristate,
                                   "matrix", "--json", json.string()};
  if (history) argv.push_back("--history");
  const auto cpu0 = children_cpu_s();
  const auto t0 = Clock::now();
  auto r = tristate::lab::run_tool(argv);
  Run out;
  out.wall = std::chrono::duration<double>(Clock::now() - t0).count();
  out.cpu = children_cpu_s() - cpu0;
  if (r.status != 0 && r.status != 1)
    throw std::runtime_error("tristate matrix exited " + std::to_string(r.status) + ":\n" + r.err);
  static const std::regex line(R"(\[([^\]]+)\] \S+: boot ([0-9.]+) s, quizzes ([0-9.]+) s)");
  std::istringstream err(r.err);
  for (std::string l; std::getline(err, l);) {
    std::smatch m;
    if (std::regex_search(l, m, line)) out.guests[m[1]] = {std::stod(m[2]), std::stod(m[3])};
  }
  std::ifstream in(json);
  const auto doc = nlohmann::json::parse(in);
  out.quizzes = doc.at("quizzes").size();
  out.columns = doc.at("columns").size();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: matrix_bench TRISTATE [RUNS] [--history]\n");
    return 2;
  }
  const std::string tristate = fs::absolute(argv[1]).string();
  bool history = false;
  int runs = 3;
  for (int i = 2; i < argc; ++i) {
    if (std::string(argv[i]) == "--history") history = true;
    else runs = std::max(1, std::atoi(argv[i]));
  }
  const double target = history ? 40.0 : 10.0;
  const char* what = history ? "matrix --history" : "default matrix";
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const fs::path json = fs::temp_directory_path() / ("matrix_bench-" + std::to_string(getpid()) + ".json");
  auto line = [&](const char* name, int i, const Run& r) {
    double guest_sum = 0;
    std::string per;
    for (const auto& [spec, t] : r.guests) {
      guest_sum += t.first + t.second;
      char buf[96];
      std::snprintf(buf, sizeof buf, "  %s %.1f+%.1f", spec.c_str(), t.first, t.second);
      per += buf;
    }
    std::printf("  %s run %d: %zu quizzes x %zu columns in %.2f s (CPU %.2f s); boot+quizzes per kernel:%s; "
                "parallel efficiency %.2f\n",
                name, i + 1, r.quizzes, r.columns, r.wall, r.cpu, per.c_str(), guest_sum / cores / r.wall);
  };
  try {
    std::printf("matrix_bench: %s, load average %s, %u cores\n", what, bench::loadavg().c_str(), cores);
    run_matrix(tristate, json, history, false);  // warm-up: initramfs, page cache
    std::vector<double> walls, plain_walls, cpus, plain_cpus;
    for (int i = 0; i < runs; ++i) {
      const Run p = run_matrix(tristate, json, history, true);
      line("plain", i, p);
      plain_walls.push_back(p.wall);
      plain_cpus.push_back(p.cpu);
      const Run r = run_matrix(tristate, json, history, false);
      line("now  ", i, r);
      walls.push_back(r.wall);
      cpus.push_back(r.cpu);
    }
    const double med = bench::median(walls), base = bench::median(plain_walls);
    std::printf("%s: median %.2f s over %d runs; target <= %.0f s: %s\n", what, med, runs, target,
                med <= target ? "met" : "NOT met");
    std::printf("baseline, plain boot (TRISTATE_LAB_PLAIN_BOOT=1): median %.2f s; ratio %.2f\n", base, med / base);
    std::printf("CPU (user+sys, tristate and its qemus): median %.2f s, plain boot %.2f s\n", bench::median(cpus),
                bench::median(plain_cpus));
    std::printf("load average at the end: %s\n", bench::loadavg().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "matrix_bench: %s\n", e.what());
    fs::remove(json);
    return 2;
  }
  fs::remove(json);
  return 0;
}
