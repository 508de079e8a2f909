#include "cli/report_io.hpp"

#include <sys/utsname.h>


#include "report/report_json.hpp"
#include "util/clock.hpp"
#include "cli/text_output.hpp"

namespace tristate::cli {

report::Report new_report(const Globals& g) {
  report::Report r;
  r.tool_version = TRISTATE_VERSION;
  r.created = util::iso_utc_now();
  for (const auto& a : g.argv) r.command += (r.command.empty() ? "" : " ") + a;
  struct utsname u {};
  if (uname(&u) == 0) {
    r.kernel.release = u.release;
    r.kernel.version = u.version;
    r.kernel.machine = u.machine;
  }
  return r;
}

bool write_report(const report::Report& rep, const std::string& path) {
  return write_json(path, nlohmann::json(rep));
}

int exit_status(const report::Report& rep) {
  bool mismatch = false;
  for (const auto& q : rep.quizzes) {
    if (q.status == report::QuizStatus::error) return kExitError;
    mismatch |= q.status != report::QuizStatus::ok;
  }
  return mismatch ? kExitMismatch : kExitOk;
}

}  // namespace tristate::cli
