// Text helpers for messages.
#pragma once

#include <string>
#include <string_view>

namespace tristate::util {

// Shortens every quoted run ('…' or "…") longer than `max` characters to its start, the count
// left out, and its end, so a 5 MB token in a bad quiz does not come back whole in the error.
std::string shorten_quoted(std::string_view message, std::size_t max = 60);

// The character starting at byte `at` of `line`, for "found X" in an error: 'c' for printable
// ASCII, "byte 0x09" for a control byte, and for UTF-8 the character, its code point and, for
// what a web page or a word processor puts into pasted code (typographic quotes, a no-break
// space, dashes), what to type instead — never half a UTF-8 sequence on the user's terminal.
std::string describe_char_at(std::string_view line, std::size_t at);

}  // namespace tristate::util
