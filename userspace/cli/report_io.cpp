#include "cli/report_io.hpp"

#include <spdlog/spdlog.h>
#include <sys/utsname.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "report/report_json.hpp"
#include "util/clock.hpp"

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
  const std::string text = nlohmann::json(rep).dump(2) + "\n";
  if (path == "-") {
    std::cout << text << std::flush;
    return true;
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!(out << text) || !out.flush()) {
      spdlog::error("cannot write {}: {}", tmp, std::strerror(errno));
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    spdlog::error("cannot write {}: {}", path, ec.message());
    std::filesystem::remove(tmp, ec);
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
