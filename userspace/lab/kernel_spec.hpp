// What `--kernel SPEC` may name, and the kernel series the lab knows how to find in Debian.
//
//   host                              the running kernel (no guest)
//   5.10 | 6.1 | 6.12 | latest        newest Debian cloud kernel of that series
//   6.17.8 | 6.16                     a build of that upstream version / the newest build of
//                                     that minor, from every suite the mirror has (kernel_history)
//   linux-image-6.1.0-28-cloud-amd64  one Debian package (linux-image-* or linux-binary-*)
//   /path/to/vmlinuz                  a kernel image the user supplies (anything with a '/')
#pragma once

#include <string>
#include <vector>

namespace tristate::lab {

enum class Archive { Main, Security };  // first / second URIs: of debian.sources

struct SuiteRef {
  Archive archive;
  std::string suite;
};

struct SeriesInfo {
  std::string name;                // "6.1"
  std::vector<SuiteRef> suites;    // where to look, in the private apt configuration
  std::string package_regex;       // ERE on package names, for apt-cache search --names-only
  std::string note;                // one line for `tristate kernels`
};

// The series table (ENVIRONMENT.md); names change over time, so each is a pattern, resolved
// to the newest matching package at fetch time.
const std::vector<SeriesInfo>& known_series();
const SeriesInfo* find_series(const std::string& name);

struct KernelSpec {
  enum class Kind { Host, Series, Version, Package, Path };
  Kind kind = Kind::Host;
  std::string value;  // series name, version, package name or path ("host" for Host)
};

// Throws std::invalid_argument listing the accepted forms when `text` is none of them.
KernelSpec parse_kernel_spec(const std::string& text);

// The series whose suites should hold `package`, or "" when the name does not tell.
std::string series_of_package(const std::string& package);

// Natural order of package names/versions: "6.1.0-9" < "6.1.0-28", "6.12.9" < "6.12.117";
// '~' before anything, as in Debian versions: "6.12.107-1~deb12u1" < "6.12.107-1".
bool version_less(const std::string& a, const std::string& b);

}  // namespace tristate::lab
