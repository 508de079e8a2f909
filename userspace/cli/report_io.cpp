#include "cli/report_io.hpp"

#include <spdlog/spdlog.h>
#include <sys/utsname.h>


#include "report/report_json.hpp"
#include "util/clock.hpp"
#include "util/output_file.hpp"

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
  // Invalid UTF-8 (a quiz file's bytes copied into a title or a repr) is replaced, not
  // thrown at the end of a run after every result is in.
  const std::string text =
      nlohmann::json(rep).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (auto done = util::write_output(path, text); !done) {
    spdlog::error("{}", done.error().message);
    return false;
  }
  return true;
}

int exit_status(const report::Report& rep) {
  bool mismatch = false;
  for (const auto& q : rep.quizzes) {
    if (q.status == "error") return kExitError;
    mismatch |= q.status != "ok";
  }
  return mismatch ? kExitMismatch : kExitOk;
}

}  // namespace tristate::cli
