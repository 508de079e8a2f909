// Parsing JSON a user hands us (a saved report, another tool's file, a truncated download):
// errors name FILE:LINE:COLUMN, as the quiz parser's do, and nesting is bounded before
// nlohmann builds anything — 60 MB of '[' otherwise became 62 million nested arrays, 4.6 GB
// of memory and 19 s before the parse error (measured on the 64 MiB input limit's side).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace tristate::report {

// Deeper than any document tristate writes (a report nests 8 levels).
inline constexpr int kMaxJsonDepth = 64;

// Line and column (1-based, columns in bytes) of byte offset `at` of `text`.
struct TextPosition {
  std::size_t line = 1, column = 1;
};
TextPosition position_of(std::string_view text, std::size_t at);

// `what` names the input in errors ("run.json", "report from guest 6.1.0-57").
util::Result<nlohmann::json> parse_json_text(std::string_view text, const std::string& what,
                                             int max_depth = kMaxJsonDepth);

}  // namespace tristate::report
