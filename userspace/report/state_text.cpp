#include "report/state_text.hpp"

#include <map>
#include <vector>

namespace tristate::report {

std::string tri_value(int v) { return v > 0 ? "+" + std::to_string(v) : std::to_string(v); }

std::string pair_text(const BucketState& s) {
  return tri_value(s.fastreuse) + "/" + tri_value(s.fastreuseport);
}

std::string state_line(const StepState& st) {
  if (!st.taken) return "not read (" + st.error + ")";
  std::map<std::uint16_t, std::pair<BucketState, std::vector<std::string>>> by_port;
  std::vector<std::string> unbound;
  for (const auto& s : st.sockets) {
    const std::string name = s.name.empty() ? "?" : s.name;
    if (!s.port) {
      unbound.push_back(name);
      continue;
    }
    auto& [state, names] = by_port[s.port];
    state = s.state;
    std::string shown = name;
    if (s.state2 && !(*s.state2 == s.state)) shown += "[bhash2 " + pair_text(*s.state2) + "]";
    names.push_back(shown);
  }
  std::string out;
  for (const auto& [port, entry] : by_port) {
    if (!out.empty()) out += " · ";
    out += std::to_string(port) + " " + pair_text(entry.first);
    for (const auto& n : entry.second) out += " " + n;
  }
  if (!unbound.empty()) {
    if (!out.empty()) out += " · ";
    out += "unbound";
    for (const auto& n : unbound) out += " " + n;
  }
  return out.empty() ? "no bucket" : out;
}

std::string state_key(const StepState& st, bool bhash2) {
  if (!st.taken) return "";
  std::map<std::uint16_t, std::string> by_port;
  for (const auto& s : st.sockets) {
    if (!s.port) continue;
    auto& text = by_port[s.port];
    if (text.empty()) text = pair_text(s.state);
    if (bhash2 && s.state2 && !(*s.state2 == s.state))
      text += " " + (s.name.empty() ? "?" : s.name) + "[bhash2 " + pair_text(*s.state2) + "]";
  }
  std::string out;
  for (const auto& [port, text] : by_port) out += (out.empty() ? "" : " · ") + std::to_string(port) + " " + text;
  return out.empty() ? "no bucket" : out;
}

}  // namespace tristate::report
