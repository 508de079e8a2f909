#include "lab/guest.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <functional>
#include <poll.h>
#include <map>
#include <thread>
#include <unistd.h>

#include "lab/accel.hpp"
#include "lab/boot_image.hpp"
#include "lab/guest_order.hpp"
#include "lab/process.hpp"
#include "lab/serial_decoder.hpp"

namespace fs = std::filesystem;

namespace tristate::lab {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0, Clock::time_point t) {
  return std::chrono::duration<double>(t - t0).count();
}

std::vector<std::string> to_vector(const std::deque<std::string>& d) { return {d.begin(), d.end()}; }

std::string kernel_name(const Kernel& k) {
  if (!k.manifest.package.empty()) return k.manifest.package;
  return k.vmlinuz.string();
}

InitramfsSpec initramfs_spec(const GuestRequest& req) {
  InitramfsSpec spec;
  spec.executables = req.executables;
  spec.files = req.files;
  spec.init = req.init_override.empty() ? make_init_script(req.argv, req.result_path) : req.init_override;
  return spec;
}

// A panic while booting, before /init ran (run_guest boots once more).
struct BootPanic : GuestError {
  using GuestError::GuestError;
};

// qemu said "KVM internal error" (run_guest boots under TCG instead, unless KVM was forced).
struct KvmFailure : GuestError {
  using GuestError::GuestError;
};

GuestResult boot_and_run(const Kernel& kernel, const GuestRequest& req, const std::vector<std::string>& argv,
                         const std::function<void(const std::string&)>& say);

// qemu's argv for one boot: TCG or KVM, the trimmed boot unless `plain`.
std::vector<std::string> qemu_command(const fs::path& image, const fs::path& initrd, const GuestRequest& req,
                                      bool plain, bool kvm, const std::function<void(const std::string&)>& say) {
  std::vector<std::string> argv = {"qemu-system-x86_64", "-m", std::to_string(req.memory_mb),
                                   "-smp", std::to_string(req.cpus), "-nographic", "-no-reboot",
                                   "-kernel", image.string(), "-initrd", initrd.string(),
                                   "-append", kernel_command_line(plain)};
  // No NIC, no VGA: SeaBIOS would run the NIC's iPXE option ROM and the VGA BIOS under
  // emulation before the kernel starts; the guest's only device is the serial console.
  if (!plain) argv.insert(argv.end(), {"-net", "none", "-vga", "none"});
  if (kvm) {
    argv.insert(argv.end(), {"-accel", "kvm", "-cpu", "host"});
    if (req.icount_shift >= 0) say("--icount ignored: the guest runs under KVM, in real time");
  } else {
    // One host thread runs all vCPUs. Multi-threaded TCG crashed two of our guests with two
    // vCPUs, each "Fatal exception in interrupt" on code the kernel patches at run time: a
    // 7.2 boot in sched_clock_cpu, and a 6.12 kprobe-mode tracer test with RIP in the middle
    // of inet_ehashfn's jump-label nop (the DO_ONCE key flipped on the first connect()).
    // No crash in hundreds of one-vCPU boots. The guest keeps its SMP semantics; only the
    // host-side parallelism, where cross-modifying code is emulated, goes.
    argv.insert(argv.end(), {"-accel", req.cpus > 1 ? "tcg,thread=single" : "tcg"});
    // sleep=off: an idle guest's clock jumps to its next timer instead of waiting for it
    if (req.icount_shift >= 0)
      argv.insert(argv.end(), {"-icount", "shift=" + std::to_string(req.icount_shift) + ",sleep=off"});
  }
  return argv;
}

}  // namespace

std::string kernel_command_line(bool plain) {
  std::string line = "console=ttyS0 quiet panic=-1";
  if (plain) return line;
  // cryptomgr.notests: the self-tests of every crypto algorithm took 1.7 s of a 6.1 boot
  // under TCG (initcall_debug: crypto_algapi_init); no quiz uses the kernel's crypto.
  // edd=off: the real-mode BIOS disk probe, for disks a guest does not have.
  // initcall_blacklist: two crypto initcalls that cryptomgr.notests does not silence, self-tests
  // at heart: jitterentropy's start-up test (143 ms of a 6.12 boot, instruction-counted) and
  // SP800-108's KDF test (6.1 to 7.2). A name a kernel does not have is ignored.
  return line + " cryptomgr.notests edd=off initcall_blacklist=jent_mod_init,crypto_kdf108_init";
}

std::string GuestError::detail() const {
  std::string out = what();
  if (!console_tail.empty()) {
    out += "\nlast console lines:\n";
    for (auto& l : console_tail) out += "  | " + l + "\n";
  }
  return out;
}

GuestResult run_guest(const Kernel& kernel, const GuestRequest& req, const Cache& cache) {
  auto say = [&](const std::string& s) {
    if (req.progress) req.progress(req.label.empty() ? s : req.label + ": " + s);
  };
  if (!have_program("qemu-system-x86_64"))
    throw GuestError("qemu-system-x86_64 not found: install it with `apt-get install qemu-system-x86`", {});

  const fs::path initrd = req.initramfs.empty() ? build_initramfs(initramfs_spec(req), cache, req.progress)
                                                : req.initramfs;

  Accel accel;
  try {
    accel = choose_accel();
  } catch (const std::invalid_argument& e) {
    throw GuestError(e.what(), {});
  }
  if (!accel.why.empty()) say(accel.why);

  // TRISTATE_LAB_PLAIN_BOOT=1: the untrimmed boot (GuestRequest::plain_boot), for
  // bench/matrix_bench's baseline.
  const char* plain_env = std::getenv("TRISTATE_LAB_PLAIN_BOOT");
  const bool plain = req.plain_boot || (plain_env && std::string_view(plain_env) == "1");
  const fs::path image = req.boot_image.empty() ? boot_image(kernel, nullptr, say) : req.boot_image;

  // A kernel that panics before /init ran, for a reason other than its init exiting, never
  // reached tristate's code: seen once in ~40 boots of 7.2 with two vCPUs under TCG ("Fatal
  // exception in interrupt" in sched_clock_cpu, 1.9 s into the boot). One more boot, said on
  // the progress line; a second such panic is reported as it is.
  // A KVM failure is not a panic: it does not use up the panic's one more boot.
  for (int panics = 0;;) {
    try {
      return boot_and_run(kernel, req, qemu_command(image, initrd, req, plain, accel.kvm, say), say);
    } catch (const BootPanic& e) {
      if (++panics == 2) throw GuestError(e.what(), e.console_tail);
      say(std::string(e.what()) + ": booting it once more");
    } catch (const KvmFailure& e) {
      if (accel.forced) throw GuestError(std::string(e.what()) + " (TRISTATE_ACCEL=kvm)", e.console_tail);
      say(std::string(e.what()) + ": booting under TCG instead (TRISTATE_ACCEL=tcg skips KVM)");
      accel.kvm = false;
    }
  }
}

namespace {

GuestResult boot_and_run(const Kernel& kernel, const GuestRequest& req, const std::vector<std::string>& argv,
                         const std::function<void(const std::string&)>& say) {
  say("booting " + kernel_name(kernel));
  SerialDecoder dec;
  bool kvm_failed = false;
  dec.on_line = [&](const std::string& l) {
    if (is_kvm_failure(l)) kvm_failed = true;
    if (req.on_console) req.on_console(l);
  };
  auto t0 = Clock::now();
  auto deadline = t0 + req.timeout;
  Child qemu = Child::spawn(argv);
  Clock::time_point t_ready{}, t_exit{};
  char buf[65536];
  bool timed_out = false;
  for (;;) {
    auto now = Clock::now();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    int ms = int(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
    pollfd pfd{qemu.output_fd(), POLLIN, 0};
    int n = poll(&pfd, 1, ms);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    ssize_t got = read(qemu.output_fd(), buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // qemu closed its output: it exited
    bool was_ready = dec.ready();
    bool was_done = dec.exit_status().has_value();
    dec.feed(std::string_view(buf, std::size_t(got)));
    if (!was_ready && dec.ready()) {
      t_ready = Clock::now();
      say("booted " + dec.release() + " in " + std::to_string(seconds_since(t0, t_ready)).substr(0, 4) + " s");
    }
    if (!was_done && dec.exit_status()) {
      t_exit = Clock::now();
      say("command done in " + std::to_string(seconds_since(t_ready, t_exit)).substr(0, 4) + " s (exit status " +
          std::to_string(*dec.exit_status()) + "), powering off");
    }
    if (kvm_failed) break;  // qemu pauses the guest and waits: nothing more will come
  }
  dec.finish();
  if (kvm_failed) {
    qemu.kill_and_wait();
    throw KvmFailure("KVM failed to run " + kernel_name(kernel) + " (\"KVM internal error\" from qemu)",
                     dec.error_console());
  }
  if (timed_out) {
    qemu.kill_and_wait();
    throw GuestError("guest " + kernel_name(kernel) + " timed out after " +
                         std::to_string(req.timeout.count()) + " s (" +
                         (dec.ready() ? "while running the command" : "still booting") +
                         "); qemu killed",
                     dec.error_console());
  }
  int qemu_status = qemu.wait();
  auto t_end = Clock::now();

  if (!dec.exit_status()) {
    const auto& panic = dec.panic_line();
    // "Attempted to kill init" is in the panic line itself: init exiting is tristate's own
    // failure (or --init's), not a boot to retry.
    bool init_exited = panic && panic->find("Attempted to kill init") != std::string::npos;
    std::string why = panic ? "the guest kernel panicked"
                      : dec.ready() ? "the guest stopped before its command finished"
                                    : "the guest stopped before /init started";
    why += " (" + kernel_name(kernel) + ", qemu exit status " + std::to_string(qemu_status) + ")";
    if (panic) why += ": " + *panic;
    if (panic && !dec.ready() && !init_exited) throw BootPanic(why, dec.error_console());
    throw GuestError(why, dec.error_console());
  }
  GuestResult r;
  r.release = dec.release();
  r.exit_status = *dec.exit_status();
  r.has_payload = dec.has_payload();
  if (r.has_payload) {
    try {
      r.payload = dec.payload();
    } catch (const std::exception& e) {
      throw GuestError(std::string(e.what()) + " (" + kernel_name(kernel) + ")", dec.error_console());
    }
  }
  r.boot_s = seconds_since(t0, t_ready);
  r.run_s = seconds_since(t_ready, t_exit);
  r.total_s = seconds_since(t0, t_end);
  r.console_tail = to_vector(dec.tail());
  r.command_output = dec.command_output();
  r.command_output_truncated = dec.command_output_truncated();
  return r;
}

}  // namespace

void prepare_guests(std::vector<GuestJob>& jobs, const Cache& cache) {
  // One initramfs per distinct content (a matrix ships the same tristate and quizzes to every
  // kernel).
  std::map<std::string, fs::path> built;
  for (auto& job : jobs) {
    auto& req = job.request;
    if (!req.initramfs.empty()) continue;
    const InitramfsSpec spec = initramfs_spec(req);
    std::string key = spec.init + '\0';
    for (const auto& e : spec.executables) key += e + '\0';
    for (const auto& f : spec.files) key += f.host_path + '\1' + f.guest_path + '\0';
    try {
      auto it = built.find(key);
      if (it == built.end()) it = built.emplace(key, build_initramfs(spec, cache, req.progress)).first;
      req.initramfs = it->second;
    } catch (const std::exception&) {
      // left to run_guest, which reports it for this job like any other guest failure
    }
  }
  // Boot images: each distinct kernel once, on as many threads as cores. boot_image() never
  // throws (a cache it cannot use means booting the bzImage).
  std::map<fs::path, fs::path> images;
  for (const auto& job : jobs)
    if (job.request.boot_image.empty()) images.emplace(job.kernel.vmlinuz, fs::path{});
  std::vector<std::pair<const fs::path*, fs::path*>> todo;
  for (auto& [vmlinuz, image] : images) todo.emplace_back(&vmlinuz, &image);
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < todo.size();) {
      const auto& job = *std::find_if(jobs.begin(), jobs.end(),
                                      [&](const GuestJob& j) { return j.kernel.vmlinuz == *todo[i].first; });
      const auto& req = job.request;
      auto say = [&req](const std::string& s) {
        if (req.progress) req.progress(req.label.empty() ? s : req.label + ": " + s);
      };
      *todo[i].second = boot_image(job.kernel, nullptr, say);
    }
  };
  const std::size_t threads_n = std::min<std::size_t>(todo.size(), std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < threads_n; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  for (auto& job : jobs)
    if (job.request.boot_image.empty()) job.request.boot_image = images.at(job.kernel.vmlinuz);
}

std::vector<GuestOutcome> run_guests(const std::vector<GuestJob>& jobs, const Cache& cache, int parallel) {
  if (parallel <= 0) parallel = int(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<GuestOutcome> out(jobs.size());
  std::vector<GuestJob> ready = jobs;
  if (std::any_of(ready.begin(), ready.end(),
                  [](const GuestJob& j) { return j.request.initramfs.empty() || j.request.boot_image.empty(); }))
    prepare_guests(ready, cache);
  // Longest first: the slowest guest must not be the one left running alone at the end.
  std::vector<std::optional<double>> last;
  for (const auto& j : ready) last.push_back(last_guest_seconds(j.kernel));
  const std::vector<std::size_t> order = longest_first(last);
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t n; (n = next.fetch_add(1)) < jobs.size();) {
      const std::size_t i = order[n];
      try {
        out[i].result = run_guest(ready[i].kernel, ready[i].request, cache);
        out[i].ok = true;
        remember_guest_seconds(ready[i].kernel, out[i].result.total_s);
      } catch (const GuestError& e) {
        out[i].error = e.what();
        out[i].console_tail = e.console_tail;
      } catch (const std::exception& e) {
        out[i].error = e.what();
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < parallel && std::size_t(t) < jobs.size(); ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  return out;
}

}  // namespace tristate::lab
