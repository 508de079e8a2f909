// Excerpts of a Debian kernel changelog: what a build lists since another build's version, on
// the topics a bind-bucket change comes from. For a stable update the changelog lists every
// upstream commit title ("- tcp: Update bind bucket state on port release"); a new upstream
// release says only "New upstream release", so merge-window commits are not there.
#pragma once

#include <string>
#include <vector>

namespace tristate::lab {

struct ChangelogLine {
  std::string version;  // the changelog entry it is under, e.g. 6.17.8-1
  std::string text;     // the item, continuation lines joined: "tcp: Update bind bucket …"
  bool networking = false;  // its subsystem prefix is tcp/inet/ipv4/ipv6/net
};

// The items of entries whose upstream version is newer than `since_upstream` (every entry
// when it is ""), that mention tcp, inet, bind, port, bhash, hash or reuse as a word;
// networking-prefixed items first, each group in changelog order.
std::vector<ChangelogLine> changelog_excerpt(const std::string& changelog, const std::string& since_upstream);

// gunzips a whole file; throws std::runtime_error naming it when it is not gzip.
std::string read_gzip_file(const std::string& path);

}  // namespace tristate::lab
