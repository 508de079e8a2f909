#include "render/render_live.hpp"

#include <nlohmann/json.hpp>

#include <ctime>
#include <iomanip>
#include <sstream>

#include "render/render_text.hpp"
#include "report/report_json.hpp"

namespace tristate::render {

std::string live_event_line(const report::Event& e, std::int64_t mono_to_real_ns) {
  const std::int64_t real = static_cast<std::int64_t>(e.ts_ns) + mono_to_real_ns;
  const std::time_t secs = static_cast<std::time_t>(real / 1000000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::ostringstream o;
  o << std::put_time(&tm, "%H:%M:%S") << "." << std::setw(6) << std::setfill('0')
    << (real % 1000000000) / 1000 << std::setfill(' ') << " " << e.comm << "[" << e.pid;
  if (e.tid != e.pid) o << "/" << e.tid;
  o << "] netns " << e.netns << " port " << e.port << "  " << describe_event(e);
  return o.str();
}

std::string live_event_json(const report::Event& e) {
  nlohmann::json j = e;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);  // comm is any bytes
}

namespace {

nlohmann::json summary_json(const trace::LiveSummary& s) {
  nlohmann::json ports = nlohmann::json::array();
  for (auto p : s.ports) ports.push_back(p);
  return {{"seconds", s.seconds},
          {"events", s.events},
          {"kernel_events", s.kernel_events},
          {"lost", s.lost},
          {"missed", s.missed},
          {"undecodable", s.undecodable},
          {"ports", ports},
          {"events_by_kind", s.by_kind},
          {"transitions", s.transitions},
          {"buckets_alive_by_state", s.alive_by_state},
          {"buckets_created", s.buckets_created},
          {"buckets_destroyed", s.buckets_destroyed},
          {"failed_allocations", s.failed_allocations}};
}

}  // namespace

std::string live_summary_json(const trace::LiveSummary& s) {
  return nlohmann::json{{"summary", summary_json(s)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string live_summary_text(const trace::LiveSummary& s) {
  std::ostringstream o;
  o << "summary: " << s.events << " events in " << std::fixed << std::setprecision(1) << s.seconds
    << " s, " << s.lost << " lost, " << s.missed << " missed";
  if (s.undecodable) o << ", " << s.undecodable << " undecodable";
  o << "\n  ports seen: " << s.ports.size();
  int shown = 0;
  for (auto p : s.ports) {
    if (shown++ == 20) {
      o << " …";
      break;
    }
    o << (shown == 1 ? " (" : " ") << p;
  }
  if (!s.ports.empty()) o << (s.ports.size() > 20 ? ")" : ")");
  o << "\n  bhash buckets: " << s.buckets_created << " created, " << s.buckets_destroyed
    << " destroyed; alive at the end by state (fastreuse/fastreuseport):";
  if (s.alive_by_state.empty()) o << " none";
  for (const auto& [k, n] : s.alive_by_state) o << " " << k << "=" << n;
  o << "\n  events by kind:";
  if (s.by_kind.empty()) o << " none";
  for (const auto& [k, n] : s.by_kind) o << " " << k << "=" << n;
  o << "\n  state transitions:";
  if (s.transitions.empty()) o << " none";
  for (const auto& [k, n] : s.transitions) o << " [" << k << "]=" << n;
  o << "\n  failed port allocations: " << s.failed_allocations << "\n";
  return o.str();
}

}  // namespace tristate::render
