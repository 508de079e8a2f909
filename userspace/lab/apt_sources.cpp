#include "lab/apt_sources.hpp"

#include <cstdlib>
#include <fstream>
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
          "-o", "APT::Architectures=amd64",
          "-o", "Acquire::Languages=none",
          // The cache lives in the user's home, which apt's _apt sandbox user cannot write.
          "-o", "APT::Sandbox::User=root",
          "-q"};
}

}  // namespace tristate::lab
