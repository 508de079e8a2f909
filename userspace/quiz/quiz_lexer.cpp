#include "quiz/quiz_lexer.hpp"

#include <cctype>
#include <limits>

#include "util/text.hpp"

namespace tristate::quiz {
namespace {

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

class Lexer {
 public:
  Lexer(std::string_view line, const std::string& file, int line_no)
      : line_(line), file_(file), line_no_(line_no) {}

  std::vector<Token> run(std::size_t pos) {
    std::vector<Token> out;
    while (true) {
      while (pos < line_.size() && (line_[pos] == ' ' || line_[pos] == '\t')) ++pos;
      if (pos >= line_.size() || line_[pos] == '#') {
        Token end;
        end.kind = Token::Kind::End;
        end.column = end.end_column = col(pos);
        out.push_back(end);
        return out;
      }
      char c = line_[pos];
      if (is_name_start(c)) {
        out.push_back(name(pos));
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        out.push_back(number(pos));
      } else if (c == '\'' || c == '"') {
        out.push_back(string(pos));
      } else {
        out.push_back(punct(pos));
      }
      pos = static_cast<std::size_t>(out.back().end_column - 1);
    }
  }

 private:
  int col(std::size_t pos) const { return static_cast<int>(pos) + 1; }

  [[noreturn]] void fail(std::size_t pos, const std::string& msg) const {
    throw ParseError(file_, Loc{line_no_, col(pos)}, msg);
  }

  Token make(Token::Kind kind, std::size_t begin, std::size_t end) const {
    Token t;
    t.kind = kind;
    t.text = std::string(line_.substr(begin, end - begin));
    t.column = col(begin);
    t.end_column = col(end);
    return t;
  }

  Token name(std::size_t begin) const {
    std::size_t p = begin;
    while (p < line_.size() && is_name_char(line_[p])) ++p;
    return make(Token::Kind::Name, begin, p);
  }

  // Python 3 integer literals: decimal without leading zeros, 0x/0o/0b, `_` between digits.
  Token number(std::size_t begin) const {
    std::size_t p = begin;
    int base = 10;
    if (line_[p] == '0' && p + 1 < line_.size()) {
      char x = static_cast<char>(std::tolower(static_cast<unsigned char>(line_[p + 1])));
      if (x == 'x') base = 16;
      if (x == 'o') base = 8;
      if (x == 'b') base = 2;
      if (base != 10) p += 2;
    }
    const std::size_t digits_begin = p;
    unsigned long long value = 0;
    bool overflow = false;
    bool any = false;
    bool all_zero = true;
    while (p < line_.size()) {
      char c = line_[p];
      if (c == '_') {
        // An underscore must sit between digits (or right after a base prefix).
        bool prev_ok = any || (base != 10 && p == digits_begin);
        bool next_ok = p + 1 < line_.size() && digit_value(line_[p + 1]) < base;
        if (!prev_ok || !next_ok)
          fail(p, "found '_' in a number, expected a digit on both sides of '_' (as in 60_000)");
        ++p;
        continue;
      }
      int d = digit_value(c);
      if (d >= base) {
        if (is_name_char(c))
          fail(p, std::string("found '") + c + "' in a number, expected a base-" +
                      std::to_string(base) + " digit");
        break;
      }
      any = true;
      if (d != 0) all_zero = false;
      if (value > (std::numeric_limits<unsigned long long>::max() - d) / base) overflow = true;
      value = value * base + d;
      ++p;
    }
    if (!any) fail(p, "found a number prefix without digits, expected digits after it");
    if (base == 10 && line_[begin] == '0' && !all_zero)
      fail(begin, "found a decimal number with a leading zero, expected no leading zeros "
                  "(Python 3 rejects them; write 0o for octal)");
    if (overflow || value > static_cast<unsigned long long>(std::numeric_limits<long long>::max()))
      fail(begin, "found an integer too large, expected a value below 2**63");
    Token t = make(Token::Kind::Int, begin, p);
    t.i = static_cast<long long>(value);
    return t;
  }

  Token string(std::size_t begin) const {
    const char quote = line_[begin];
    std::size_t p = begin + 1;
    std::string value;
    while (true) {
      if (p >= line_.size())
        fail(begin, std::string("found an unterminated string, expected a closing ") + quote);
      char c = line_[p];
      if (c == quote) break;
      if (c == '\\') {
        if (p + 1 >= line_.size())
          fail(begin, std::string("found an unterminated string, expected a closing ") + quote);
        char e = line_[p + 1];
        if (e != '\\' && e != '\'' && e != '"')
          fail(p, std::string("found the escape \\") + e +
                      ", expected only \\\\, \\' or \\\" in a string");
        value += e;
        p += 2;
        continue;
      }
      value += c;
      ++p;
    }
    Token t = make(Token::Kind::Str, begin, p + 1);
    t.s = std::move(value);
    return t;
  }

  Token punct(std::size_t begin) const {
    static constexpr std::string_view kTwo[] = {"<<", ">>", "==", "!=", "<=", ">="};
    for (auto two : kTwo)
      if (line_.substr(begin, 2) == two) return make(Token::Kind::Punct, begin, begin + 2);
    static constexpr std::string_view kOne = "(),.=|&^+-~[]*:";
    char c = line_[begin];
    if (kOne.find(c) != std::string_view::npos) return make(Token::Kind::Punct, begin, begin + 1);
    if (c == ';')
      fail(begin, "found ';', expected one statement per '>>>' line");
    fail(begin, "found " + util::describe_char_at(line_, begin) +
                    ", expected a name, a number, a string, or one of ( ) [ ] , . = | & ^ << >> + - ~");
  }

  std::string_view line_;
  const std::string& file_;
  int line_no_;
};

}  // namespace

std::vector<Token> lex_statement(std::string_view line, std::size_t start,
                                 const std::string& file, int line_no) {
  return Lexer(line, file, line_no).run(start);
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case Token::Kind::End: return "end of line";
    case Token::Kind::Name: return "name '" + t.text + "'";
    case Token::Kind::Int: return "integer " + t.text;
    case Token::Kind::Str: return "string " + t.text;
    case Token::Kind::Punct: return "'" + t.text + "'";
  }
  return "?";
}

}  // namespace tristate::quiz
