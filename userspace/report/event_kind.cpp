#include "report/event_kind.hpp"

#include <array>
#include <cstddef>

namespace tristate::report {

namespace {

// Indexed by the enums' values; the static_asserts keep them in step with the declarations.
constexpr std::array<std::string_view, 8> kKinds = {"bucket_create", "bucket_state",  "bucket_destroy",
                                                     "bind_alloc",    "connect_alloc", "connect_skip",
                                                     "bucket2_create", "bucket2_destroy"};
static_assert(kKinds[std::size_t(EventKind::connect_skip)] == "connect_skip" &&
              kKinds[std::size_t(EventKind::bucket2_destroy)] == "bucket2_destroy");

constexpr std::array<std::string_view, 5> kPaths = {"", "bind", "listen", "connect", "release"};
static_assert(kPaths[std::size_t(OpPath::listen)] == "listen" && kPaths[std::size_t(OpPath::release)] == "release");

template <typename E, std::size_t N>
std::optional<E> lookup(const std::array<std::string_view, N>& names, std::string_view s) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == s) return E(i);
  return std::nullopt;
}

}  // namespace

std::string_view name(EventKind k) {
  const auto i = std::size_t(k);
  return i < kKinds.size() ? kKinds[i] : "?";
}

std::string_view name(OpPath p) {
  const auto i = std::size_t(p);
  return i < kPaths.size() ? kPaths[i] : "?";
}

std::optional<EventKind> event_kind_from(std::string_view s) { return lookup<EventKind>(kKinds, s); }
std::optional<OpPath> op_path_from(std::string_view s) { return lookup<OpPath>(kPaths, s); }

std::span<const std::string_view> event_kind_names() { return kKinds; }

}  // namespace tristate::report
