// `tristate trace` output: one text line per event, JSON Lines, and the end-of-trace summary
// (text and JSON). Pure: returns strings; the CLI writes and flushes them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "report/report.hpp"
#include "report/live_summary.hpp"

namespace tristate::render {

// How the text lines show time: wall clock (UTC), or seconds since the trace started
// (`trace -t`, bindsnoop's TIME(s) column).
struct LiveClock {
  std::int64_t mono_to_real_ns = 0;        // CLOCK_MONOTONIC -> CLOCK_REALTIME
  std::optional<std::uint64_t> start_ns;   // set: relative to this CLOCK_MONOTONIC instant
};

// The column header printed once above the event lines (as bcc's bindsnoop does).
std::string live_header_line(const LiveClock& clock);

// "12:00:01.123456 curl[812/812]  4026531840 60000  bhash 60000 created by connect() …", in
// the columns of live_header_line(); with clock.start_ns, "   1.234567 curl…".
std::string live_event_line(const report::Event& e, const LiveClock& clock);

// One JSON object, no newline: report::Event's fields (docs/json.md) plus "type": "event" and
// "time", the wall-clock time (UTC, ISO 8601, microseconds).
std::string live_event_json(const report::Event& e, std::int64_t mono_to_real_ns);

// {"type": "summary", "summary": {...}} (docs/json.md, "trace (JSON Lines)"), no newline.
std::string live_summary_json(const report::LiveSummary& s);

std::string live_summary_text(const report::LiveSummary& s);

}  // namespace tristate::render
