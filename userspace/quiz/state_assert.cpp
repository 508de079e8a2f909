#include "quiz/state_assert.hpp"

#include <cctype>

namespace tristate::quiz {
namespace {

class StateLine {
 public:
  StateLine(std::string_view line, std::size_t pos, const std::string& file, int line_no)
      : line_(line), pos_(pos), file_(file), line_no_(line_no) {}

  StateAssert parse() {
    StateAssert sa;
    sa.loc = Loc{line_no_, col()};
    const std::size_t begin = pos_;
    word("state");
    spaces(true);
    sa.sock = name();
    if (!at(':')) fail("expected ':' after the socket name (state s1: -1/-1)");
    ++pos_;
    spaces(false);
    auto [f, p] = pair();
    sa.fastreuse = f;
    sa.fastreuseport = p;
    spaces(false);
    if (pos_ < line_.size()) {
      word("bhash2");
      spaces(true);
      sa.bhash2 = pair();
      spaces(false);
      if (pos_ < line_.size()) fail("expected end of line after the bhash2 pair");
    }
    std::size_t end = line_.size();
    while (end > begin && (line_[end - 1] == ' ' || line_[end - 1] == '\t')) --end;
    sa.text = std::string(line_.substr(begin, end - begin));
    return sa;
  }

 private:
  int col() const { return static_cast<int>(pos_) + 1; }
  bool at(char c) const { return pos_ < line_.size() && line_[pos_] == c; }

  [[noreturn]] void fail(const std::string& expected) const {
    std::string found = pos_ < line_.size() ? "'" + std::string(1, line_[pos_]) + "'"
                                            : std::string("end of line");
    throw ParseError(file_, Loc{line_no_, col()},
                     "found " + found + " in a state assertion, " + expected);
  }

  void spaces(bool required) {
    const std::size_t p = pos_;
    while (at(' ') || at('\t')) ++pos_;
    if (required && p == pos_) fail("expected a space");
  }

  void word(std::string_view w) {
    if (line_.substr(pos_, w.size()) != w)
      fail("expected '" + std::string(w) + "'" +
           (w == "bhash2" ? " or end of line (state s1: -1/-1 bhash2 -1/-1)" : ""));
    pos_ += w.size();
  }

  std::string name() {
    const std::size_t b = pos_;
    auto ok = [&](std::size_t i, bool first) {
      const auto c = static_cast<unsigned char>(line_[i]);
      return std::isalpha(c) || c == '_' || (!first && std::isdigit(c));
    };
    if (pos_ >= line_.size() || !ok(pos_, true)) fail("expected the name of a socket, such as s1");
    while (pos_ < line_.size() && ok(pos_, false)) ++pos_;
    return std::string(line_.substr(b, pos_ - b));
  }

  // -1, 0 or 1: the three values fastreuse and fastreuseport take.
  int tri() {
    if (line_.substr(pos_, 2) == "-1") {
      pos_ += 2;
      return -1;
    }
    if (at('0') || at('1')) return line_[pos_++] - '0';
    fail("expected -1, 0 or 1");
  }

  std::pair<int, int> pair() {
    const int a = tri();
    if (!at('/')) fail("expected '/' between fastreuse and fastreuseport (-1/-1)");
    ++pos_;
    const int b = tri();
    if (pos_ < line_.size() && !at(' ') && !at('\t')) fail("expected a space or end of line");
    return {a, b};
  }

  std::string_view line_;
  std::size_t pos_;
  const std::string& file_;
  int line_no_;
};

}  // namespace

std::optional<StateAssert> parse_state_assert(std::string_view line, std::size_t hash,
                                              const std::string& file, int line_no) {
  std::size_t p = hash + 1;
  while (p < line.size() && (line[p] == ' ' || line[p] == '\t')) ++p;
  if (line.substr(p, 5) != "state") return std::nullopt;
  const std::size_t after = p + 5;
  if (after < line.size() && line[after] != ' ' && line[after] != '\t' && line[after] != ':')
    return std::nullopt;  // `# stateful ...` is prose
  return StateLine(line, p, file, line_no).parse();
}

}  // namespace tristate::quiz
