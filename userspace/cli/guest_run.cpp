#include "cli/guest_run.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "lab/catalog.hpp"
#include "lab/guest_btf.hpp"
#include "lab/quiz_guest.hpp"
#include "quiz/quiz_parser.hpp"
#include "trace/guest_core_btf.hpp"

namespace tristate::cli {

void require_quiz_files_for_guests(const std::vector<std::string>& quiz_paths) {
  for (const auto& p : quiz_paths)
    if (quiz::is_stream_quiz(p))
      throw std::invalid_argument((p == quiz::kStdinQuiz ? std::string("<stdin>") : p) +
                                  ": a quiz from standard input, a pipe or a device runs on this kernel only (it "
                                  "can be read once); save it to a file to run it in a guest");
}

PreparedGuestRun prepare_quizzes_in_guests(const GuestQuizRun& run, const Globals& g) {
  const auto cache = lab::Cache::from_environment();
  PreparedGuestRun p{run, {}};
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
    p.jobs.push_back(std::move(job));
  }
  lab::add_guest_btf(p.jobs, [](const lab::GuestKernelBtf& k, const auto& dir) { return trace::make_guest_core_btf(k.btf, k.notes, dir); });
  lab::prepare_guests(p.jobs, cache);
  return p;
}

std::vector<GuestQuizOutcome> run_prepared_guests(const PreparedGuestRun& p) {
  const auto cache = lab::Cache::from_environment();
  const auto results = lab::run_guests(p.jobs, cache, p.run.jobs);
  std::vector<GuestQuizOutcome> out;
  for (size_t k = 0; k < results.size(); ++k) {
    GuestQuizOutcome o;
    o.spec = p.run.kernels[k];
    const auto& r = results[k];
    try {
      if (!r.ok) throw lab::GuestError(r.error, r.console_tail);
      o.report = lab::quiz_report_from(p.jobs[k].kernel, p.jobs[k].request, r.result);
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

std::vector<GuestQuizOutcome> run_quizzes_in_guests(const GuestQuizRun& run, const Globals& g) {
  return run_prepared_guests(prepare_quizzes_in_guests(run, g));
}

}  // namespace tristate::cli
