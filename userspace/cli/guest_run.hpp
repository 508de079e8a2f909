// Running `tristate quiz` inside lab guests and turning what they send back into Reports.
// The guest runs this very binary; its Report comes back over the serial console and is
// rendered exactly as a host run would be. Shared by `quiz --kernel` and `matrix`.
#pragma once

#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "lab/guest.hpp"
#include "report/report.hpp"

namespace tristate::cli {

// A quiz read from stdin, a pipe or a device is read once, on the host: refuse it before a
// guest needs the file (std::invalid_argument naming the input and the way out).
void require_quiz_files_for_guests(const std::vector<std::string>& quiz_paths);

struct GuestQuizRun {
  std::vector<std::string> kernels;     // specs: series, package or vmlinuz path (not "host")
  std::vector<std::string> quiz_paths;  // host paths, already parsed once on the host
  std::vector<std::string> quiz_flags;  // passed through to the guest's `tristate quiz`
  int timeout_s = 180;                  // per guest, boot included
  int jobs = 0;                         // guests side by side (0 = number of cores)
};

struct GuestQuizOutcome {
  std::string spec;
  bool ok = false;
  report::Report report;  // when ok
  std::string error;      // one line (+ console tail) when !ok
  double boot_s = 0, run_s = 0;
};

// The guests of a run with everything the host does before booting them done: kernels
// resolved (fetched when needed), guest BTF files made, the initramfs built and the boot
// images checked (lab::prepare_guests).
struct PreparedGuestRun {
  GuestQuizRun run;
  std::vector<lab::GuestJob> jobs;
};

// Throws std::runtime_error for a bad spec or a kernel that cannot be fetched. Safe to run on
// another thread than the caller's (the matrix prepares its guests beside its host column).
PreparedGuestRun prepare_quizzes_in_guests(const GuestQuizRun& run, const Globals& g);

// Boots the prepared guests. Never throws for a guest failure: that is an outcome.
std::vector<GuestQuizOutcome> run_prepared_guests(const PreparedGuestRun& prepared);

// Both, one after the other.
std::vector<GuestQuizOutcome> run_quizzes_in_guests(const GuestQuizRun& run, const Globals& g);

}  // namespace tristate::cli
