#include "report/kinds.hpp"

#include <array>
#include <cstddef>

namespace tristate::report {

namespace {

// Each table is indexed by its enum's values, in declaration order; the static_asserts pin
// the last value of each so an enum and its table cannot drift apart.
template <typename E>
struct Table;

template <>
struct Table<EventKind> {
  static constexpr std::array<std::string_view, 8> names = {
      "bucket_create", "bucket_state",  "bucket_destroy", "bind_alloc",
      "connect_alloc", "connect_skip", "bucket2_create", "bucket2_destroy"};
  static_assert(std::size_t(EventKind::bucket2_destroy) + 1 == names.size());
};
template <>
struct Table<OpPath> {
  static constexpr std::array<std::string_view, 5> names = {"", "bind", "listen", "connect", "release"};
  static_assert(std::size_t(OpPath::release) + 1 == names.size());
};
template <>
struct Table<TraceMode> {
  static constexpr std::array<std::string_view, 4> names = {"none", "fentry", "kprobe", "mixed"};
  static_assert(std::size_t(TraceMode::mixed) + 1 == names.size());
};
template <>
struct Table<ProbeMechanism> {
  static constexpr std::array<std::string_view, 5> names = {"none", "fentry", "fexit", "kprobe", "kretprobe"};
  static_assert(std::size_t(ProbeMechanism::kretprobe) + 1 == names.size());
};
template <>
struct Table<QuizStatus> {
  static constexpr std::array<std::string_view, 3> names = {"ok", "mismatch", "error"};
  static_assert(std::size_t(QuizStatus::error) + 1 == names.size());
};
template <>
struct Table<CheckOutcome> {
  static constexpr std::array<std::string_view, 3> names = {"passed", "DIFF", "not checked"};
  static_assert(std::size_t(CheckOutcome::not_checked) + 1 == names.size());
};

template <typename E>
std::string_view name_of(E v) {
  const auto i = std::size_t(v);
  return i < Table<E>::names.size() ? Table<E>::names[i] : "?";
}

}  // namespace

std::string_view name(EventKind v) { return name_of(v); }
std::string_view name(OpPath v) { return name_of(v); }
std::string_view name(TraceMode v) { return name_of(v); }
std::string_view name(ProbeMechanism v) { return name_of(v); }
std::string_view name(QuizStatus v) { return name_of(v); }
std::string_view name(CheckOutcome v) { return name_of(v); }

template <typename E>
std::optional<E> from_name(std::string_view s) {
  const auto& t = Table<E>::names;
  for (std::size_t i = 0; i < t.size(); ++i)
    if (t[i] == s) return E(i);
  return std::nullopt;
}

template <typename E>
std::span<const std::string_view> names() {
  return Table<E>::names;
}

#define TS_KINDS_INSTANTIATE(E)                               \
  template std::optional<E> from_name<E>(std::string_view s); \
  template std::span<const std::string_view> names<E>();
TS_KINDS_INSTANTIATE(EventKind)
TS_KINDS_INSTANTIATE(OpPath)
TS_KINDS_INSTANTIATE(TraceMode)
TS_KINDS_INSTANTIATE(ProbeMechanism)
TS_KINDS_INSTANTIATE(QuizStatus)
TS_KINDS_INSTANTIATE(CheckOutcome)
#undef TS_KINDS_INSTANTIATE

}  // namespace tristate::report
