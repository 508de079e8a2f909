#include "trace/explain_state.hpp"

#include <map>
#include <regex>
#include <sstream>
#include <vector>

#include "report/state_text.hpp"

namespace tristate::trace {
namespace {

struct PortView {
  report::BucketState state;
  std::vector<std::string> owners;  // "s1 (ESTABLISHED 127.0.0.1:60000)"
};

std::map<std::uint16_t, PortView> ports_of(const report::StepState& st) {
  std::map<std::uint16_t, PortView> out;
  for (const auto& s : st.sockets) {
    if (!s.port) continue;
    auto& v = out[s.port];
    v.state = s.state;
    v.owners.push_back((s.name.empty() ? "?" : s.name) + " (" + s.tcp_state + " " + s.local + ")");
  }
  return out;
}

std::string owners_text(const PortView& v) {
  std::string out;
  for (const auto& o : v.owners) out += (out.empty() ? "" : ", ") + o;
  return out;
}

// The state the step started from: the snapshot after the previous step (none before step 1:
// only the setup's listeners then, which no snapshot covers).
const report::StepState* state_before(const report::Quiz& quiz, std::size_t index) {
  if (index == 0) return nullptr;
  const auto& prev = quiz.steps[index - 1];
  return prev.state && prev.state->taken ? &*prev.state : nullptr;
}

int requested_port(const std::string& call) {
  static const std::regex port(R"(,\s*(\d+)\s*\)\s*\)\s*$)");
  std::smatch m;
  return std::regex_search(call, m, port) ? std::stoi(m[1]) : -1;
}

bool parse_range(const std::string& text, int& lo, int& hi) {
  std::istringstream in(text);
  return static_cast<bool>(in >> lo >> hi) && lo > 0 && hi >= lo;
}

std::string err_of(const report::CallResult& c) {
  return c.err_name.empty() ? "error " + std::to_string(c.err) : c.err_name;
}

std::string explain_connect(const report::Quiz& quiz, const report::StepState& before, const report::CallResult& call) {
  int lo = 0, hi = 0;
  if (!parse_range(quiz.sysctls.ip_local_port_range, lo, hi)) return "";
  const auto ports = ports_of(before);
  std::ostringstream out;
  out << "From the bucket state read after the previous step (no events traced): connect() needs a "
         "port of ip_local_port_range "
      << lo << "-" << hi << " with no bucket, or one whose bucket is -1/-1.";
  int blocked = 0, shareable = 0;
  for (const auto& [port, v] : ports) {
    if (port < lo || port > hi) continue;
    const bool shared = v.state.fastreuse < 0 && v.state.fastreuseport < 0;
    (shared ? shareable : blocked) += 1;
    out << " Port " << port << ": " << report::pair_text(v.state) << ", held by " << owners_text(v)
        << (shared ? " (shareable, so every 4-tuple through it to this destination was taken)."
                   : " (not -1/-1: connect() skips it).");
  }
  const int free_ports = hi - lo + 1 - blocked - shareable;
  if (free_ports > 0)
    out << " " << free_ports << " port(s) had no bucket our sockets hold (reserved, or held by "
           "another process of the namespace)";
  else
    out << " No other port is in the range";
  out << " -> " << err_of(call) << ".";
  return out.str();
}

std::string explain_bind(const report::StepState& before, const report::CallResult& call, bool listen) {
  const std::string verb = listen ? "listen()" : "bind()";
  const int port = requested_port(call.call);
  const auto ports = ports_of(before);
  std::ostringstream out;
  out << "From the bucket state read after the previous step (no events traced): ";
  if (port > 0) {
    auto it = ports.find(static_cast<std::uint16_t>(port));
    if (it == ports.end()) return "";
    out << verb << " asked for port " << port << ", whose bucket was " << report::pair_text(it->second.state)
        << ", held by " << owners_text(it->second) << ". ";
    if (it->second.state.fastreuse > 0)
      out << "+1 lets a socket in without the conflict check only with SO_REUSEADDR and nobody listening";
    else if (it->second.state.fastreuse < 0)
      out << "A connect()-made bucket (-1) admits a bind() only when its sockets do not conflict";
    else
      out << "A bind()-made bucket without SO_REUSEADDR (0) takes the full conflict check";
    out << "; the check found a conflicting owner";
  } else {
    out << verb << " asked for any port; every candidate already had a bucket this socket could not join";
  }
  out << " -> " << err_of(call) << ".";
  return out.str();
}

}  // namespace

std::string explain_step_from_state(const report::Quiz& quiz, std::size_t index) {
  if (index >= quiz.steps.size()) return "";
  const auto* before = state_before(quiz, index);
  if (!before) return "";
  for (const auto& call : quiz.steps[index].calls) {
    if (call.ok) continue;
    if (call.call.find(".connect(") != std::string::npos || call.call.find(".connect_ex(") != std::string::npos)
      return explain_connect(quiz, *before, call);
    if (call.call.find(".bind(") != std::string::npos) return explain_bind(*before, call, false);
    if (call.call.find(".listen(") != std::string::npos) return explain_bind(*before, call, true);
  }
  return "";
}

void explain_quiz_from_state(report::Quiz& quiz) {
  for (std::size_t i = 0; i < quiz.steps.size(); ++i) {
    auto& step = quiz.steps[i];
    if (!step.explanation.empty() || !step.events.empty()) continue;
    bool failed = false;
    for (const auto& c : step.calls) failed |= !c.ok;
    if (!failed) continue;
    if (auto text = explain_step_from_state(quiz, i); !text.empty()) step.explanation = std::move(text);
  }
}

}  // namespace tristate::trace
