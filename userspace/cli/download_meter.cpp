#include "cli/download_meter.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>

#include "lab/catalog.hpp"

namespace tristate::cli {
namespace {

double mib(std::uint64_t b) { return double(b) / (1024 * 1024); }

}  // namespace

void install_download_meter() {
  const bool tty = isatty(STDERR_FILENO) != 0;
  auto started = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  auto last = std::make_shared<std::string>();
  auto lock = std::make_shared<std::mutex>();
  lab::set_download_meter([=](const std::string& pkg, std::uint64_t done, std::uint64_t total) {
    std::lock_guard<std::mutex> g(*lock);
    if (*last != pkg) {
      *last = pkg;
      *started = std::chrono::steady_clock::now();
    }
    const bool finished = total > 0 && done >= total;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - *started).count();
    if (tty) {
      if (total) std::fprintf(stderr, "\r  %s  %.1f / %.1f MiB  %3d%%", pkg.c_str(), mib(done), mib(total), int(done * 100 / total));
      else std::fprintf(stderr, "\r  %s  %.1f MiB", pkg.c_str(), mib(done));
      if (finished) std::fprintf(stderr, "  %.1f s\n", secs);
      std::fflush(stderr);
    } else if (finished) {
      spdlog::info("downloaded {} ({:.1f} MiB in {:.1f} s)", pkg, mib(total), secs);
    }
  });
}

}  // namespace tristate::cli
