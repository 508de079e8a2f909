#include "lab/catalog.hpp"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include "lab/apt_sources.hpp"
#include "lab/kernel_history.hpp"
#include "lab/leftovers.hpp"
#include "lab/process.hpp"
#include "util/atomic_file.hpp"

namespace fs = std::filesystem;

namespace tristate::lab {
namespace {

void say(const Progress& p, const std::string& s) {
  if (p) p(s);
}

std::string last_lines(const std::string& text, int n) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l))
    if (!l.empty()) lines.push_back(l);
  std::string out;
  for (std::size_t i = lines.size() > std::size_t(n) ? lines.size() - n : 0; i < lines.size(); ++i)
    out += "\n  " + lines[i];
  return out;
}

std::string suites_of(const SeriesInfo& s) {
  std::string out;
  for (auto& su : s.suites) out += (out.empty() ? "" : ", ") + su.suite;
  return out;
}

void require_program(const std::string& name, const std::string& package) {
  if (!have_program(name))
    throw std::runtime_error(name + " not found: install it with `apt-get install " + package + "`");
}

// Writes the private configuration for a series and refreshes its lists.
AptDirs prepare_apt(const SeriesInfo& series, const Cache& cache, const Progress& progress) {
  require_program("apt-get", "apt");
  AptDirs dirs{cache.apt_dir(series.name)};
  fs::create_directories(dirs.lists() / "partial");
  fs::create_directories(dirs.cache() / "archives" / "partial");
  auto src = debian_sources_path();
  std::string list = private_sources_list(series, read_machine_archives());
  if (const auto written = util::write_file_atomic(dirs.sources_list(), list); !written)
    throw std::runtime_error(written.error().message);
  say(progress, "updating package lists for " + series.name + " (" + suites_of(series) + ")");
  std::vector<std::string> argv = {"apt-get"};
  auto opts = apt_options(dirs);
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.insert(argv.end(), {"--error-on=any", "update"});
  auto r = run_tool(argv);
  if (r.status != 0)
    throw std::runtime_error("apt-get update failed for kernel series " + series.name + " (" +
                             suites_of(series) + ", mirrors from " + src.string() + "):" +
                             last_lines(r.err + r.out, 6));
  return dirs;
}

std::vector<std::string> search_packages(const AptDirs& dirs, const std::string& regex) {
  std::vector<std::string> argv = {"apt-cache"};
  auto opts = apt_options(dirs);
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.insert(argv.end(), {"search", "--names-only", regex});
  auto r = run_tool(argv);
  if (r.status != 0) throw std::runtime_error("apt-cache search failed:" + last_lines(r.err, 6));
  std::vector<std::string> names;
  std::regex re(regex, std::regex::extended);
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    std::string name = line.substr(0, line.find(' '));
    if (std::regex_match(name, re)) names.push_back(name);
  }
  return names;
}

DownloadMeter& meter() {
  static DownloadMeter m;
  return m;
}

std::uint64_t package_size(const AptDirs& dirs, const std::string& package) {
  std::vector<std::string> argv = {"apt-cache"};
  auto opts = apt_options(dirs);
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.insert(argv.end(), {"show", "--no-all-versions", package});
  const auto r = run_tool(argv);
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Size: ", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  return 0;
}

// `apt-get download` in `dir`, its bytes reported to the meter while it runs: apt's own
// percentage (APT::Status-Fd on the merged output pipe) or the bytes on disk, whichever is
// further. apt fetches into its own archives/partial directory and moves the file into `dir`
// when complete, so both are counted. Status lines are kept out of the result's text.
ToolResult download_metered(const std::vector<std::string>& apt_argv, const fs::path& dir, const fs::path& partial,
                            const std::string& package, std::uint64_t total) {
  if (!meter()) return run_tool(apt_argv, dir.string());
  std::vector<std::string> argv = {"sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", dir.string()};
  argv.insert(argv.end(), apt_argv.begin(), apt_argv.end());
  argv.insert(argv.end() - 2, {"-o", "APT::Status-Fd=1"});  // before "download PACKAGE"
  Child child = Child::spawn(argv);
  ToolResult r;
  std::string pending;
  double percent = 0;
  bool transferring = false;
  char buf[4096];
  for (;;) {
    pollfd p{child.output_fd(), POLLIN, 0};
    const int n = ::poll(&p, 1, 200);
    if (n > 0) {
      const ssize_t got = ::read(child.output_fd(), buf, sizeof buf);
      if (got == 0) break;
      if (got > 0) pending.append(buf, static_cast<std::size_t>(got));
      for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) {
        const std::string_view line(pending.data(), nl);
        if (auto pct = apt_download_percent(line)) percent = std::max(percent, *pct);
        else if (!line.starts_with("dlstatus:") && !line.starts_with("pmstatus:")) r.err.append(line).append("\n");
        if (line.starts_with("Get:")) transferring = true;
      }
    }
    // done == total is the end, said once after apt-get exits
    std::uint64_t done = Cache::disk_usage(dir) + Cache::disk_usage(partial);
    if (total) done = std::max(done, static_cast<std::uint64_t>(percent / 100.0 * double(total)));
    // Before its "Get:" line apt is still reading its package cache (seconds): a meter
    // standing at 0 % would say the network is stuck, so the stage line said so instead.
    if (transferring || done > 0) meter()(package, total ? std::min(done, total - 1) : done, total);
  }
  r.err += pending;
  r.status = child.wait();
  if (r.status == 0) meter()(package, total ? total : Cache::disk_usage(dir), total ? total : Cache::disk_usage(dir));
  return r;
}

std::string find_vmlinuz(const fs::path& root, std::string& release) {
  std::error_code ec;
  for (auto& e : fs::directory_iterator(root / "boot", ec)) {
    auto name = e.path().filename().string();
    if (name.starts_with("vmlinuz-")) {
      release = name.substr(8);
      return e.path().string();
    }
  }
  for (auto& e : fs::directory_iterator(root / "usr" / "lib" / "modules", ec)) {
    if (fs::exists(e.path() / "vmlinuz")) {
      release = e.path().filename().string();
      return (e.path() / "vmlinuz").string();
    }
  }
  return "";
}

}  // namespace

namespace {

// `apt-get download package` into `tmp` (metered when the terminal shows it): the .deb.
fs::path download_deb(const std::string& package, const AptDirs& dirs, const fs::path& tmp, const Progress& progress) {
  say(progress, "downloading " + package);
  const std::uint64_t size = meter() ? package_size(dirs, package) : 0;
  say(progress, "apt-get download" + (size ? " (" + std::to_string((size + (1 << 19)) >> 20) + " MiB)" : std::string()) +
                    ": reading the package lists, then fetching");
  std::vector<std::string> argv = {"apt-get"};
  auto opts = apt_options(dirs);
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.insert(argv.end(), {"download", package});
  auto r = download_metered(argv, tmp, dirs.cache() / "archives" / "partial", package, size);
  if (r.status != 0) {
    if (r.err.find("Unable to locate package") != std::string::npos ||
        r.err.find("Can't select") != std::string::npos)
      throw std::runtime_error("kernel package " + package + " not found in the Debian suites searched (" +
                               dirs.base.filename().string() + "); `apt-cache search` it, or use a series (5.10, 6.1, 6.12, latest)");
    throw std::runtime_error("apt-get download " + package + " failed:" + last_lines(r.err, 6));
  }
  fs::path deb;
  for (auto& e : fs::directory_iterator(tmp))
    if (e.path().extension() == ".deb") deb = e.path();
  if (deb.empty()) throw std::runtime_error("apt-get download " + package + " produced no .deb in " + tmp.string());
  return deb;
}

// The cache entry's files out of the .deb, in tmp/entry: vmlinuz and, where the package
// has one, its changelog. `release` is the kernel's uname -r.
fs::path extract_entry(const std::string& package, const fs::path& deb, const fs::path& tmp, const Progress& progress,
                       std::string& release) {
  say(progress, "extracting vmlinuz from " + deb.filename().string());
  fs::path root = tmp / "root";
  fs::create_directories(root);
  // Only the image: the modules in linux-image-5.10/6.1 would cost seconds and hundreds of MB.
  // tar exits non-zero for the pattern that matched nothing; the result is checked below.
  run_tool({"sh", "-c",
            "dpkg-deb --fsys-tarfile \"$1\" | tar -x -C \"$2\" --wildcards './boot/vmlinuz-*' "
            "'./usr/lib/modules/*/vmlinuz' './usr/share/doc/*/changelog.gz'",
            "sh", deb.string(), root.string()});
  std::error_code ec;
  std::string vmlinuz = find_vmlinuz(root, release);
  if (vmlinuz.empty())
    throw std::runtime_error(package + " (" + deb.filename().string() +
                             ") holds no boot/vmlinuz-* nor usr/lib/modules/*/vmlinuz; it is not "
                             "a kernel image package (a meta package?)");
  fs::path entry_tmp = tmp / "entry";
  fs::create_directories(entry_tmp);
  fs::rename(vmlinuz, entry_tmp / "vmlinuz");
  // The changelog says what changed since another build (`tristate bisect`); from 6.18 the
  // image's doc directory is a link to linux-base-V's and nothing is extracted here.
  for (auto& e : fs::directory_iterator(root / "usr" / "share" / "doc", ec))
    if (fs::is_regular_file(e.path() / "changelog.gz", ec) && !fs::is_symlink(e.path(), ec))
      fs::rename(e.path() / "changelog.gz", entry_tmp / "changelog.gz", ec);
  return entry_tmp;
}

}  // namespace

// Downloads `package` with the private configuration `dirs` and installs it in the cache.
Kernel download_and_install(const std::string& package, const std::string& series_name,
                            const std::string& origin, const AptDirs& dirs, const Cache& cache,
                            const Progress& progress) {
  require_program("dpkg-deb", "dpkg");
  for (const auto& l : sweep_leftovers(cache))
    say(progress, "removed " + l.path.string() + " (" + std::to_string(l.bytes >> 10) +
                      " KiB), left by a killed run: " + l.why);
  fs::path tmp = cache.kernels_dir() / (".tmp-" + package + "-" + std::to_string(getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{tmp};

  const fs::path deb = download_deb(package, dirs, tmp, progress);
  auto v = run_tool({"dpkg-deb", "-f", deb.string(), "Version"});
  std::string version = v.out.substr(0, v.out.find('\n'));
  std::string release;
  const fs::path entry_tmp = extract_entry(package, deb, tmp, progress, release);
  fs::remove(deb);

  KernelManifest m;
  m.origin = origin;
  m.series = series_name;
  m.package = package;
  m.version = version;
  m.release = release;
  cache.install(entry_tmp, m);
  fs::path final_dir = cache.kernel_dir(package);
  fs::remove_all(final_dir);
  fs::rename(entry_tmp, final_dir);
  Kernel k = cache.load(final_dir);
  for (const auto& e : cache.evict(package))
    say(progress, "removed " + e.package + " (" + std::to_string(e.bytes >> 20) + " MiB, least recently used) to keep the cache under " +
                      std::to_string(cache.max_bytes() >> 20) + " MiB");
  return k;
}

namespace {

Kernel fetch_in_series(const std::string& package, const SeriesInfo& s, const std::string& origin,
                       const Cache& cache, const Progress& progress, bool* found) {
  FileLock lock(cache.apt_lock(s.name));
  AptDirs dirs = prepare_apt(s, cache, progress);
  say(progress, "looking " + package + " up in the package lists");
  auto names = search_packages(dirs, "^" + std::regex_replace(package, std::regex(R"([.+])"), R"(\$&)") + "$");
  if (names.empty()) {
    *found = false;
    return {};
  }
  *found = true;
  return download_and_install(package, s.name, origin, dirs, cache, progress);
}

}  // namespace

void set_download_meter(DownloadMeter m) { meter() = std::move(m); }

Kernel fetch_series(const std::string& series, const Cache& cache, const Progress& progress) {
  const SeriesInfo* s = find_series(series);
  if (!s) parse_kernel_spec(series);  // throws the list of accepted forms
  if (!s) throw std::runtime_error("'" + series + "' is not a kernel series");
  FileLock lock(cache.apt_lock(s->name));
  AptDirs dirs = prepare_apt(*s, cache, progress);
  auto names = search_packages(dirs, s->package_regex);
  if (names.empty())
    throw std::runtime_error("no package matching " + s->package_regex + " in " + suites_of(*s) +
                             " (kernel series " + series + "); the archive may have renamed it");
  std::string newest = names[0];
  for (auto& n : names)
    if (version_less(newest, n)) newest = n;
  say(progress, "newest " + series + " kernel: " + newest);
  if (fs::exists(cache.kernel_dir(newest))) {
    try {
      return cache.load(cache.kernel_dir(newest));
    } catch (const CorruptCacheEntry& e) {
      say(progress, std::string(e.what()) + " — fetching it again");
    }
  }
  return download_and_install(newest, s->name, "series", dirs, cache, progress);
}

Kernel fetch_package(const std::string& package, const std::string& series, const Cache& cache,
                     const Progress& progress) {
  std::vector<const SeriesInfo*> where;
  if (const SeriesInfo* s = find_series(series)) where.push_back(s);
  else
    for (auto& s : known_series()) where.push_back(&s);
  std::string searched;
  for (auto* s : where) {
    bool found = false;
    Kernel k = fetch_in_series(package, *s, "package", cache, progress, &found);
    if (found) return k;
    searched += (searched.empty() ? "" : ", ") + suites_of(*s);
  }
  throw std::runtime_error("kernel package " + package + " not found in " + searched +
                           "; check the name with `apt-cache search`, or use a series (5.10, 6.1, 6.12, latest)");
}

Kernel resolve_kernel(const KernelSpec& spec, const Cache& cache, const Progress& progress) {
  switch (spec.kind) {
    case KernelSpec::Kind::Host:
      throw std::logic_error("resolve_kernel: the host kernel is not booted in a guest");
    case KernelSpec::Kind::Path: {
      std::error_code ec;
      if (!fs::is_regular_file(spec.value, ec))
        throw std::runtime_error(spec.value + ": no such kernel image (expected a vmlinuz/bzImage file)");
      // Any other file got as far as qemu, whose "linux kernel too old to load a ram disk"
      // named neither the file nor the mistake. qemu boots a bzImage, or an ELF (PVH).
      std::string h(0x206, '\0');
      std::ifstream image(spec.value, std::ios::binary);
      if (!image) throw std::runtime_error(spec.value + ": cannot open the kernel image");
      image.read(h.data(), static_cast<std::streamsize>(h.size()));
      h.resize(static_cast<std::size_t>(image.gcount()));
      if (!(h.size() >= 0x206 && h.compare(0x202, 4, "HdrS") == 0) && h.rfind("\x7f" "ELF", 0) != 0)
        throw std::runtime_error(spec.value + ": not a Linux kernel image (no bzImage header, not an ELF); "
                                 "expected a vmlinuz/bzImage file");
      Kernel k;
      k.vmlinuz = fs::absolute(spec.value);
      k.manifest.origin = "path";
      k.manifest.package = "";
      k.manifest.size = fs::file_size(k.vmlinuz);
      return k;
    }
    case KernelSpec::Kind::Series: {
      try {
        if (auto k = cache.newest_of_series(spec.value)) return *k;
      } catch (const CorruptCacheEntry& e) {
        say(progress, std::string(e.what()) + " — fetching it again");
        try {
          return fetch_series(spec.value, cache, progress);
        } catch (const std::exception& f) {
          throw std::runtime_error(std::string(e.what()) + "\nfetching it again failed: " + f.what());
        }
      }
      return fetch_series(spec.value, cache, progress);
    }
    case KernelSpec::Kind::Version: {
      // An exact version already cached needs no package lists.
      if (minor_of(spec.value) != spec.value)
        for (auto& k : cache.list())
          if (k.manifest.origin != "path" && upstream_of(k.manifest.version) == spec.value) {
            try {
              return cache.load(k.vmlinuz.parent_path());
            } catch (const CorruptCacheEntry& e) {
              say(progress, std::string(e.what()) + " — fetching it again");
            }
          }
      const auto builds = available_builds(cache, progress);
      if (auto b = find_build(builds, spec.value)) return fetch_build(*b, cache, progress);
      std::string minors;
      for (auto& b : builds)
        if (minors.find(" " + b.minor + ",") == std::string::npos) minors += " " + b.minor + ",";
      if (!minors.empty()) minors.pop_back();
      throw std::runtime_error("no Debian cloud kernel build of " + spec.value + " on this machine's mirror;"
                               " minors there:" + minors + " (`tristate kernels available` lists every build)");
    }
    case KernelSpec::Kind::Package: {
      fs::path dir = cache.kernel_dir(spec.value);
      if (fs::exists(dir)) {
        try {
          return cache.load(dir);
        } catch (const CorruptCacheEntry& e) {
          say(progress, std::string(e.what()) + " — fetching it again");
          try {
            return fetch_package(spec.value, series_of_package(spec.value), cache, progress);
          } catch (const std::exception& f) {
            throw std::runtime_error(std::string(e.what()) + "\nfetching it again failed: " + f.what());
          }
        }
      }
      return fetch_package(spec.value, series_of_package(spec.value), cache, progress);
    }
  }
  throw std::logic_error("resolve_kernel: bad spec kind");
}

report::KernelInfo kernel_origin(const Kernel& k) {
  report::KernelInfo info;
  info.origin = k.manifest.origin;
  info.series = k.manifest.series;
  info.package = k.manifest.package;
  info.package_version = k.manifest.version;
  info.release = k.manifest.release;
  return info;
}

}  // namespace tristate::lab
