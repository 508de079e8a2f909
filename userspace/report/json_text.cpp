#include "report/json_text.hpp"

#include <algorithm>

namespace tristate::report {

namespace {

std::string at(const std::string& what, std::string_view text, std::size_t offset) {
  const TextPosition p = position_of(text, offset);
  return what + ":" + std::to_string(p.line) + ":" + std::to_string(p.column);
}

// The first opening bracket past max_depth, outside strings; npos when there is none.
std::size_t too_deep(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::string_view::npos;
}

// nlohmann says "[json.exception.parse_error.101] parse error at line 15, column 100: syntax
// error while parsing value - invalid string: missing closing quote; last read: '…'": the
// position is ours already, and "last read" repeats a whole token, however long.
std::string reason(const std::string& message) {
  std::string r = message;
  if (auto p = r.find(" - "); p != std::string::npos) r = r.substr(p + 3);
  else if (auto q = r.find(": "); q != std::string::npos) r = r.substr(q + 2);
  if (auto p = r.find("; last read: '"); p != std::string::npos && r.size() - p > 80)
    r = r.substr(0, p + 14 + 40) + "…'";
  return r;
}

}  // namespace

TextPosition position_of(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  TextPosition p;
  const std::string_view before = text.substr(0, offset);
  p.line = 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t nl = before.rfind('\n');
  p.column = offset - (nl == std::string_view::npos ? 0 : nl + 1) + 1;
  return p;
}

util::Result<nlohmann::json> parse_json_text(std::string_view text, const std::string& what, int max_depth) {
  if (const std::size_t deep = too_deep(text, max_depth); deep != std::string_view::npos)
    return util::Error{at(what, text, deep) + ": JSON nested more than " + std::to_string(max_depth) +
                       " levels deep, refused before parsing"};
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based: the byte that did not fit (one past the end when the text ran out).
    const std::size_t offset = e.byte == 0 ? 0 : e.byte - 1;
    std::string why = reason(e.what());
    if (offset >= text.size()) why += " (the text ends here: cut short?)";
    return util::Error{at(what, text, offset) + ": not valid JSON: " + why};
  } catch (const nlohmann::json::exception& e) {  // e.g. a number too large for a double (1e400)
    return util::Error{what + ": not valid JSON: " + reason(e.what())};
  }
}

}  // namespace tristate::report
