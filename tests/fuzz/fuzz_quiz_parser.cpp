// libFuzzer target for the quiz parser. Any input must either parse into a well-formed Quiz
// or throw ParseError pointing inside the input; anything else (another exception, a crash,
// an ASan/UBSan report, a location outside the text) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "quiz/quiz_parser.hpp"

namespace {

std::vector<std::size_t> line_lengths(std::string_view text) {
  std::vector<std::size_t> out;
  std::size_t b = 0;
  while (true) {
    std::size_t e = text.find('\n', b);
    if (e == std::string_view::npos) {
      out.push_back(text.size() - b);
      return out;
    }
    out.push_back(e - b);
    b = e + 1;
  }
}

void check_loc(const std::vector<std::size_t>& lines, tristate::quiz::Loc loc) {
  if (loc.line < 1 || static_cast<std::size_t>(loc.line) > lines.size()) __builtin_trap();
  if (loc.column < 1 || static_cast<std::size_t>(loc.column) > lines[loc.line - 1] + 1)
    __builtin_trap();
}

// Every expression node has a location in the file, and a call node names a call that exists.
void check_arg(const std::vector<std::size_t>& lines, const tristate::quiz::Statement& st,
               const tristate::quiz::Arg& a) {
  check_loc(lines, a.loc);
  if (a.kind == tristate::quiz::Arg::Kind::Call &&
      (a.i < 0 || static_cast<std::size_t>(a.i) >= st.calls.size()))
    __builtin_trap();
  for (const auto& item : a.items) check_arg(lines, st, item);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto lines = line_lengths(text);
  try {
    const tristate::quiz::Quiz q = tristate::quiz::parse_quiz(text, "fuzz.quiz");
    if (q.steps.empty()) __builtin_trap();
    for (const auto& st : q.steps) {
      check_loc(lines, st.loc);
      const bool import = st.kind == tristate::quiz::Statement::Kind::Import;
      if (import != st.values.empty()) __builtin_trap();
      if (st.kind == tristate::quiz::Statement::Kind::Assign && st.targets.empty()) __builtin_trap();
      for (const auto& v : st.values) check_arg(lines, st, v);
      for (const auto& c : st.calls) {
        check_loc(lines, c.loc);
        if (c.receiver) check_arg(lines, st, *c.receiver);
        for (const auto& a : c.args) check_arg(lines, st, a);
      }
      for (const auto& sa : st.state_asserts) {
        check_loc(lines, sa.loc);
        for (int v : {sa.fastreuse, sa.fastreuseport})
          if (v < -1 || v > 1) __builtin_trap();
      }
      if (st.expect.kind == tristate::quiz::Expect::Kind::Error &&
          (st.expect.err < 0 || st.expect.err > 4095))
        __builtin_trap();
    }
    if (q.setup.port_lo < 1 || q.setup.port_lo > q.setup.port_hi || q.setup.port_hi > 65535)
      __builtin_trap();
  } catch (const tristate::quiz::ParseError& e) {
    check_loc(lines, e.loc());
    if (std::string_view(e.what()).substr(0, 10) != "fuzz.quiz:") __builtin_trap();
  }
  return 0;
}
