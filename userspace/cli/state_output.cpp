#include "cli/state_output.hpp"

#include <cstdio>
#include <iomanip>

#include "report/json_id.hpp"
#include "report/report_json.hpp"
#include "report/schemas.hpp"
#include "report/state_text.hpp"

namespace tristate::cli {
namespace {

std::string sockets_text(const trace::StateBucket& b) {
  std::string socks;
  for (const auto& [st, n] : b.sockets) socks += (socks.empty() ? "" : ", ") + std::to_string(n) + " " + st;
  return socks + (b.l3mdev ? " (l3mdev " + std::to_string(b.l3mdev) + ")" : "");
}

void print_owners(std::ostream& out, const trace::StateBucket& b) {
  // as ss -tanp: users:(("comm",pid=N,fd=M)); a socket no file holds has no user
  for (const auto& o : b.owners) {
    out << "    " << std::left << std::setw(12) << o.tcp_state << " " << std::setw(24) << o.local << " ";
    if (o.pid) out << "users:((\"" << o.comm << "\",pid=" << o.pid << ",fd=" << o.fd << "))";
    out << "\n";
  }
}

std::string row(const trace::StateBucket& b, const std::string& pair) {
  char line[160];
  std::snprintf(line, sizeof(line), "%-12llu %-6u %-15s %-17s ", static_cast<unsigned long long>(b.netns), b.port,
                pair.c_str(), connect_shares(b.state) ? "yes" : "no");
  return line;
}

}  // namespace

bool connect_shares(const report::BucketState& s) { return s.fastreuse < 0 && s.fastreuseport < 0; }

nlohmann::json state_bucket_json(const trace::StateBucket& b) {
  auto owners = nlohmann::json::array();
  for (const auto& o : b.owners)
    owners.push_back({{"pid", o.pid}, {"comm", o.comm}, {"fd", o.fd}, {"local", o.local}, {"tcp_state", o.tcp_state}});
  return {{"bucket", report::id_to_json(b.id)}, {"netns", b.netns}, {"port", b.port},
          {"l3mdev", b.l3mdev}, {"state", nlohmann::json(b.state)}, {"connect_shares", connect_shares(b.state)},
          {"sockets", b.sockets}, {"owners", owners}};
}

void print_state_table(std::ostream& out, const trace::StateSnapshot& s) {
  out << s.buckets.size() << " bhash buckets\n";
  if (!s.buckets.empty()) out << "netns        port   fastreuse/port  connect() shares  sockets\n";
  for (const auto& b : s.buckets) {
    out << row(b, report::pair_text(b.state)) << sockets_text(b) << "\n";
    print_owners(out, b);
  }
}

void print_state_change(std::ostream& out, const trace::StateChange& c, const std::string& clock) {
  const trace::StateBucket& b = c.bucket;
  std::string pair = report::pair_text(b.state);
  if (c.kind == trace::BucketChange::state && c.before) pair = report::pair_text(c.before->state) + " -> " + pair;
  char head[40];
  std::snprintf(head, sizeof(head), "%s %-9s ", clock.c_str(), trace::name(c.kind));
  if (c.kind == trace::BucketChange::gone) {
    out << head << row(b, pair) << "freed (last seen: " << sockets_text(b) << ")\n";
    return;
  }
  out << head << row(b, pair) << sockets_text(b);
  if (c.kind == trace::BucketChange::sockets && c.before) out << "  (was " << sockets_text(*c.before) << ")";
  out << "\n";
  print_owners(out, b);
}

nlohmann::json state_change_json(const trace::StateChange& c, const std::string& time) {
  nlohmann::json j{{"schema", report::kStateWatchSchema}, {"time", time}, {"change", trace::name(c.kind)},
                   {"bucket", state_bucket_json(c.bucket)}};
  if (c.before) j["before"] = state_bucket_json(*c.before);
  return j;
}

}  // namespace tristate::cli
