// Parses one `>>>` statement of the quiz language (docs/quiz-format.md, "Statements") into
// the Quiz model. The file parser (quiz_parser) finds the statements; this holds the grammar.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "quiz/quiz.hpp"

namespace tristate::quiz {

// What the parser knows about each name bound by an earlier statement, so that literal
// arguments can be checked before anything runs (an IPv6 address given to an AF_INET socket).
struct NameTable {
  enum class Type { Value, SocketV4, SocketV6, Unknown };
  std::map<std::string, Type> types;
  std::vector<std::string> order;  // names in the order they were first bound

  void bind(const std::string& name, Type type);
};

// `line` is the whole source line, `start` the offset where the statement begins. Fills
// `st` (everything but text, loc and expect) and records the names it binds in `names`.
// Throws ParseError at the offending line:column.
void parse_statement(std::string_view line, std::size_t start, const std::string& file,
                     int line_no, NameTable& names, Statement& st);

}  // namespace tristate::quiz
