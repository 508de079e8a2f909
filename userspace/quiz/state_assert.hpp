// `>>> # state s1: -1/-1 bhash2 0/0`: the line form of a bucket-state assertion
// (docs/quiz-format.md, "State assertions"). Python's doctest sees a comment.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "quiz/quiz.hpp"

namespace tristate::quiz {

// `hash` is the offset of the '#' in `line`. Returns nullopt for an ordinary comment (one
// that does not start with the word `state`); throws ParseError at the offending column for
// a malformed assertion.
std::optional<StateAssert> parse_state_assert(std::string_view line, std::size_t hash,
                                              const std::string& file, int line_no);

}  // namespace tristate::quiz
