#include "render/render_svg.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include "compare/bucket_view.hpp"

namespace tristate::render {

using compare::Transition;

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

constexpr int kMargin = 70;      // room left and right for labels hanging past a node
constexpr int kSpacing = 170;    // between node centres
constexpr int kNodeW = 72, kNodeH = 34;
constexpr int kLaneBase = 44;    // control-point height of the lowest arc
constexpr int kLaneStep = 30;    // extra height per stacked arc
constexpr double kCharW = 6.7;   // 11px monospace (0.6 em) plus a little, for label extents
constexpr double kTitleCharW = 8.6;  // 13px bold sans-serif: wider than any of its glyphs' average
constexpr double kPad = 8;       // kept free inside the picture's edges
constexpr std::size_t kLabelChars = 30;

// Fill colours follow who made the state: connect (-1), bind (0), reuse (+1).
const char* fill_for(const std::string& node) {
  if (node == "absent") return "#f4f4f4";
  if (node == "-1") return "#fde2c8";
  if (node == "0") return "#d3e4fb";
  if (node == "+1") return "#d5f2d5";
  return "#efe0f7";  // pairs that disagree and anything unexpected
}

struct Arc {
  std::size_t from, to;
  bool above;  // forward moves arc above the nodes, backward ones below
  int lane = 0;
  double left = 0, right = 0;  // horizontal extent of the arc and its label
  std::string label, tooltip;
};

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

int height_of(int lane) { return kLaneBase + lane * kLaneStep; }

// Where everything goes: nodes on one row, arcs stacked in lanes above (forward) and below
// (backward), the picture sized so no label or title is clipped.
struct Layout {
  std::vector<std::string> nodes;
  std::set<std::string> visited;
  std::vector<Arc> arcs;
  double shift = 0;  // moves everything right when a label would hang past the left edge
  double mid_y = 0, total_w = 0, total_h = 0;

  double x_of(std::size_t i) const { return shift + double(kMargin + kNodeW / 2 + int(i) * kSpacing); }
};

void place_arcs(const std::vector<Transition>& transitions, Layout& l) {
  auto index_of = [&](const std::string& n) {
    return static_cast<std::size_t>(std::find(l.nodes.begin(), l.nodes.end(), n) - l.nodes.begin());
  };
  for (std::size_t k = 0; k < transitions.size(); ++k) {
    const auto& t = transitions[k];
    Arc a;
    a.from = index_of(t.from);
    a.to = index_of(t.to);
    a.above = a.to >= a.from;
    a.label = std::to_string(k + 1) + ". " + compare::shorten(t.source, kLabelChars);
    a.tooltip = "step " + std::to_string(t.step) + ": " + t.source + " — port " +
                std::to_string(t.port) + ": " + t.from + " → " + t.to;
    const double x0 = l.x_of(a.from), x1 = l.x_of(a.to), mid = (x0 + x1) / 2;
    const double half = a.label.size() * kCharW / 2;
    a.left = std::min({x0, x1, mid - half});
    a.right = std::max({x0, x1, mid + half});
    // Stack arcs whose extents overlap on the same side into separate lanes.
    std::set<int> taken;
    for (const auto& b : l.arcs)
      if (b.above == a.above && b.left < a.right && a.left < b.right) taken.insert(b.lane);
    while (taken.count(a.lane)) ++a.lane;
    l.arcs.push_back(std::move(a));
  }
}

Layout lay_out(const std::vector<Transition>& transitions, const std::string& title) {
  Layout l;
  // The four states always appear, so diagrams of different kernels read the same way;
  // any other node seen (a disagreeing pair) is added after them.
  l.nodes = {"absent", "-1", "0", "+1"};
  for (const auto& t : transitions) {
    for (const auto* n : {&t.from, &t.to}) {
      l.visited.insert(*n);
      if (std::find(l.nodes.begin(), l.nodes.end(), *n) == l.nodes.end()) l.nodes.push_back(*n);
    }
  }
  place_arcs(transitions, l);  // extents measured before any shift

  // Labels are centred on their arc and may be wider than the space between two nodes: the
  // picture grows so that none is clipped, and so does it for a long title.
  const std::size_t last = l.nodes.size() - 1;
  double min_left = l.x_of(0) - kNodeW / 2.0, max_right = l.x_of(last) + kNodeW / 2.0;
  for (const auto& a : l.arcs) min_left = std::min(min_left, a.left), max_right = std::max(max_right, a.right);
  l.shift = std::max(0.0, kPad - min_left);

  int lanes_above = 0, lanes_below = 0;
  for (const auto& a : l.arcs) (a.above ? lanes_above : lanes_below) = std::max(
      a.above ? lanes_above : lanes_below, a.lane + 1);
  const int title_h = 22;
  l.mid_y = title_h + 16 + (lanes_above ? height_of(lanes_above - 1) * 0.75 + 14 : 0) + kNodeH / 2.0;
  l.total_h = l.mid_y + kNodeH / 2.0 + (lanes_below ? height_of(lanes_below - 1) * 0.75 + 24 : 0) + 16;
  const double title_w = 8 + title.size() * kTitleCharW;  // bytes >= glyphs: errs wide
  l.total_w = std::max({l.x_of(last) + kNodeW / 2 + kMargin, max_right + l.shift + kPad, title_w + kPad});
  return l;
}

std::string node_svg(const Layout& l, std::size_t i) {
  const std::string& node = l.nodes[i];
  const bool seen = l.visited.count(node) > 0;
  const double x = l.x_of(i) - kNodeW / 2.0, y = l.mid_y - kNodeH / 2.0;
  std::string s = "<g class=\"node\" data-state=\"" + xml_escape(node) + "\">";
  s += "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + std::to_string(kNodeW) +
       "\" height=\"" + std::to_string(kNodeH) + "\" rx=\"10\" fill=\"" +
       (seen ? fill_for(node) : "#ffffff") + "\" stroke=\"" + (seen ? "#333" : "#bbb") +
       "\"" + (node == "absent" ? " stroke-dasharray=\"4 3\"" : "") + "/>";
  s += "<text x=\"" + num(l.x_of(i)) + "\" y=\"" + num(l.mid_y + 5) +
       "\" text-anchor=\"middle\" font-size=\"14\" fill=\"" + (seen ? "#111" : "#aaa") + "\">" +
       xml_escape(node) + "</text></g>\n";
  return s;
}

std::string arc_svg(const Layout& l, const Arc& a, const std::string& arrow) {
  const double x0 = l.x_of(a.from), x1 = l.x_of(a.to);
  const double dir = a.above ? -1 : 1;
  const double y0 = l.mid_y + dir * kNodeH / 2.0;
  const double h = height_of(a.lane);
  std::string d;
  double label_x, label_y;
  if (a.from == a.to) {  // a move that lands where it started: a small loop
    d = "M" + num(x0 - 12) + "," + num(y0) + " C" + num(x0 - 30) + "," + num(y0 + dir * h) +
        " " + num(x0 + 30) + "," + num(y0 + dir * h) + " " + num(x0 + 12) + "," + num(y0);
    label_x = x0;
    label_y = y0 + dir * h * 0.75;
  } else {
    // Start and end a little inside the node edges so parallel arcs stay apart.
    const double sx = x0 + (x1 > x0 ? 10 : -10), ex = x1 + (x1 > x0 ? -10 : 10);
    const double cy = y0 + dir * h;
    d = "M" + num(sx) + "," + num(y0) + " C" + num(sx) + "," + num(cy) + " " + num(ex) +
        "," + num(cy) + " " + num(ex) + "," + num(y0);
    label_x = (sx + ex) / 2;
    label_y = y0 + dir * h * 0.75;  // apex of this cubic
  }
  label_y += a.above ? -4 : 13;
  std::string s = "<g class=\"edge\" data-from=\"" + xml_escape(l.nodes[a.from]) + "\" data-to=\"" +
                  xml_escape(l.nodes[a.to]) + "\"><title>" + xml_escape(a.tooltip) + "</title>";
  s += "<path d=\"" + d + "\" fill=\"none\" stroke=\"#444\" stroke-width=\"1.4\" marker-end=\"url(#" +
       arrow + ")\"/>";
  s += "<text x=\"" + num(label_x) + "\" y=\"" + num(label_y) +
       "\" text-anchor=\"middle\" font-size=\"11\" font-family=\"monospace\" "
       "fill=\"#222\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">" +
       xml_escape(a.label) + "</text></g>\n";
  return s;
}

}  // namespace

std::string render_state_svg(const std::vector<Transition>& transitions,
                             const std::string& id_prefix, const std::string& title) {
  const Layout l = lay_out(transitions, title);
  const std::string arrow = xml_escape(id_prefix) + "-arrow";
  std::string s;
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"state-diagram\" width=\"" +
       num(l.total_w) + "\" height=\"" + num(l.total_h) + "\" viewBox=\"0 0 " + num(l.total_w) +
       " " + num(l.total_h) + "\" role=\"img\" font-family=\"sans-serif\">\n";
  s += "<title>" + xml_escape(title) + "</title>\n";
  s += "<defs><marker id=\"" + arrow +
       "\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
       "orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#444\"/></marker>"
       "</defs>\n";
  s += "<text x=\"8\" y=\"16\" font-size=\"13\" font-weight=\"bold\">" + xml_escape(title) +
       "</text>\n";
  for (std::size_t i = 0; i < l.nodes.size(); ++i) s += node_svg(l, i);
  for (const auto& a : l.arcs) s += arc_svg(l, a, arrow);
  s += "</svg>\n";
  return s;
}

}  // namespace tristate::render
