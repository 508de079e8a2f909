#include "lab/quiz_guest.hpp"

#include <filesystem>
#include <set>

#include "report/report_json.hpp"

namespace fs = std::filesystem;

namespace tristate::lab {

GuestRequest make_quiz_request(const std::string& self_exe, const std::vector<std::string>& quiz_paths,
                               const std::vector<std::string>& extra_args) {
  GuestRequest req;
  req.executables = {self_exe};
  std::string name = fs::path(self_exe).filename().string();
  if (fs::is_symlink(self_exe)) name = fs::canonical(self_exe).filename().string();
  req.argv = {name, "quiz", "--json", kGuestReportPath, "--quiet", "--detach-after-exit"};
  req.result_path = kGuestReportPath;
  std::set<std::string> used;
  int n = 0;
  for (auto& p : quiz_paths) {
    std::string base = fs::path(p).filename().string();
    std::string guest = std::string(kGuestQuizDir) + "/" + base;
    if (!used.insert(guest).second) guest = std::string(kGuestQuizDir) + "/" + std::to_string(++n) + "/" + base;
    used.insert(guest);
    req.files.push_back({fs::absolute(p).string(), guest});
    req.argv.push_back(guest);
  }
  req.argv.insert(req.argv.end(), extra_args.begin(), extra_args.end());
  return req;
}

report::Report run_quizzes_in_guest(const Kernel& kernel, const GuestRequest& request, const Cache& cache,
                                    GuestResult* result) {
  GuestResult r = run_guest(kernel, request, cache);
  if (result) *result = r;
  return quiz_report_from(kernel, request, r);
}

report::Report quiz_report_from(const Kernel& kernel, const GuestRequest& request,
                                const GuestResult& r) {
  if (!r.has_payload)
    throw GuestError("tristate in the guest (" + r.release + ") wrote no report (exit status " +
                         std::to_string(r.exit_status) + ")",
                     r.console_tail);
  report::Report rep;
  try {
    rep = report::parse_report(r.payload, "report from guest " + r.release);
  } catch (const std::exception& e) {
    throw GuestError(e.what(), r.console_tail);
  }
  rep.where = "guest";
  rep.kernel.origin = kernel.manifest.origin;
  rep.kernel.series = kernel.manifest.series;
  rep.kernel.package = kernel.manifest.package;
  rep.kernel.package_version = kernel.manifest.version;
  // Name the quiz files as the user gave them, not as the guest saw them.
  for (auto& q : rep.quizzes)
    for (const auto& f : request.files)
      if (q.file == f.guest_path) q.file = f.host_path;
  return rep;
}

}  // namespace tristate::lab
