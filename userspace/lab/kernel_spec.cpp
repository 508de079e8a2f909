#include "lab/kernel_spec.hpp"

#include <cctype>
#include <regex>
#include <stdexcept>

namespace tristate::lab {

const std::vector<SeriesInfo>& known_series() {
  static const std::vector<SeriesInfo> table = {
      {"5.10",
       {{Archive::Main, "bullseye"}, {Archive::Security, "bullseye-security"}},
       "^linux-image-5\\.10\\.[0-9]+-[0-9]+-cloud-amd64$",
       "Debian 11 bullseye(-security)"},
      {"6.1",
       {{Archive::Main, "bookworm"}, {Archive::Security, "bookworm-security"}},
       "^linux-image-6\\.1\\.[0-9]+-[0-9]+-cloud-amd64$",
       "Debian 12 bookworm(-security)"},
      {"6.12",
       {{Archive::Security, "bookworm-security"}},
       "^linux-image-6\\.12\\.[0-9]+\\+deb12-cloud-amd64$",
       "Debian 12 bookworm-security backport"},
      {"latest",
       {{Archive::Main, "sid"}},
       "^linux-binary-[0-9][^ ]*-cloud-amd64$",
       "Debian unstable (sid)"},
  };
  return table;
}

const SeriesInfo* find_series(const std::string& name) {
  for (auto& s : known_series())
    if (s.name == name) return &s;
  return nullptr;
}

KernelSpec parse_kernel_spec(const std::string& text) {
  if (text == "host" || text.empty()) return {KernelSpec::Kind::Host, "host"};
  if (find_series(text)) return {KernelSpec::Kind::Series, text};
  if (text.find('/') != std::string::npos) return {KernelSpec::Kind::Path, text};
  static const std::regex version(R"(^[0-9]+\.[0-9]+(\.[0-9]+)?$)");
  if (std::regex_match(text, version)) return {KernelSpec::Kind::Version, text};
  static const std::regex pkg("^linux-(image|binary)-[0-9][A-Za-z0-9.+~-]*$");
  if (std::regex_match(text, pkg)) return {KernelSpec::Kind::Package, text};
  std::string series;
  for (auto& s : known_series()) series += (series.empty() ? "" : ", ") + s.name;
  throw std::invalid_argument(
      "unknown kernel spec '" + text + "': expected 'host', a series (" + series +
      "), a version (6.17.8) or minor (6.16) of a build the mirror has (`tristate kernels "
      "available`), a Debian package name (e.g. linux-image-6.1.0-28-cloud-amd64), or a path to a "
      "vmlinuz (containing '/', e.g. ./vmlinuz)");
}

std::string series_of_package(const std::string& package) {
  for (auto& s : known_series())
    if (std::regex_match(package, std::regex(s.package_regex, std::regex::extended))) return s.name;
  // Same series, other flavours (e.g. -amd64 instead of -cloud-amd64).
  static const std::pair<const char*, const char*> prefixes[] = {
      {"linux-image-5.10.", "5.10"}, {"linux-image-6.12.", "6.12"},
      {"linux-image-6.1.", "6.1"}, {"linux-binary-", "latest"}};
  for (auto& [p, s] : prefixes)
    if (package.rfind(p, 0) == 0) return s;
  return "";
}

bool version_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit((unsigned char)a[i]) && std::isdigit((unsigned char)b[j])) {
      std::size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit((unsigned char)a[i2])) ++i2;
      while (j2 < b.size() && std::isdigit((unsigned char)b[j2])) ++j2;
      std::string na = a.substr(i, i2 - i), nb = b.substr(j, j2 - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size()));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = i2;
      j = j2;
    } else {
      // Debian's rule: '~' sorts before anything, the end included (6.12.107-1~deb12u1 < 6.12.107-1)
      if (a[i] != b[j]) return a[i] == '~' || (b[j] != '~' && a[i] < b[j]);
      ++i;
      ++j;
    }
  }
  if (i < a.size() && a[i] == '~') return true;
  if (j < b.size() && b[j] == '~') return false;
  return a.size() - i < b.size() - j;
}

}  // namespace tristate::lab
