// Live trace, rootless: filter arguments, summary statistics, JSON Lines.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>

#include "render/render_live.hpp"
#include "report/report_json.hpp"
#include "lab_test_util.hpp"
#include "trace/live_filter.hpp"
#include "trace/live_state.hpp"
#include "trace/live_stats.hpp"

extern "C" {
#include "bpf/snapshot.h"
}

using namespace tristate;

TEST(LiveFilter, PortAndRange) {
  auto one = trace::parse_port_range("80");
  EXPECT_EQ(one.lo, 80);
  EXPECT_EQ(one.hi, 80);
  auto r = trace::parse_port_range("32768-60999");
  EXPECT_EQ(r.lo, 32768);
  EXPECT_EQ(r.hi, 60999);
  auto edge = trace::parse_port_range("1-65535");
  EXPECT_EQ(edge.lo, 1);
  EXPECT_EQ(edge.hi, 65535);
}

TEST(LiveFilter, BadPorts) {
  for (const char* bad : {"", "0", "65536", "-5", "5-", "a", "80x", "10-5", "1-2-3", " 80", "80-90 "})
    EXPECT_THROW(trace::parse_port_range(bad), std::invalid_argument) << bad;
  try {
    trace::parse_port_range("10-5");
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
  }
}

TEST(LiveFilter, NetnsInodeNumber) { EXPECT_EQ(trace::resolve_netns("4026531840"), 4026531840u); }

TEST(LiveFilter, NetnsPathIsTheNamespaceInode) {
  struct stat st {};
  ASSERT_EQ(stat("/proc/self/ns/net", &st), 0);
  EXPECT_EQ(trace::resolve_netns("/proc/self/ns/net"), st.st_ino);
}

TEST(LiveFilter, NetnsErrorsNameThePath) {
  try {
    trace::resolve_netns("/run/netns/does-not-exist");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("/run/netns/does-not-exist"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
  // a file that exists but is no namespace must not yield a meaningless inode
  EXPECT_THROW(trace::resolve_netns("/proc/self/status"), std::invalid_argument);
  EXPECT_THROW(trace::resolve_netns("myns"), std::invalid_argument);
  EXPECT_THROW(trace::resolve_netns("0"), std::invalid_argument);
}

TEST(LiveFilter, CgroupMustBeCgroup2) {
  EXPECT_THROW(trace::resolve_cgroup("/proc"), std::invalid_argument);
  EXPECT_THROW(trace::resolve_cgroup("/nonexistent/cg"), std::invalid_argument);
}

TEST(LiveFilter, Pid) {
  EXPECT_EQ(trace::parse_pid("1234"), 1234u);
  for (const char* bad : {"", "0", "-1", "12a", "99999999"}) EXPECT_THROW(trace::parse_pid(bad), std::invalid_argument) << bad;
}

namespace {

report::Event ev(const std::string& kind, std::uint16_t port, std::uint64_t bucket) {
  report::Event e;
  e.kind = report::from_name<report::EventKind>(kind).value();
  e.port = port;
  e.bucket = bucket;
  e.function = "inet_csk_get_port";
  e.comm = "x";
  e.pid = e.tid = 7;
  return e;
}

}  // namespace

TEST(LiveSummary, CountsPortsKindsTransitionsAndAliveBuckets) {
  trace::LiveStats s;
  auto c1 = ev("bucket_create", 60000, 1);
  c1.after = report::BucketState{0, 0};
  s.add(c1);
  auto up = ev("bucket_state", 60000, 1);
  up.before = report::BucketState{0, 0};
  up.after = report::BucketState{1, 1};
  s.add(up);
  auto stay = ev("bucket_state", 60000, 1);
  stay.before = stay.after = report::BucketState{1, 1};
  s.add(stay);  // kept state: an event, not a transition
  auto c2 = ev("bucket_create", 40000, 2);
  c2.after = report::BucketState{-1, -1};
  s.add(c2);
  auto d2 = ev("bucket_destroy", 40000, 2);
  s.add(d2);
  auto c3 = ev("bucket_create", 40001, 3);
  c3.after = report::BucketState{-1, -1};
  s.add(c3);
  auto fail = ev("connect_alloc", 0, 0);
  fail.result = -99;
  s.add(fail);
  auto fail_old = ev("bind_alloc", 0, 0);
  fail_old.result = 1;  // <= 6.0 returns 1
  s.add(fail_old);
  auto ok = ev("bind_alloc", 60000, 1);
  ok.result = 0;
  s.add(ok);

  report::TraceInfo info;
  info.events = 9;
  info.lost = 4;
  auto sum = s.summary(info, 1, 2.5);
  EXPECT_EQ(sum.events, 9u);
  EXPECT_EQ(sum.kernel_events, 9u);
  EXPECT_EQ(sum.lost, 4u);
  EXPECT_EQ(sum.undecodable, 1u);
  EXPECT_EQ(sum.ports, (std::set<std::uint16_t>{40000, 40001, 60000}));
  EXPECT_EQ(sum.by_kind.at("bucket_create"), 3u);
  EXPECT_EQ(sum.by_kind.at("bucket_state"), 2u);
  EXPECT_EQ(sum.transitions.size(), 1u);
  EXPECT_EQ(sum.transitions.at("0/0 -> +1/+1"), 1u);
  EXPECT_EQ(sum.buckets_created, 3u);
  EXPECT_EQ(sum.buckets_destroyed, 1u);
  EXPECT_EQ(sum.failed_allocations, 2u);
  EXPECT_EQ(sum.alive_by_state, (std::map<std::string, std::uint64_t>{{"+1/+1", 1}, {"-1/-1", 1}}));

  auto text = render::live_summary_text(sum);
  EXPECT_NE(text.find("9 events"), std::string::npos) << text;
  EXPECT_NE(text.find("4 lost"), std::string::npos) << text;
  EXPECT_NE(text.find("-1/-1=1"), std::string::npos) << text;
}

TEST(LiveSummary, EmptyTraceIsAZeroSummary) {
  trace::LiveStats s;
  auto sum = s.summary(report::TraceInfo{}, 0, 1.0);
  auto text = render::live_summary_text(sum);
  EXPECT_EQ(text.rfind("summary: 0 events", 0), 0u) << text;
  auto j = nlohmann::json::parse(render::live_summary_json(sum));
  EXPECT_EQ(j.at("type"), "summary");
  EXPECT_EQ(j.at("summary").at("events"), 0);
  EXPECT_EQ(j.at("summary").at("lost"), 0);
  EXPECT_TRUE(j.at("summary").at("ports").empty());
}

TEST(LiveJsonLines, EventLineIsTheReportEventSchemaOnOneLine) {
  auto e = ev("bucket_state", 60000, 42);
  e.comm = "we\"ird\nname";  // a comm can hold anything: the line must stay one line
  e.before = report::BucketState{0, 0};
  e.after = report::BucketState{-1, 0};
  e.netns = 4026531840u;
  e.path = report::OpPath::connect;
  e.ts_ns = 1'000'000'000ULL;
  const auto line = render::live_event_json(e, 2'000'250'000LL);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j.at("type"), "event");
  EXPECT_EQ(j.at("time"), "1970-01-01T00:00:03.000250Z");
  report::Event back = j.get<report::Event>();
  EXPECT_EQ(back.kind, e.kind);
  EXPECT_EQ(back.comm, e.comm);
  EXPECT_EQ(back.port, 60000);
  EXPECT_EQ(back.netns, 4026531840u);
  ASSERT_TRUE(back.after.has_value());
  EXPECT_EQ(back.after->fastreuse, -1);
  // the same object the quiz report embeds for an event, plus schema, type and wall-clock time
  EXPECT_EQ(j.at("schema"), "tristate.trace/1");
  nlohmann::json same = e;
  same["schema"] = "tristate.trace/1";
  same["type"] = "event";
  same["time"] = "1970-01-01T00:00:03.000250Z";
  EXPECT_EQ(j, same);
}

TEST(LiveText, EventLineHasTimeCommPidNetnsPortAndDescription) {
  auto e = ev("bucket_create", 60000, 1);
  e.after = report::BucketState{-1, -1};
  e.path = report::OpPath::connect;
  e.function = "__inet_hash_connect";
  e.netns = 4026531840u;
  e.ts_ns = 1'000'000'000ULL;  // + offset below = 1970-01-01 00:00:03.000250
  e.pid = 10;
  e.tid = 11;
  const auto line = render::live_event_line(e, render::LiveClock{2'000'250'000LL, std::nullopt});
  EXPECT_EQ(line.rfind("00:00:03.000250 x[10/11]               4026531840 60000  bhash 60000 created", 0), 0u) << line;
  EXPECT_NE(line.find("[__inet_hash_connect]"), std::string::npos) << line;
  // each column starts where the header's does
  const auto header = render::live_header_line(render::LiveClock{});
  EXPECT_EQ(header.rfind("TIME(UTC) ", 0), 0u) << header;
  // -t: seconds since the start, in the same columns
  const auto rel = render::live_event_line(e, render::LiveClock{2'000'250'000LL, 250'000'000ULL});
  EXPECT_EQ(rel.rfind("       0.750000 x[10/11] ", 0), 0u) << rel;
  EXPECT_EQ(render::live_header_line(render::LiveClock{0, 1}).rfind("TIME(s) ", 0), 0u);
  EXPECT_EQ(rel.substr(15), line.substr(15));
  for (const char* col : {"COMM", "NETNS", "PORT", "EVENT"}) {
    const auto at = header.find(col);
    ASSERT_NE(at, std::string::npos) << col;
    EXPECT_NE(line[at], ' ') << col << " at " << at << ": " << line;
    EXPECT_EQ(line[at - 1], ' ') << col << ": " << line;
  }
}

TEST(LiveState, GroupsSocketsByBucketAndKeepsOnlyTheRequestedNamespacesAndPorts) {
  std::uint64_t next_sock = 100;
  auto rec = [&](std::uint64_t id, std::uint32_t netns, std::uint16_t port, std::uint8_t st, std::int8_t fr,
                 std::int8_t frp) {
    ts_snap_sock r{};
    r.sock = next_sock++;
    r.source = TS_SNAP_TCP;
    r.fd = -1;
    r.bucket = id;
    r.netns = netns;
    r.port = port;
    r.sk_state = st;
    r.fastreuse = fr;
    r.fastreuseport = frp;
    return r;
  };
  const std::vector<ts_snap_sock> recs = {rec(1, 10, 7501, 10, 0, 0), rec(1, 10, 7501, 1, 0, 0),
                                          rec(2, 10, 50000, 1, -1, -1), rec(3, 11, 7501, 10, 1, 0)};
  trace::StateFilter f;
  f.netns = {10};
  auto s = trace::group_snapshot(recs.data(), recs.size() * sizeof(recs[0]), f);
  ASSERT_EQ(s.buckets.size(), 2u);
  EXPECT_EQ(s.buckets[0].port, 7501);
  EXPECT_EQ(s.buckets[0].sockets, (std::map<std::string, int>{{"ESTABLISHED", 1}, {"LISTEN", 1}}));
  EXPECT_EQ(s.buckets[1].state.fastreuse, -1);
  f.port_lo = f.port_hi = 7501;
  f.netns.clear();
  s = trace::group_snapshot(recs.data(), recs.size() * sizeof(recs[0]), f);
  ASSERT_EQ(s.buckets.size(), 2u);
  EXPECT_EQ(s.buckets[1].netns, 11u);
  EXPECT_EQ(s.buckets[1].state.fastreuse, 1);
}

// The iterator sees only the namespace it is created in: `state` enters each one it finds.
TEST(LiveState, FindsNamespacesThroughRunNetnsAndProcessesOncePerInode) {
  lab::testing::TempDir proc("ts-proc"), run("ts-run");
  namespace fs = std::filesystem;
  for (const char* pid : {"1", "42", "self"}) fs::create_directories(proc.path / pid / "ns");
  std::ofstream(proc.path / "1" / "ns" / "net") << "";
  std::ofstream(proc.path / "42" / "ns" / "net") << "";
  std::ofstream(proc.path / "self" / "ns" / "net") << "";
  fs::create_hard_link(proc.path / "42" / "ns" / "net", run.path / "blue");  // same inode
  auto inode = [](const fs::path& p) {
    struct stat st {};
    stat(p.c_str(), &st);
    return static_cast<std::uint64_t>(st.st_ino);
  };
  const auto ns = trace::find_network_namespaces(proc.path.string(), run.path.string());
  ASSERT_EQ(ns.size(), 2u);  // "self" is not a pid; 42 and blue are one namespace
  EXPECT_EQ(ns.at(inode(proc.path / "1" / "ns" / "net")), (proc.path / "1" / "ns" / "net").string());
  EXPECT_EQ(ns.at(inode(run.path / "blue")), (run.path / "blue").string());  // the named mount first
  EXPECT_TRUE(trace::find_network_namespaces(proc.path.string(), "/nonexistent").size() == 2u);
}
