// Every Debian cloud kernel build the machine's mirror offers, across suites (`kernels
// available`, `--kernel 6.17.8`, `--kernel 6.16`, `bisect`). One private apt configuration
// (<cache>/apt/history) holds the lists of every suite in history_suites() that exists there.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lab/cache.hpp"
#include "lab/catalog.hpp"

namespace tristate::lab {

struct KernelBuild {
  std::string package;   // linux-image-6.17.8+deb13-cloud-amd64 | linux-binary-…
  std::string version;   // Debian version, 6.17.8-1~bpo13+1
  std::string upstream;  // 6.17.8 (7.3~rc7 for a release candidate)
  std::string minor;     // 6.17
  std::vector<std::string> suites;  // where the mirror has it
};

// "6.17.8-1~bpo13+1" -> "6.17.8"; "7.3~rc7-1~exp1" -> "7.3~rc7"; "" when not a version.
std::string upstream_of(const std::string& debian_version);
// "6.17.8" -> "6.17"
std::string minor_of(const std::string& upstream);
// Natural order of upstream versions, a release candidate before its release (7.3~rc7 < 7.3).
bool upstream_less(const std::string& a, const std::string& b);

// Builds from `apt-cache madison` output (" pkg | version | URI suite/main amd64 Packages"),
// one per package, oldest first. Meta packages are left out: linux-image-X.Y-cloud-amd64,
// and a linux-image-V whose linux-binary-V exists (from 6.19 the image is in linux-binary).
// Two packages of one upstream version (bookworm and trixie rebuilds) stay two builds.
std::vector<KernelBuild> builds_from_madison(const std::string& madison);

// Refreshes <cache>/apt/history when its lists are older than a day (or `refresh`), then
// lists the builds. Throws std::runtime_error (no apt, no mirror) with the fix.
std::vector<KernelBuild> available_builds(const Cache& cache, const Progress& progress, bool refresh = false);

// The build a version names: "6.17.8" (exact upstream; the newest Debian revision, the
// newest suite's rebuild when there are several) or "6.16" (newest build of that minor).
std::optional<KernelBuild> find_build(const std::vector<KernelBuild>& builds, const std::string& version);

// The cached (or downloaded) kernel of a build; origin "version", series = its minor.
Kernel fetch_build(const KernelBuild& build, const Cache& cache, const Progress& progress);

// The build's Debian changelog (gzip), cached beside its vmlinuz as changelog.gz; downloads
// the package (or, from 6.18, its linux-base-V, where the image's doc directory points) when
// the entry has none. nullopt with `why` set when the mirror does not offer one.
std::optional<std::filesystem::path> build_changelog(const KernelBuild& build, const Cache& cache,
                                                      const Progress& progress, std::string* why);

}  // namespace tristate::lab
