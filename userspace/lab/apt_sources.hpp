// The private apt configuration the lab fetches kernels with. Mirror URIs are read from the
// machine's own deb822 source file, never written into the code, and the machine's apt
// state is never touched: each series gets its own sources.list, lists and cache directories.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
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

// Classic one-line `sources.list` text ("deb [opts] URI SUITE COMPONENT…"): the main archive
// is the first `deb` line whose suite is not *-security, the security archive the first whose
// suite is; signed-by from the options. Throws naming `what` when no `deb` line is found.
ArchiveUris parse_classic_sources(const std::string& text, const std::string& what);

// The machine's archives from whichever apt source it has: the deb822 file
// (debian_sources_path()), else /etc/apt/sources.list and /etc/apt/sources.list.d/*.list
// ($TRISTATE_APT_SOURCES_LIST overrides the classic file). Throws, saying to use
// `--kernel /path/to/vmlinuz`, when the machine has no Debian apt source at all.
ArchiveUris read_machine_archives();

// The suites `kernels available` looks in (ENVIRONMENT.md), oldest release first; those the
// mirror lacks are left out after `apt-get update`.
const std::vector<SuiteRef>& history_suites();
std::string private_sources_list(const std::vector<SuiteRef>& suites, const ArchiveUris& uris,
                                 const std::string& title);

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

// The percentage of an APT::Status-Fd download line ("dlstatus:1:42.5:Retrieving file 1 of 1"),
// clamped to 0..100; nullopt for any other line.
std::optional<double> apt_download_percent(std::string_view line);

}  // namespace tristate::lab
