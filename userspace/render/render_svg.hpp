// The tri-state picture: an inline SVG state diagram of a bind bucket's moves.
// Nodes are "absent", "-1", "0", "+1" (plus any pair like "-1/0" that was actually seen);
// each arrow is one Transition, labelled with the statement that caused it.
#pragma once

#include <string>
#include <vector>

#include "compare/matrix.hpp"

namespace tristate::render {

// Escapes &, <, >, " and ' for XML/HTML text and attribute values.
std::string xml_escape(const std::string& s);

// A self-contained <svg> element. `id_prefix` keeps marker ids unique when several diagrams
// share one HTML page; `title` becomes the SVG's accessible <title>.
std::string render_state_svg(const std::vector<compare::Transition>& transitions,
                             const std::string& id_prefix, const std::string& title);

}  // namespace tristate::render
