#include "render/text_style.hpp"

#include <fmt/color.h>

namespace tristate::render {

std::string paint(bool on, Tone tone, const std::string& s) {
  if (!on || s.empty()) return s;
  using fmt::emphasis, fmt::terminal_color;
  fmt::text_style style;
  switch (tone) {
    case Tone::plain: return s;
    case Tone::bold: style = emphasis::bold; break;
    case Tone::green: style = fmt::fg(terminal_color::green); break;
    case Tone::red: style = fmt::fg(terminal_color::red); break;
    case Tone::bold_red: style = emphasis::bold | fmt::fg(terminal_color::red); break;  // failures stand out
    case Tone::yellow: style = fmt::fg(terminal_color::yellow); break;
    case Tone::cyan: style = fmt::fg(terminal_color::cyan); break;
    case Tone::dim: style = emphasis::faint; break;
  }
  return fmt::format(style, "{}", s);
}

}  // namespace tristate::render
