// Kernel lab speed. Run: build/bench/lab_bench build/tristate quizzes [RUNS]
//  1. every shipped quiz in one 6.1 guest, boot included: median of RUNS (default 5) with
//     the boot/run split; target median <= 4 s (2-core machine, TCG), beside the plain
//     boot (GuestRequest::plain_boot: nothing the guest never uses skipped), measured alternately.
//  2. the suite on 5.10, 6.1, 6.12 and latest: each alone, then all four with -j 2; target
//     parallel wall time <= 1.3 x the sum of the two slowest single-kernel runs.
// Kernels must be cached (`tristate kernels fetch 5.10 6.1 6.12 latest`); the initramfs is
// built once before timing. Figures are printed; the load average is printed too, because a
// busy machine makes TCG guests slow and the ratios are only meaningful on a quiet one.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "lab/guest_btf.hpp"
#include "trace/guest_core_btf.hpp"
#include "lab/catalog.hpp"
#include "lab/quiz_guest.hpp"
#include "report/kinds.hpp"

namespace fs = std::filesystem;
using namespace tristate;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: lab_bench TRISTATE QUIZ_DIR [RUNS]\n");
    return 2;
  }
  std::string tristate = fs::absolute(argv[1]).string();
  int runs = argc > 3 ? std::max(1, std::atoi(argv[3])) : 5;
  std::vector<std::string> quizzes;
  for (auto& e : fs::directory_iterator(argv[2]))
    if (e.path().extension() == ".quiz")
      quizzes.push_back(e.path().string());
  std::sort(quizzes.begin(), quizzes.end());

  try {
    auto cache = lab::Cache::from_environment();
    auto req = lab::make_quiz_request(tristate, quizzes, {});
    req.timeout = std::chrono::seconds(600);
    {  // what `quiz --kernel` and `matrix` ship besides the quizzes (cli/guest_run.cpp): the files
       // made from each kernel's BTF, every kernel's in every guest
      std::vector<lab::GuestJob> all;
      for (auto s : {"5.10", "6.1", "6.12", "latest"})
        all.push_back({lab::resolve_kernel(lab::parse_kernel_spec(s), cache, nullptr), req});
      lab::add_guest_btf(all, [](const lab::GuestKernelBtf& k, const auto& dir) { return trace::make_guest_core_btf(k.btf, k.notes, dir); });
      req = all[0].request;
    }
    std::printf("lab_bench: %zu quizzes (all shipped), load average %s, %u cores\n", quizzes.size(), bench::loadavg().c_str(),
                std::thread::hardware_concurrency());

    // 1. one guest, median of N, the boot as it was (plain_boot) alternating with today's
    auto k61 = lab::resolve_kernel(lab::parse_kernel_spec("6.1"), cache, nullptr);
    lab::run_guest(k61, req, cache);  // warm: builds the initramfs, pages the kernel in
    auto plain = req;
    plain.plain_boot = true;
    std::vector<double> total, boot, run, ptotal, pboot;
    for (int i = 0; i < runs; ++i) {
      auto p = lab::run_guest(k61, plain, cache);
      auto r = lab::run_guest(k61, req, cache);
      if (r.exit_status != 0) {
        // 1 is "some quiz differs from its expectation" (kernel differences a quiz records,
        // e.g. bhash2's on 6.1): name them, so a regression is not mistaken for those.
        std::string which;
        if (r.exit_status == 1) {
          for (const auto& q : lab::quiz_report_from(k61, req, r).quizzes)
            if (q.status != report::QuizStatus::ok) which += " " + q.name + " (" + std::string(report::name(q.status)) + ")";
        }
        std::printf("  run %d: guest exit status %d%s%s\n", i + 1, r.exit_status, which.empty() ? "" : ":", which.c_str());
      }
      total.push_back(r.total_s);
      boot.push_back(r.boot_s);
      run.push_back(r.run_s);
      ptotal.push_back(p.total_s);
      pboot.push_back(p.boot_s);
      std::printf("  6.1 run %d: total %.2f s (boot %.2f s, quizzes %.2f s); plain boot: total %.2f s (boot %.2f s)\n",
                  i + 1, r.total_s, r.boot_s, r.run_s, p.total_s, p.boot_s);
    }
    double med = bench::median(total);
    std::printf("suite in one guest (%s): median %.2f s over %d runs (boot %.2f s + quizzes %.2f s); "
                "target <= 4 s: %s\n",
                k61.manifest.release.c_str(), med, runs, bench::median(boot), bench::median(run), med <= 4.0 ? "met" : "NOT met");
    std::printf("baseline, plain boot (no cryptomgr.notests/edd=off/initcall_blacklist, default NIC and VGA): median %.2f s (boot %.2f s); "
                "ratio %.2f\n",
                bench::median(ptotal), bench::median(pboot), med / bench::median(ptotal));

    // 2. four kernels, alone then -j 2
    std::vector<lab::GuestJob> jobs;
    std::vector<double> single;
    for (auto s : {"5.10", "6.1", "6.12", "latest"}) {
      auto k = lab::resolve_kernel(lab::parse_kernel_spec(s), cache, nullptr);
      jobs.push_back({k, req});
      auto t0 = Clock::now();
      auto r = lab::run_guest(k, req, cache);
      double wall = std::chrono::duration<double>(Clock::now() - t0).count();
      single.push_back(wall);
      std::printf("  %-6s alone: %.2f s (boot %.2f s, quizzes %.2f s) %s\n", s, wall, r.boot_s, r.run_s,
                  r.release.c_str());
    }
    auto t0 = Clock::now();
    auto outcomes = lab::run_guests(jobs, cache, 2);
    double par = std::chrono::duration<double>(Clock::now() - t0).count();
    for (auto& o : outcomes)
      if (!o.ok) std::printf("  guest failed: %s\n", o.error.c_str());
    auto sorted = single;
    std::sort(sorted.rbegin(), sorted.rend());
    double base = sorted[0] + sorted[1];
    double sum = 0;
    for (double s : single) sum += s;
    std::printf("four kernels -j 2: %.2f s; sum of the two slowest alone %.2f s (all four in a row %.2f s); "
                "ratio %.2f, target <= 1.3: %s\n",
                par, base, sum, par / base, par / base <= 1.3 ? "met" : "NOT met");
    std::printf("load average at the end: %s\n", bench::loadavg().c_str());
  } catch (const lab::GuestError& e) {
    std::fprintf(stderr, "lab_bench: %s\n", e.detail().c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lab_bench: %s\n", e.what());
    return 2;
  }
  return 0;
}
