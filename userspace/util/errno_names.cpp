#include "util/errno_names.hpp"

#include <string.h>

#include <cerrno>

namespace tristate::util {
namespace {

// Linux keeps errno numbers below 4096 (MAX_ERRNO); the reverse search walks them, and runs once
// per name in a quiz file, so no table of our own is needed to keep in step with glibc.
constexpr int kLastErrno = 4095;

// The second names Linux gives a number: strerrorname_np returns the canonical one only.
struct Alias {
  std::string_view name;
  int err;
};
constexpr Alias kAliases[] = {{"EWOULDBLOCK", EWOULDBLOCK}, {"EDEADLOCK", EDEADLOCK}, {"ENOTSUP", ENOTSUP}};

}  // namespace

std::string_view errno_name(int err) {
  if (err <= 0) return {};  // glibc names 0 "0", which is not an errno
  const char* n = strerrorname_np(err);
  return n ? std::string_view(n) : std::string_view();
}

std::optional<int> errno_from_name(std::string_view name) {
  if (name.size() < 2 || name[0] != 'E') return std::nullopt;
  for (int e = 1; e <= kLastErrno; ++e)
    if (errno_name(e) == name) return e;
  for (const auto& a : kAliases)
    if (a.name == name) return a.err;
  return std::nullopt;
}

std::string errno_label(int err) {
  auto n = errno_name(err);
  if (!n.empty()) return std::string(n);
  return "E?" + std::to_string(err);
}

}  // namespace tristate::util
