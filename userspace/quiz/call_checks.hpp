// Checks of a call's literal arguments, made while a statement is parsed so that a wrong
// literal is reported at its file:line:column before anything runs (an IPv6 address given to
// an AF_INET socket, a port of 70000, a struct code the language does not speak). What depends
// on a name's value is left to the runner, which fails as Python would at run time.
#pragma once

#include <string>

#include "quiz/quiz.hpp"
#include "quiz/statement_parser.hpp"

namespace tristate::quiz {

// An IPv4 / IPv6 address literal as inet_pton reads it (no names, no DNS).
bool is_v4(const std::string& s);
bool is_v6(const std::string& s);

// "integer 3", "string 'x'", "tuple (...)" or the argument as spelled: how errors name it.
std::string kind_word(const Arg& a);

// socket(), pack(), disconnect(). Fills socket()'s defaults (AF_INET, SOCK_STREAM) as Python
// does. `last_end` is the column after the call, where a missing argument is reported. Throws
// ParseError.
void check_function_args(Call& c, const std::string& file, int line_no, int last_end);

// A socket method `fn` called on a receiver of `type`. Spells out '' and 'localhost' in address
// tuples for the runner. Throws ParseError.
void check_method_args(Call& c, const std::string& fn, NameTable::Type type, const std::string& file,
                       int line_no, int last_end);

}  // namespace tristate::quiz
