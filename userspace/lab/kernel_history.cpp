#include "lab/kernel_history.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include "lab/apt_sources.hpp"
#include "lab/process.hpp"
#include "util/atomic_file.hpp"

namespace fs = std::filesystem;

namespace tristate::lab {
namespace {

constexpr const char* kHistory = "history";  // <cache>/apt/history
constexpr const char* kImageRegex = "^linux-(image|binary)-[0-9][^ ]*-cloud-amd64$";

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::vector<std::string> apt_argv(const std::string& tool, const AptDirs& dirs) {
  std::vector<std::string> argv = {tool};
  auto opts = apt_options(dirs);
  argv.insert(argv.end(), opts.begin(), opts.end());
  return argv;
}

std::string tail_of(const std::string& text) {
  return text.size() > 600 ? "…" + text.substr(text.size() - 600) : text;
}

bool lists_fresh(const AptDirs& dirs) {
  std::error_code ec;
  const auto day_ago = fs::file_time_type::clock::now() - std::chrono::hours(24);
  bool any = false;
  for (auto it = fs::directory_iterator(dirs.lists(), ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (it->path().filename().string().find("_Packages") == std::string::npos) continue;
    any = true;
    if (fs::last_write_time(it->path(), ec) < day_ago) return false;
  }
  return any;
}

// Suites whose lists apt fetched (a suite the mirror lacks leaves no *_dists_SUITE_* file).
std::set<std::string> suites_present(const AptDirs& dirs) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dirs.lists(), ec); !ec && it != fs::end(it); it.increment(ec)) {
    const std::string n = it->path().filename().string();
    const auto d = n.find("_dists_");
    if (d == std::string::npos || n.find("_Packages") == std::string::npos) continue;
    out.insert(n.substr(d + 7, n.find('_', d + 7) - d - 7));
  }
  return out;
}

AptDirs prepare_history_apt(const Cache& cache, const Progress& progress, bool refresh) {
  if (!have_program("apt-get"))
    throw std::runtime_error("apt-get not found: this machine cannot list Debian kernels; boot a kernel "
                             "image you have with --kernel /path/to/vmlinuz");
  AptDirs dirs{cache.apt_dir(kHistory)};
  if (!refresh && lists_fresh(dirs)) return dirs;
  fs::create_directories(dirs.lists() / "partial");
  fs::create_directories(dirs.cache() / "archives" / "partial");
  const auto written = util::write_file_atomic(
      dirs.sources_list(), private_sources_list(history_suites(), read_machine_archives(), "the kernel history"));
  if (!written) throw std::runtime_error(written.error().message);
  if (progress) progress("updating package lists of " + std::to_string(history_suites().size()) + " Debian suites");
  auto argv = apt_argv("apt-get", dirs);
  argv.push_back("update");
  // Not --error-on=any: a suite this mirror does not carry is left out, not an error.
  const auto r = run_tool(argv);
  if (suites_present(dirs).empty())
    throw std::runtime_error("apt-get update found no Debian suite on the machine's mirror:\n" +
                             tail_of(r.err + r.out));
  return dirs;
}

// apt-cache search + madison over eleven suites' lists take ~10 s: their result is kept
// beside the lists and reused until `apt-get update` rewrites a list.
fs::path builds_file(const AptDirs& dirs) { return dirs.base / "builds.json"; }

std::optional<std::vector<KernelBuild>> cached_builds(const AptDirs& dirs) {
  std::error_code ec;
  const auto made = fs::last_write_time(builds_file(dirs), ec);
  if (ec) return std::nullopt;
  for (auto it = fs::directory_iterator(dirs.lists(), ec); !ec && it != fs::end(it); it.increment(ec))
    if (fs::last_write_time(it->path(), ec) > made) return std::nullopt;
  try {
    std::ifstream in(builds_file(dirs));
    const auto j = nlohmann::json::parse(in);
    std::vector<KernelBuild> out;
    for (auto& b : j)
      out.push_back({b.at("package"), b.at("version"), b.at("upstream"), b.at("minor"), b.at("suites")});
    return out;
  } catch (const std::exception&) {
    return std::nullopt;  // damaged: computed again
  }
}

void keep_builds(const AptDirs& dirs, const std::vector<KernelBuild>& builds) {
  nlohmann::json j = nlohmann::json::array();
  for (auto& b : builds)
    j.push_back({{"package", b.package}, {"version", b.version}, {"upstream", b.upstream}, {"minor", b.minor},
                 {"suites", b.suites}});
  // A cache: when it cannot be kept, the builds are listed again next time.
  (void)util::write_file_atomic(builds_file(dirs), j.dump() + "\n");
}

}  // namespace

std::string upstream_of(const std::string& v) {
  static const std::regex re(R"(^([0-9]+\.[0-9]+(\.[0-9]+)?(~rc[0-9]+)?)[-+~].*$)");
  std::smatch m;
  if (std::regex_match(v, m, re)) return m[1].str();
  static const std::regex bare(R"(^[0-9]+\.[0-9]+(\.[0-9]+)?$)");
  return std::regex_match(v, bare) ? v : "";
}

std::string minor_of(const std::string& up) {
  static const std::regex re(R"(^([0-9]+\.[0-9]+).*$)");
  std::smatch m;
  return std::regex_match(up, m, re) ? m[1].str() : "";
}

bool upstream_less(const std::string& a, const std::string& b) {
  auto split = [](const std::string& v) {
    const auto t = v.find('~');
    return std::pair{v.substr(0, t), t == std::string::npos ? std::string() : v.substr(t)};
  };
  auto [an, ar] = split(a);
  auto [bn, br] = split(b);
  if (an != bn) return version_less(an, bn);
  if (ar.empty() != br.empty()) return !ar.empty();  // 7.3~rc7 < 7.3
  return version_less(ar, br);
}

std::vector<KernelBuild> builds_from_madison(const std::string& madison) {
  static const std::regex name_re(kImageRegex, std::regex::extended);
  static const std::regex meta_re(R"(^linux-image-[0-9]+\.[0-9]+-cloud-amd64$)");
  std::map<std::string, KernelBuild> by_package;
  std::istringstream in(madison);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::istringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, '|')) f.push_back(trim(cell));
    if (f.size() < 3 || !std::regex_match(f[0], name_re) || std::regex_match(f[0], meta_re)) continue;
    // "URI suite/main amd64 Packages": the second word, up to the component
    std::istringstream ws(f[2]);
    std::string uri, suite;
    ws >> uri >> suite;
    suite = suite.substr(0, suite.find('/'));
    const std::string up = upstream_of(f[1]);
    if (up.empty() || suite.empty()) continue;
    auto& b = by_package[f[0]];
    if (b.package.empty() || version_less(b.version, f[1])) {
      b.package = f[0];
      b.version = f[1];
      b.upstream = up;
      b.minor = minor_of(up);
    }
    if (std::find(b.suites.begin(), b.suites.end(), suite) == b.suites.end()) b.suites.push_back(suite);
  }
  std::vector<KernelBuild> out;
  for (auto& [name, b] : by_package) {
    if (name.starts_with("linux-image-") && by_package.count("linux-binary-" + name.substr(12))) continue;
    out.push_back(b);
  }
  std::sort(out.begin(), out.end(), [](const KernelBuild& a, const KernelBuild& b) {
    if (a.upstream != b.upstream) return upstream_less(a.upstream, b.upstream);
    if (a.version != b.version) return version_less(a.version, b.version);
    return a.package < b.package;
  });
  return out;
}

std::vector<KernelBuild> available_builds(const Cache& cache, const Progress& progress, bool refresh) {
  FileLock lock(cache.apt_lock(kHistory));
  const AptDirs dirs = prepare_history_apt(cache, progress, refresh);
  if (auto kept = cached_builds(dirs)) return *kept;
  auto search = apt_argv("apt-cache", dirs);
  search.insert(search.end(), {"search", "--names-only", kImageRegex});
  const auto s = run_tool(search);
  if (s.status != 0) throw std::runtime_error("apt-cache search failed: " + tail_of(s.err));
  auto madison = apt_argv("apt-cache", dirs);
  madison.push_back("madison");
  std::istringstream in(s.out);
  std::string line;
  std::size_t names = 0;
  while (std::getline(in, line))
    if (!line.empty()) {
      madison.push_back(line.substr(0, line.find(' ')));
      ++names;
    }
  if (names == 0) return {};
  const auto m = run_tool(madison);
  if (m.status != 0) throw std::runtime_error("apt-cache madison failed: " + tail_of(m.err));
  auto builds = builds_from_madison(m.out);
  keep_builds(dirs, builds);
  return builds;
}

std::optional<KernelBuild> find_build(const std::vector<KernelBuild>& builds, const std::string& v) {
  const bool minor_only = minor_of(v) == v;
  std::optional<KernelBuild> best;
  for (auto& b : builds) {
    if (minor_only ? b.minor != v : b.upstream != v) continue;
    // oldest first: the last match is the newest build (and, for one version, the later rebuild)
    best = b;
  }
  return best;
}

Kernel fetch_build(const KernelBuild& build, const Cache& cache, const Progress& progress) {
  const fs::path dir = cache.kernel_dir(build.package);
  if (fs::exists(dir)) {
    try {
      return cache.load(dir);
    } catch (const CorruptCacheEntry& e) {
      if (progress) progress(std::string(e.what()) + " — fetching it again");
    }
  }
  FileLock lock(cache.apt_lock(kHistory));
  const AptDirs dirs = prepare_history_apt(cache, progress, false);
  return download_and_install(build.package, build.minor, "version", dirs, cache, progress);
}

std::optional<fs::path> build_changelog(const KernelBuild& build, const Cache& cache, const Progress& progress,
                                        std::string* why) {
  Kernel k = fetch_build(build, cache, progress);
  const fs::path log = k.vmlinuz.parent_path() / "changelog.gz";
  if (fs::exists(log)) return log;
  // Cached before changelogs were kept: fetch the package again (it replaces the entry).
  const fs::path marker = k.vmlinuz.parent_path() / "changelog.none";
  if (!fs::exists(marker)) {
    FileLock lock(cache.apt_lock(kHistory));
    const AptDirs dirs = prepare_history_apt(cache, progress, false);
    if (progress) progress("fetching " + build.package + " again for its changelog");
    k = download_and_install(build.package, build.minor, "version", dirs, cache, progress);
    if (fs::exists(log)) return log;
    (void)util::write_file_atomic(marker, "no usr/share/doc/*/changelog.gz in " + build.package + "\n");
  }
  if (why)
    *why = build.package + " carries no usr/share/doc/*/changelog.gz (from 6.18 Debian ships it in "
           "linux-base-V, which this mirror does not offer)";
  return std::nullopt;
}

}  // namespace tristate::lab
