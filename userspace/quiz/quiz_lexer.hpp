// Splits one `>>>` statement into tokens: names, integers (Python spelling: 60_000, 0x10),
// strings in ' or ", punctuation. A `#` outside a string starts a comment.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "quiz/quiz.hpp"

namespace tristate::quiz {

struct Token {
  enum class Kind { Name, Int, Str, Punct, End };
  Kind kind = Kind::End;
  std::string text;  // source spelling ("60_000", "'127.0.0.1'", "<<")
  long long i = 0;   // Int: value
  std::string s;     // Str: value without quotes and escapes
  int column = 0;    // 1-based column of the first character in the file's line
  int end_column = 0;  // column just past the last character
};

// `line` is the whole source line, `start` the 0-based offset where the statement begins.
// Throws ParseError (file, line_no, column) for a character or literal Python would reject.
std::vector<Token> lex_statement(std::string_view line, std::size_t start,
                                 const std::string& file, int line_no);

// How a token is named in "found ..." messages: "name 'foo'", "')'", "end of line".
std::string describe(const Token& t);

}  // namespace tristate::quiz
