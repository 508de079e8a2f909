// The terminal colours of the text renderers (quiz report, matrix table): one set of tones,
// written by fmt's colour support, so that no renderer spells escape codes of its own.
#pragma once

#include <string>

namespace tristate::render {

enum class Tone { plain, bold, green, red, bold_red, yellow, cyan, dim };

// `s` in `tone` when `on` (a terminal, --color); `s` unchanged otherwise, or when empty.
std::string paint(bool on, Tone tone, const std::string& s);

}  // namespace tristate::render
