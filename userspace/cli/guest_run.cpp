#include "cli/guest_run.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "lab/catalog.hpp"
#include "lab/guest.hpp"
#include "report/report_json.hpp"

namespace tristate::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kGuestReport = "/tmp/report.json";

lab::GuestRequest quiz_request(const GuestQuizRun& run, const Globals& g,
                               std::vector<std::string>& guest_paths) {
  lab::GuestRequest req;
  req.executables = {g.self_exe};
  req.argv = {"tristate", "quiz", "--quiet", "--json", kGuestReport};
  req.argv.insert(req.argv.end(), run.quiz_flags.begin(), run.quiz_flags.end());
  // One directory per quiz keeps the file stem (the quiz's name) even when two files share it.
  for (size_t i = 0; i < run.quiz_paths.size(); ++i) {
    const std::string guest =
        "/quiz/" + std::to_string(i) + "/" + fs::path(run.quiz_paths[i]).filename().string();
    req.files.push_back({fs::absolute(run.quiz_paths[i]).string(), guest});
    req.argv.push_back(guest);
    guest_paths.push_back(guest);
  }
  req.result_path = kGuestReport;
  req.timeout = std::chrono::seconds(run.timeout_s);
  if (g.verbose > 0)
    req.on_console = [](const std::string& line) { spdlog::debug("guest: {}", line); };
  return req;
}

}  // namespace

std::vector<GuestQuizOutcome> run_quizzes_in_guests(const GuestQuizRun& run, const Globals& g) {
  const auto cache = lab::Cache::from_environment();
  std::vector<lab::GuestJob> jobs;
  std::vector<std::string> guest_paths;
  for (const auto& spec : run.kernels) {
    const std::string label = spec;
    auto progress = [label](const std::string& line) { spdlog::info("[{}] {}", label, line); };
    lab::GuestJob job{lab::resolve_kernel(lab::parse_kernel_spec(spec), cache, progress), {}};
    guest_paths.clear();
    job.request = quiz_request(run, g, guest_paths);
    job.request.label = label;
    job.request.progress = progress;
    jobs.push_back(std::move(job));
  }

  const auto results = lab::run_guests(jobs, cache, run.jobs);
  std::vector<GuestQuizOutcome> out;
  for (size_t k = 0; k < results.size(); ++k) {
    GuestQuizOutcome o;
    o.spec = run.kernels[k];
    const auto& r = results[k];
    if (!r.ok) {
      o.error = r.error;
      for (const auto& line : r.console_tail) o.error += "\n  | " + line;
    } else if (!r.result.has_payload) {
      o.error = "guest " + r.result.release + " sent no report (tristate exited " +
                std::to_string(r.result.exit_status) + ")";
      for (const auto& line : r.result.console_tail) o.error += "\n  | " + line;
    } else {
      try {
        o.report = report::parse_report(r.result.payload, "report from guest " + r.result.release);
        o.ok = true;
      } catch (const std::exception& e) {
        o.error = e.what();
      }
    }
    if (o.ok) {
      // The guest knows its uname; only the host knows where that kernel came from.
      const auto origin = lab::kernel_origin(jobs[k].kernel);
      o.report.where = "guest";
      o.report.kernel.origin = origin.origin;
      o.report.kernel.series = origin.series;
      o.report.kernel.package = origin.package;
      o.report.kernel.package_version = origin.package_version;
      for (auto& q : o.report.quizzes)
        for (size_t i = 0; i < guest_paths.size(); ++i)
          if (q.file == guest_paths[i]) q.file = run.quiz_paths[i];
      o.boot_s = r.result.boot_s;
      o.run_s = r.result.run_s;
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace tristate::cli
