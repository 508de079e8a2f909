// Finding, downloading and caching Debian kernels.
//
//   Cache cache = Cache::from_environment();
//   Kernel k = resolve_kernel(parse_kernel_spec("6.1"), cache, progress);   // cached: no network
//   Kernel k = fetch_series("latest", cache, progress);                     // asks the mirror
//
// Downloads use a private apt configuration per series (apt_sources.hpp) under the cache,
// `apt-get download` into a scratch directory, then only vmlinuz is extracted from the .deb
// and the .deb is deleted.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "lab/cache.hpp"
#include "lab/kernel_spec.hpp"
#include "report/report.hpp"

namespace tristate::lab {

// One human line per stage ("downloading linux-image-… (bookworm-security)", "extracting …").
using Progress = std::function<void(const std::string&)>;

// Bytes of a kernel package downloaded so far (called about five times a second while apt-get runs,
// and once at the end with done == total); total is 0 when the archive did not say. The CLI
// draws a meter on a terminal and prints one line per kernel elsewhere. Process-wide, set once
// by the command before it resolves kernels; unset: nothing is measured.
using DownloadMeter = std::function<void(const std::string& package, std::uint64_t done, std::uint64_t total)>;
void set_download_meter(DownloadMeter meter);

// A kernel for a non-host spec. Series: the newest cached kernel of the series, fetched
// when none is cached. Package: the cached entry, fetched when absent. Path: the file as is.
// A corrupt cache entry is deleted and fetched again (said through progress); if that
// fails, the error names the entry and the fix. Throws std::runtime_error (one line + detail).
Kernel resolve_kernel(const KernelSpec& spec, const Cache& cache, const Progress& progress);

// Updates the series' private package lists and makes sure the newest kernel of the series
// is cached (downloads it when it is not).
Kernel fetch_series(const std::string& series, const Cache& cache, const Progress& progress);

// Downloads one package (looked up in `series`' suites, or in every series' suites when
// series is "") unless it is cached.
Kernel fetch_package(const std::string& package, const std::string& series, const Cache& cache,
                     const Progress& progress);

struct AptDirs;
// Downloads `package` with the private apt configuration `dirs` (the caller holds its lock)
// into the cache: vmlinuz, and changelog.gz when the package carries one.
Kernel download_and_install(const std::string& package, const std::string& series_name,
                            const std::string& origin, const AptDirs& dirs, const Cache& cache,
                            const Progress& progress);

// Where the kernel came from, for Report::kernel (release/version are filled by the guest).
report::KernelInfo kernel_origin(const Kernel& k);

}  // namespace tristate::lab
