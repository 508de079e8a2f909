// Parses the doctest subset quizzes are written in (see docs/quiz-format.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "quiz/quiz.hpp"

namespace tristate::quiz {

// Throws ParseError (file:line:column: what was found, what was expected).
Quiz parse_quiz(std::string_view text, const std::string& file);

// Reads and parses a file; throws ParseError (line 0) when it cannot be read.
Quiz load_quiz(const std::string& path);

// Resolves command-line names: a path to a file, or a quiz name looked up in `quiz_dir`
// ("post-3" -> quiz_dir/post-3.quiz). Empty `names` means every *.quiz in quiz_dir, sorted.
// Throws std::runtime_error naming what could not be found.
std::vector<std::string> resolve_quiz_paths(const std::vector<std::string>& names,
                                            const std::string& quiz_dir);

}  // namespace tristate::quiz
