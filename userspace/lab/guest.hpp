// Booting a kernel under qemu with a generated initramfs and collecting what the guest sent.
//
//   GuestRequest req;
//   req.executables = {"/proc/self/exe"};                       // lands at /usr/bin/<name>
//   req.files = {{"/host/quizzes/post-1.quiz", "/quiz/post-1.quiz"}};
//   req.argv = {"tristate", "quiz", "--json", "/tmp/report.json", "/quiz/post-1.quiz"};
//   req.result_path = "/tmp/report.json";
//   GuestResult r = run_guest(kernel, req, cache);              // throws GuestError
//   report::parse_report(r.payload, "guest " + r.release);
//
// qemu-system-x86_64 -m 1024 -smp 1 -nographic -no-reboot (KVM when /dev/kvm is usable, else
// TCG); the serial console is qemu's stdout. qemu is owned by an RAII handle and gets
// PR_SET_PDEATHSIG: no return path, exception or death of tristate leaves it running.
#pragma once

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "lab/cache.hpp"
#include "lab/catalog.hpp"
#include "lab/initramfs.hpp"

namespace tristate::lab {

struct GuestRequest {
  std::vector<std::string> argv;            // run by /init (PATH=/usr/bin:/bin:/sbin)
  std::string result_path = "/tmp/result";  // guest file sent back as the payload ("" = none)
  std::vector<std::string> executables;     // host executables shipped with their libraries
  std::vector<GuestFile> files;             // extra files (quizzes, …)
  std::string init_override;                // replaces the generated /init (tests)
  std::chrono::seconds timeout{120};        // whole guest, boot included
  int memory_mb = 1024;
  int cpus = 1;                             // -smp
  // TCG only: guest time advances 2^shift ns per executed instruction (-icount), so a
  // benchmark's rates in the guest count instructions, not the host's load. -1: real time.
  int icount_shift = -1;
  // The boot as it was before the lab skipped work the guests never use (crypto self-tests,
  // EDD probing, the default NIC's and VGA's option ROMs): bench/lab_bench's baseline.
  bool plain_boot = false;
  std::string label;                        // prefix for progress lines, e.g. "6.1"
  Progress progress;                        // initramfs / boot / done lines
  std::function<void(const std::string&)> on_console;  // every console line, live
  // Set by prepare_guests for jobs that share one initramfs: hashing the shipped files (tens of
  // MB with debug info) once instead of once per guest. Empty: run_guest builds it.
  std::filesystem::path initramfs;
  // Set by prepare_guests: the image qemu boots (lab/boot_image), its seal checked before any
  // guest started. Empty: run_guest finds it.
  std::filesystem::path boot_image;
};

struct GuestResult {
  std::string release;       // guest uname -r
  int exit_status = -1;      // of argv in the guest
  bool has_payload = false;  // result_path existed in the guest
  std::string payload;       // its bytes
  std::string command_output;        // what argv printed on the console (SerialDecoder)
  bool command_output_truncated = false;
  double boot_s = 0;         // qemu start until /init's READY marker
  double run_s = 0;          // READY until the EXIT marker
  double total_s = 0;        // qemu start until qemu exited
  std::vector<std::string> console_tail;  // last console lines (not markers, not payload)
};

// A guest that did not deliver: timeout, panic, init died, damaged payload, qemu missing.
// what() is one line; console_tail holds the last console lines for the user.
struct GuestError : std::runtime_error {
  GuestError(const std::string& msg, std::vector<std::string> tail)
      : std::runtime_error(msg), console_tail(std::move(tail)) {}
  std::vector<std::string> console_tail;
  std::string detail() const;  // what() + the tail, ready to print
};

GuestResult run_guest(const Kernel& kernel, const GuestRequest& request, const Cache& cache);

// The guest kernel's command line (plain: without the options that skip unused work).
std::string kernel_command_line(bool plain);

// Several guests side by side, at most `jobs` at a time (<= 0: the number of cores).
// Results come back in the order of the input; one guest's failure does not stop the others.
struct GuestJob {
  Kernel kernel;
  GuestRequest request;
};
struct GuestOutcome {
  bool ok = false;
  GuestResult result;          // when ok
  std::string error;           // one line, when !ok
  std::vector<std::string> console_tail;
};
// Calls prepare_guests first unless every job is prepared already.
std::vector<GuestOutcome> run_guests(const std::vector<GuestJob>& jobs, const Cache& cache, int parallel);

// What the host does for each guest before it boots, done for all of them at once: one
// initramfs per distinct content, and every kernel's boot image found and its seal checked,
// several side by side (a PVH ELF is ~60 MB to hash: done in the worker, it held up the next
// guest of a matrix by 0.07-0.13 s, the tail's included). A job whose preparation fails is left
// unprepared: run_guest then reports the failure as that guest's outcome. Callers may run this
// beside other work (the matrix runs the host's column meanwhile).
void prepare_guests(std::vector<GuestJob>& jobs, const Cache& cache);

}  // namespace tristate::lab
