#include "util/text.hpp"

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

}  // namespace tristate::util
