#include "report/kinds.hpp"

#include <array>
#include <cstddef>

namespace tristate::report {

namespace {

// Each enum's table (kinds.hpp, under the enum), indexed by its values in declaration order.
template <typename E>
struct Table;

template <>
struct Table<EventKind> {
  static constexpr const auto& names = kEventKindNames;
};
template <>
struct Table<OpPath> {
  static constexpr const auto& names = kOpPathNames;
};
template <>
struct Table<TraceMode> {
  static constexpr const auto& names = kTraceModeNames;
};
template <>
struct Table<ProbeMechanism> {
  static constexpr const auto& names = kProbeMechanismNames;
};
template <>
struct Table<QuizStatus> {
  static constexpr const auto& names = kQuizStatusNames;
};
template <>
struct Table<CheckOutcome> {
  static constexpr const auto& names = kCheckOutcomeNames;
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
