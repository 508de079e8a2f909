// `tristate quiz --kernel SPEC` in one call for the CLI: ship the running tristate and the
// quiz files into a guest, run `tristate quiz --json /tmp/report.json <files> <flags>`
// there, and return the guest's Report, stamped with where its kernel came from.
//
//   auto cache = lab::Cache::from_environment();
//   auto kernel = lab::resolve_kernel(lab::parse_kernel_spec(spec), cache, progress);
//   auto req = lab::make_quiz_request(g.self_exe, quiz_paths, {"--no-fentry"});
//   req.progress = progress;            // optional; req.timeout defaults to 120 s
//   report::Report rep = lab::run_quizzes_in_guest(kernel, req, cache);  // throws GuestError
#pragma once

#include <string>
#include <vector>

#include "lab/guest.hpp"
#include "report/report.hpp"

namespace tristate::lab {

inline constexpr const char* kGuestReportPath = "/tmp/report.json";
inline constexpr const char* kGuestQuizDir = "/quizzes";

// quiz_paths are host paths (already resolved); each lands at /quizzes/<basename> (a
// repeated basename gets a numbered directory). extra_args follow the quiz files.
GuestRequest make_quiz_request(const std::string& self_exe, const std::vector<std::string>& quiz_paths,
                               const std::vector<std::string>& extra_args);

// Runs the request and parses the payload as a Report. Report::where becomes "guest";
// kernel.origin/series/package/package_version come from the lab. The guest command's exit
// status 0/1 (all matched / some mismatch) both return the report; a guest without a
// report (status 2 and no payload, a panic, a timeout) throws GuestError with the console tail.
report::Report run_quizzes_in_guest(const Kernel& kernel, const GuestRequest& request, const Cache& cache,
                                    GuestResult* result = nullptr);

// The second half of run_quizzes_in_guest, for callers that ran the guest themselves (e.g.
// several side by side with run_guests). Throws GuestError like it.
report::Report quiz_report_from(const Kernel& kernel, const GuestRequest& request,
                                const GuestResult& result);

}  // namespace tristate::lab
