#include "cli/guest_run.hpp"

#include <spdlog/spdlog.h>

#include "lab/catalog.hpp"
#include "lab/guest_btf.hpp"
#include "lab/quiz_guest.hpp"
#include "trace/guest_core_btf.hpp"

namespace tristate::cli {

std::vector<GuestQuizOutcome> run_quizzes_in_guests(const GuestQuizRun& run, const Globals& g) {
  const auto cache = lab::Cache::from_environment();
  std::vector<lab::GuestJob> jobs;
  for (const auto& spec : run.kernels) {
    auto progress = [spec](const std::string& line) { spdlog::info("[{}] {}", spec, line); };
    lab::GuestJob job{lab::resolve_kernel(lab::parse_kernel_spec(spec), cache, progress),
                      lab::make_quiz_request(g.self_exe, run.quiz_paths, run.quiz_flags)};
    job.request.timeout = std::chrono::seconds(run.timeout_s);
    job.request.label = spec;
    job.request.progress = progress;
    if (g.verbose > 0)
      job.request.on_console = [spec](const std::string& line) {
        spdlog::debug("[{}] guest: {}", spec, line);
      };
    jobs.push_back(std::move(job));
  }

  lab::add_guest_btf(jobs, [](const lab::GuestKernelBtf& k, const auto& dir) { return trace::make_guest_core_btf(k.btf, k.notes, dir); });
  const auto results = lab::run_guests(jobs, cache, run.jobs);
  std::vector<GuestQuizOutcome> out;
  for (size_t k = 0; k < results.size(); ++k) {
    GuestQuizOutcome o;
    o.spec = run.kernels[k];
    const auto& r = results[k];
    try {
      if (!r.ok) throw lab::GuestError(r.error, r.console_tail);
      o.report = lab::quiz_report_from(jobs[k].kernel, jobs[k].request, r.result);
      o.ok = true;
      o.boot_s = r.result.boot_s;
      o.run_s = r.result.run_s;
    } catch (const lab::GuestError& e) {
      o.error = e.detail();
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace tristate::cli
