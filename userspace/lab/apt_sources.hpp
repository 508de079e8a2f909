// The private apt configuration the lab fetches kernels with. Mirror URIs are read from the
// machine's own deb822 source file, never written into the code, and the machine's apt
// state is never touched: each series gets its own sources.list, lists and cache directories.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lab/kernel_spec.hpp"

namespace tristate::lab {

struct ArchiveUris {
  std::string main;       // first URIs: stanza (the main archive)
  std::string security;   // second URIs: stanza (the security archive)
  std::string signed_by;  // keyring of the first stanza that names one ("" = apt default)
};

// Default /etc/apt/sources.list.d/debian.sources; $TRISTATE_DEBIAN_SOURCES overrides it
// (tests point it at a file with unreachable URIs).
std::filesystem::path debian_sources_path();

// Parses deb822 text. Throws std::runtime_error naming `what` when no URIs: line is found,
// or when the security archive is needed (need_security) but missing.
ArchiveUris parse_debian_sources(const std::string& text, const std::string& what);
ArchiveUris read_debian_sources(const std::filesystem::path& path);

// One-line-format sources.list for a series, e.g.
//   deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] URI bookworm main
// Throws when the series needs an archive the source file did not name.
std::string private_sources_list(const SeriesInfo& series, const ArchiveUris& uris);

// The directories of one private apt configuration.
struct AptDirs {
  std::filesystem::path base;  // <cache>/apt/<series>
  std::filesystem::path sources_list() const { return base / "sources.list"; }
  std::filesystem::path lists() const { return base / "lists"; }
  std::filesystem::path cache() const { return base / "cache"; }
};

// `-o` options that make apt-get / apt-cache use only the private configuration.
std::vector<std::string> apt_options(const AptDirs& dirs);

}  // namespace tristate::lab
