// Helpers every report-producing subcommand shares: a new Report stamped with this run's
// provenance, writing it as JSON, and the exit status it implies.
#pragma once

#include <string>

#include "cli/commands.hpp"
#include "report/report.hpp"

namespace tristate::cli {

// Kernel from uname(2), tool version, creation time, the command line.
report::Report new_report(const Globals& g);

// Writes `rep` as pretty JSON to `path` ("-" = stdout), atomically for files (write a
// temporary, then rename) so that an interrupted run never leaves half a document.
// Logs and returns false on failure.
bool write_report(const report::Report& rep, const std::string& path);

// 0 every step matched, 1 some step did not, 2 some quiz could not run.
int exit_status(const report::Report& rep);

}  // namespace tristate::cli
