#include "lab/apt_sources.hpp"

#include <algorithm>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace tristate::lab {
namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::filesystem::path debian_sources_path() {
  if (const char* p = std::getenv("TRISTATE_DEBIAN_SOURCES"); p && *p) return p;
  return "/etc/apt/sources.list.d/debian.sources";
}

ArchiveUris parse_debian_sources(const std::string& text, const std::string& what) {
  // deb822: stanzas separated by blank lines; "#" lines are comments; field names are
  // case-insensitive. Only the first URI of each stanza matters.
  std::vector<std::string> uris;
  std::string signed_by;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    auto colon = t.find(':');
    if (colon == std::string::npos || t[0] == ' ') continue;
    std::string key = t.substr(0, colon);
    for (auto& c : key) c = char(std::tolower((unsigned char)c));
    std::string value = trim(t.substr(colon + 1));
    if (key == "uris") {
      std::istringstream vs(value);
      std::string first;
      vs >> first;
      while (!first.empty() && first.back() == '/') first.pop_back();
      if (!first.empty()) uris.push_back(first);
    } else if (key == "signed-by" && signed_by.empty() && !value.empty() &&
               value.find(' ') == std::string::npos) {
      signed_by = value;  // a path; inline armored keys are not reusable in one-line format
    }
  }
  if (uris.empty())
    throw std::runtime_error(what + ": no 'URIs:' line found; the lab reads the Debian mirror "
                             "from it (first URIs: main archive, second: security archive)");
  ArchiveUris r;
  r.main = uris[0];
  if (uris.size() > 1) r.security = uris[1];
  r.signed_by = signed_by;
  return r;
}

ArchiveUris read_debian_sources(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error(path.string() +
                             ": cannot read the machine's Debian source list (needed to find "
                             "the mirror to download kernels from)");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_debian_sources(ss.str(), path.string());
}

ArchiveUris parse_classic_sources(const std::string& text, const std::string& what) {
  ArchiveUris r;
  bool any = false;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::string t = trim(line.substr(0, line.find('#')));
    if (!t.starts_with("deb ") && !t.starts_with("deb\t")) continue;
    t = trim(t.substr(3));
    std::string opts;
    if (t.starts_with("[")) {
      const auto close = t.find(']');
      if (close == std::string::npos) continue;
      opts = t.substr(1, close - 1);
      t = trim(t.substr(close + 1));
    }
    std::istringstream ws(t);
    std::string uri, suite;
    if (!(ws >> uri >> suite)) continue;
    while (!uri.empty() && uri.back() == '/') uri.pop_back();
    any = true;
    const bool security = suite.ends_with("-security") || suite.ends_with("/updates");
    std::string& slot = security ? r.security : r.main;
    if (slot.empty()) slot = uri;
    std::istringstream os(opts);
    std::string opt;
    while (os >> opt)
      if (opt.starts_with("signed-by=") && r.signed_by.empty()) r.signed_by = opt.substr(10);
  }
  if (!any || r.main.empty())
    throw std::runtime_error(what + ": no `deb URI SUITE …` line for the main Debian archive");
  return r;
}

namespace {

std::string slurp_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

ArchiveUris read_machine_archives() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path deb822 = debian_sources_path();
  if (fs::is_regular_file(deb822, ec)) return read_debian_sources(deb822);
  std::vector<fs::path> classic;
  if (const char* p = std::getenv("TRISTATE_APT_SOURCES_LIST"); p && *p) {
    classic.push_back(p);
  } else {
    classic.push_back("/etc/apt/sources.list");
    for (auto it = fs::directory_iterator("/etc/apt/sources.list.d", ec); !ec && it != fs::end(it); it.increment(ec))
      if (it->path().extension() == ".list") classic.push_back(it->path());
  }
  std::string text, where;
  for (auto& p : classic)
    if (fs::is_regular_file(p, ec)) {
      text += slurp_file(p) + "\n";
      where += (where.empty() ? "" : ", ") + p.string();
    }
  if (!text.empty()) {
    try {
      return parse_classic_sources(text, where);
    } catch (const std::exception&) {  // said below with what was looked at
    }
  }
  throw std::runtime_error("this machine has no Debian apt source (looked at " + deb822.string() + ", " +
                           (where.empty() ? std::string("/etc/apt/sources.list") : where) +
                           "): lab kernels cannot be downloaded here; boot a kernel image you have "
                           "with --kernel /path/to/vmlinuz");
}

const std::vector<SuiteRef>& history_suites() {
  static const std::vector<SuiteRef> suites = {
      {Archive::Main, "bullseye"},           {Archive::Security, "bullseye-security"},
      {Archive::Main, "bookworm"},           {Archive::Security, "bookworm-security"},
      {Archive::Main, "bookworm-backports"}, {Archive::Main, "trixie"},
      {Archive::Security, "trixie-security"}, {Archive::Main, "trixie-backports"},
      {Archive::Main, "forky"},              {Archive::Main, "sid"},
      {Archive::Main, "experimental"},
  };
  return suites;
}

std::string private_sources_list(const std::vector<SuiteRef>& suites, const ArchiveUris& uris,
                                 const std::string& title) {
  std::string out = "# written by tristate for " + title + "\n";
  for (auto& s : suites) {
    const std::string& uri = s.archive == Archive::Main ? uris.main : uris.security;
    if (uri.empty()) continue;  // no security archive named: its suites are not searched
    out += "deb ";
    if (!uris.signed_by.empty()) out += "[signed-by=" + uris.signed_by + "] ";
    out += uri + " " + s.suite + " main\n";
  }
  return out;
}

std::string private_sources_list(const SeriesInfo& series, const ArchiveUris& uris) {
  std::string out = "# written by tristate for kernel series " + series.name + "\n";
  for (auto& s : series.suites) {
    const std::string& uri = s.archive == Archive::Main ? uris.main : uris.security;
    if (uri.empty())
      throw std::runtime_error("kernel series " + series.name + " needs " + s.suite +
                               " from the security archive, but the Debian source list names "
                               "only one URIs: stanza");
    out += "deb ";
    if (!uris.signed_by.empty()) out += "[signed-by=" + uris.signed_by + "] ";
    out += uri + " " + s.suite + " main\n";
  }
  return out;
}

std::vector<std::string> apt_options(const AptDirs& d) {
  return {"-o", "Dir::Etc::sourcelist=" + d.sources_list().string(),
          "-o", "Dir::Etc::sourceparts=-",
          "-o", "Dir::State::Lists=" + d.lists().string(),
          "-o", "Dir::Cache=" + d.cache().string(),
          // apt's binary package cache, kept in the private Dir::Cache: without it every apt
          // call rebuilt it from the lists (~5 s of CPU, 15-20 s on a busy 2-core machine, for
          // the history's suites), three times per kernel fetched, while the transfer itself
          // took 0.2 s. Docker images switch it off in /etc/apt/apt.conf.d/docker-clean.
          "-o", "Dir::Cache::pkgcache=pkgcache.bin",
          "-o", "APT::Architectures=amd64",
          "-o", "Acquire::Languages=none",
          // The cache lives in the user's home, which apt's _apt sandbox user cannot write.
          "-o", "APT::Sandbox::User=root",
          "-q"};
}

std::optional<double> apt_download_percent(std::string_view line) {
  if (!line.starts_with("dlstatus:")) return std::nullopt;
  const auto a = line.find(':', 9);
  if (a == std::string_view::npos) return std::nullopt;
  const std::string pct(line.substr(a + 1, line.find(':', a + 1) - a - 1));
  char* end = nullptr;
  const double v = std::strtod(pct.c_str(), &end);
  if (end == pct.c_str()) return std::nullopt;
  return std::clamp(v, 0.0, 100.0);
}

}  // namespace tristate::lab
