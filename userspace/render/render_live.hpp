// `tristate trace` output: one text line per event, JSON Lines, and the end-of-trace summary
// (text and JSON). Pure: returns strings; the CLI writes and flushes them.
#pragma once

#include <cstdint>
#include <string>

#include "report/report.hpp"
#include "trace/live_summary.hpp"

namespace tristate::render {

// The column header printed once above the event lines (as bcc's bindsnoop does).
std::string live_header_line();

// "12:00:01.123456 curl[812/812]  4026531840 60000  bhash 60000 created by connect() …", in
// the columns of live_header_line(). `mono_to_real_ns` turns the event's CLOCK_MONOTONIC
// stamp into wall-clock time (UTC).
std::string live_event_line(const report::Event& e, std::int64_t mono_to_real_ns);

// One JSON object, no newline: report::Event's fields (docs/json.md) plus "type": "event" and
// "time", the wall-clock time (UTC, ISO 8601, microseconds).
std::string live_event_json(const report::Event& e, std::int64_t mono_to_real_ns);

// {"type": "summary", "summary": {...}} (docs/json.md, "trace (JSON Lines)"), no newline.
std::string live_summary_json(const trace::LiveSummary& s);

std::string live_summary_text(const trace::LiveSummary& s);

}  // namespace tristate::render
