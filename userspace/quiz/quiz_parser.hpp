// Parses the doctest subset quizzes are written in (see docs/quiz-format.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "quiz/quiz.hpp"

namespace tristate::quiz {

// Throws ParseError (file:line:column: what was found, what was expected).
Quiz parse_quiz(std::string_view text, const std::string& file);

// The command-line name of standard input ("paste a quiz, then Ctrl-D", `curl … | tristate quiz -`).
inline constexpr const char* kStdinQuiz = "-";

// Reads and parses a file (kStdinQuiz: standard input, file "<stdin>", name "stdin"); throws
// ParseError (line 0) when it cannot be read. Pipes and devices are read up to the same bound.
Quiz load_quiz(const std::string& path);

// Whether a resolved path can only be read once (stdin, a pipe, a device): such a quiz runs
// on the host, and is refused where it would have to be shipped into a guest.
bool is_stream_quiz(const std::string& path);

// Resolves command-line names: a path to a file, "-", a pipe or device, or a quiz name looked
// up in `quiz_dir` ("post-3" -> quiz_dir/post-3.quiz). Empty `names` means every *.quiz in
// quiz_dir, sorted. Throws std::runtime_error naming what could not be found.
std::vector<std::string> resolve_quiz_paths(const std::vector<std::string>& names,
                                            const std::string& quiz_dir);

}  // namespace tristate::quiz
