// Staging files a killed tristate left in the cache. Every lab writer stages under a name
// that ends in its PID and renames into place when done:
//   initramfs/.stage-HASH-PID/            the image's tree before packing (~13 MB)
//   initramfs/HASH.cpio.tmp-PID           the image being packed
//   kernels/.tmp-PACKAGE-PID/             the .deb and its extraction (~40-70 MB)
//   kernels/PACKAGE/.payload.tmp-PID, .vmlinux.pvh.tmp-PID   boot_image's work files
//   *.sha256.tmp-PID                      a checksum record being written
// A SIGKILL skips every destructor, so the next run sweeps them: those whose PID is gone, and
// any older than `max_age` (a PID reused by an unrelated process, or a writer in another PID
// namespace sharing the cache, cannot keep a file forever; no staging step takes that long).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lab/cache.hpp"

namespace tristate::lab {

struct Leftover {
  std::filesystem::path path;
  std::uint64_t bytes = 0;
  std::string why;  // "pid 1234 is gone" | "older than 24 h"
};

// The writer's PID when `filename` is a staging name, else nullopt.
std::optional<long> staging_pid(const std::string& filename);

inline constexpr std::chrono::hours kLeftoverMaxAge{24};

// Removes the leftovers under the cache's initramfs and kernels directories and returns what
// it removed. A staging file of a live PID younger than max_age is someone's work: kept.
std::vector<Leftover> sweep_leftovers(const Cache& cache, std::chrono::seconds max_age = kLeftoverMaxAge);

}  // namespace tristate::lab
