#include "lab/changelog.hpp"

#include <zlib.h>

#include <regex>
#include <sstream>
#include <stdexcept>

#include "lab/kernel_history.hpp"

namespace tristate::lab {

std::vector<ChangelogLine> changelog_excerpt(const std::string& text, const std::string& since) {
  static const std::regex header(R"(^([a-z0-9][a-z0-9.+-]*) \(([^)]+)\) [^;]*;.*$)");
  static const std::regex item(R"(^\s+[-*+] (.*)$)");
  static const std::regex topic(R"(\b(tcp|inet|bind|port|bhash|hash|reuse)\b)", std::regex::icase);
  static const std::regex net_prefix(R"(^(\[[^\]]*\] )?(tcp|inet|ipv4|ipv6|net)\b[^:]*:)", std::regex::icase);
  std::vector<ChangelogLine> net, other;
  std::string version;
  bool wanted = false;
  std::string current;
  auto flush = [&] {
    if (!current.empty() && wanted && std::regex_search(current, topic)) {
      ChangelogLine l{version, current, std::regex_search(current, net_prefix)};
      (l.networking ? net : other).push_back(l);
    }
    current.clear();
  };
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, header)) {
      flush();
      version = m[2].str();
      const std::string up = upstream_of(version);
      wanted = since.empty() || (!up.empty() && upstream_less(since, up));
      continue;
    }
    if (std::regex_match(line, m, item)) {
      flush();
      current = m[1].str();
    } else if (!current.empty() && line.size() > 4 && line.find_first_not_of(' ') > 4 &&
               !line.starts_with(" -- ")) {
      current += " " + line.substr(line.find_first_not_of(' '));
    } else {
      flush();
    }
  }
  flush();
  net.insert(net.end(), other.begin(), other.end());
  return net;
}

std::string read_gzip_file(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error(path + ": cannot open");
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  int err = 0;
  const char* msg = gzerror(f, &err);
  const std::string why = msg ? msg : "";
  gzclose(f);
  if (n < 0 || err < 0) throw std::runtime_error(path + ": not a whole gzip file: " + why);
  return out;
}

}  // namespace tristate::lab
