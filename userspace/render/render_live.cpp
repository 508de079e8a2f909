#include "render/render_live.hpp"

#include <nlohmann/json.hpp>

#include <ctime>
#include <iomanip>
#include <sstream>

#include "render/render_text.hpp"
#include "report/event_text.hpp"
#include "report/report_json.hpp"
#include "report/schemas.hpp"

namespace tristate::render {

namespace {

// Column widths: time, task (comm[pid/tid]), netns inode, port.
constexpr int kTaskWidth = 22, kNetnsWidth = 10, kPortWidth = 5;

// `date_too`: "1970-01-01T00:00:03.000250Z"; else "00:00:03.000250".
std::string wall_clock(const report::Event& e, std::int64_t mono_to_real_ns, bool date_too) {
  const std::int64_t real = static_cast<std::int64_t>(e.ts_ns) + mono_to_real_ns;
  const std::time_t secs = static_cast<std::time_t>(real / 1000000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::ostringstream o;
  o << std::put_time(&tm, date_too ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S") << "." << std::setw(6)
    << std::setfill('0') << (real % 1000000000) / 1000 << (date_too ? "Z" : "");
  return o.str();
}

}  // namespace

std::string live_header_line(const LiveClock& clock) {
  std::ostringstream o;
  o << std::left << std::setw(15) << (clock.start_ns ? "TIME(s)" : "TIME(UTC)") << " " << std::setw(kTaskWidth) << "COMM[PID/TID]" << " "
    << std::setw(kNetnsWidth) << "NETNS" << " " << std::setw(kPortWidth) << "PORT" << "  EVENT";
  return o.str();
}

std::string live_event_line(const report::Event& e, const LiveClock& clock) {
  std::string task = e.comm + "[" + std::to_string(e.pid);
  if (e.tid != e.pid) task += "/" + std::to_string(e.tid);
  task += "]";
  std::ostringstream o;
  if (clock.start_ns) {
    const double secs = e.ts_ns >= *clock.start_ns ? static_cast<double>(e.ts_ns - *clock.start_ns) / 1e9 : 0.0;
    o << std::right << std::fixed << std::setprecision(6) << std::setw(15) << secs;
  } else {
    o << wall_clock(e, clock.mono_to_real_ns, false);
  }
  o << " " << std::left << std::setw(kTaskWidth) << task << " "
    << std::setw(kNetnsWidth) << e.netns << " " << std::setw(kPortWidth) << e.port << "  " << report::event_story(e);
  return o.str();
}

std::string live_event_json(const report::Event& e, std::int64_t mono_to_real_ns) {
  nlohmann::json j = e;
  j["schema"] = report::kTraceSchema;
  j["type"] = "event";
  j["time"] = wall_clock(e, mono_to_real_ns, true);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);  // comm is any bytes
}

namespace {

nlohmann::json summary_json(const report::LiveSummary& s) {
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

std::string live_summary_json(const report::LiveSummary& s) {
  return nlohmann::json{{"schema", report::kTraceSchema}, {"type", "summary"}, {"summary", summary_json(s)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string live_summary_text(const report::LiveSummary& s) {
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
