#include "util/duration.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace tristate::util {

ParsedDuration parse_duration(std::string_view text, std::chrono::nanoseconds plain_unit) {
  using std::chrono::nanoseconds;
  const std::string s(text);
  if (s.empty()) return {std::nullopt, "empty duration (e.g. 10s, 500ms)"};
  const auto bad = [&] { return ParsedDuration{std::nullopt, "'" + s + "' is not a duration (e.g. 10s, 500ms, 2m)"}; };
  if (!(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.')) return bad();
  char* end = nullptr;
  const double number = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || !std::isfinite(number)) return bad();
  const std::string_view suffix(end);
  struct Unit {
    std::string_view name;
    double ns;
  };
  static constexpr std::array<Unit, 6> kUnits{{{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}}};
  double scale = 0;
  if (suffix.empty()) scale = static_cast<double>(plain_unit.count());
  for (const auto& u : kUnits)
    if (suffix == u.name) scale = u.ns;
  if (scale == 0) return ParsedDuration{std::nullopt, "'" + s + "': unknown unit '" + std::string(suffix) + "' (ns, us, ms, s, m, h)"};
  const double total = number * scale;
  if (total > static_cast<double>(std::numeric_limits<nanoseconds::rep>::max()) / 2)
    return ParsedDuration{std::nullopt, "'" + s + "' is too long"};
  return {nanoseconds(static_cast<nanoseconds::rep>(std::llround(total))), ""};
}

}  // namespace tristate::util
