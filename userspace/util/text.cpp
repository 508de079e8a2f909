#include "util/text.hpp"

#include <cstdio>

namespace tristate::util {

std::string shorten_quoted(std::string_view m, std::size_t max) {
  std::string out;
  out.reserve(m.size() < 4096 ? m.size() : 4096);
  std::size_t i = 0;
  while (i < m.size()) {
    const char q = m[i];
    const std::size_t close = (q == '\'' || q == '"') ? m.find(q, i + 1) : std::string_view::npos;
    if (close == std::string_view::npos || close - i - 1 <= max) {
      const std::size_t next = close == std::string_view::npos ? i + 1 : close + 1;
      out.append(m.substr(i, next - i));
      i = next;
      continue;
    }
    const std::string_view inner = m.substr(i + 1, close - i - 1);
    const std::size_t keep = max / 2;
    out += q;
    out.append(inner.substr(0, keep));
    out += "...(" + std::to_string(inner.size() - 2 * keep) + " more characters)...";
    out.append(inner.substr(inner.size() - keep));
    out += q;
    i = close + 1;
  }
  return out;
}

namespace {

// Length of the UTF-8 sequence at `at` and its code point; 0 when the bytes are not UTF-8.
std::size_t utf8_at(std::string_view s, std::size_t at, char32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[at]);
  std::size_t n = b0 >= 0xf0 && b0 < 0xf5 ? 4 : b0 >= 0xe0 ? 3 : b0 >= 0xc2 && b0 < 0xe0 ? 2 : 0;
  if (n == 0 || at + n > s.size()) return 0;
  cp = b0 & (0x7f >> n);
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[at + k]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp < 0xe000)) return 0;
  return n;
}

const char* instead_of(char32_t cp) {
  switch (cp) {
    case 0x2018: case 0x2019: case 0x201a: case 0x2032:
      return "a typographic quote, as web pages and word processors print ': type ' instead";
    case 0x201c: case 0x201d: case 0x201e: case 0x2033:
      return "a typographic quote, as web pages and word processors print \": type \" instead";
    case 0x00a0: case 0x202f: case 0x2007: case 0x2009: case 0x200b:
      return "a no-break or thin space, as web pages put into pasted code: type a plain space instead";
    case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: case 0x2212:
      return "a dash or minus sign: type - instead";
    case 0xfeff: return "a byte order mark inside the text";
    default: return nullptr;
  }
}

}  // namespace

std::string describe_char_at(std::string_view line, std::size_t at) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  if (at >= line.size()) return "end of line";
  const auto u = static_cast<unsigned char>(line[at]);
  auto byte = [&] { return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15]; };
  if (u < 0x80) {
    if (u == '\t') return "a tab";
    return u >= 0x20 && u < 0x7f ? std::string("'") + char(u) + "'" : byte();
  }
  char32_t cp = 0;
  const std::size_t n = utf8_at(line, at, cp);
  if (n == 0) return byte() + " (not UTF-8)";
  char code[16];
  std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(cp));
  std::string out = "'" + std::string(line.substr(at, n)) + "' (" + code;
  if (const char* hint = instead_of(cp)) out += std::string(", ") + hint;
  return out + ")";
}

}  // namespace tristate::util
