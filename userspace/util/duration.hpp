// Durations as users type them: "10s", "500ms", "2m", "1h", "1.5s"; a plain number counts in
// the option's historical unit (quiz --timeout: milliseconds, the others: seconds), so
// scripts written before units existed keep their meaning.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tristate::util {

struct ParsedDuration {
  std::optional<std::chrono::nanoseconds> value;  // set on success
  std::string error;                              // why not, on failure
};

// `plain_unit` applies to a number without a suffix. Accepted suffixes: ns, us, ms, s, m, h.
// Negative, empty, non-finite or overflowing values are errors.
ParsedDuration parse_duration(std::string_view text, std::chrono::nanoseconds plain_unit);

}  // namespace tristate::util
