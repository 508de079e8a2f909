// What `tristate state` prints: the table of buckets (stdout), a bucket as JSON (state --json,
// and each line of state --watch --json), and a change between two samples as a line of text.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "report/report.hpp"
#include "trace/live_state.hpp"
#include "trace/state_watch.hpp"

namespace tristate::cli {

// connect() shares a port only when both values are -1 (KERNEL-NOTES: the skip test).
bool connect_shares(const report::BucketState& s);

// One bucket as in state.schema.json's "buckets" items.
nlohmann::json state_bucket_json(const trace::StateBucket& b);

// The table: a header, a row per bucket, a line per socket as `ss -tanp` names its holder.
void print_state_table(std::ostream& out, const trace::StateSnapshot& s);

// One change of state --watch: "12:34:56.789 appeared  4026531833  60000  0/0  no  1 CLOSE",
// then the bucket's sockets (not for `gone`). `clock` is the sample's wall-clock time, "HH:MM:SS.mmm".
void print_state_change(std::ostream& out, const trace::StateChange& c, const std::string& clock);

// One line of state --watch --json (state-watch.schema.json).
nlohmann::json state_change_json(const trace::StateChange& c, const std::string& time);

}  // namespace tristate::cli
