// Text helpers for messages.
#pragma once

#include <string>
#include <string_view>

namespace tristate::util {

// Shortens every quoted run ('…' or "…") longer than `max` characters to its start, the count
// left out, and its end, so a 5 MB token in a bad quiz does not come back whole in the error.
std::string shorten_quoted(std::string_view message, std::size_t max = 60);

}  // namespace tristate::util
