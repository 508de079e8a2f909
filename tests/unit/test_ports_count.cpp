// `tristate ports` counting (ports/port_count) on made-up iterator records: the connect() skip
// test, reserved ports, 4-tuples to the destination and the TIME_WAIT reuse rules.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "ports/port_count.hpp"

extern "C" {
#include "bpf/ports.h"
}

using namespace tristate::ports;

namespace {

ts_port_sock sock(std::uint64_t id, std::uint16_t lport, std::int8_t fr, std::int8_t frp, unsigned state = 1,
                  const char* raddr = "10.0.0.7", std::uint16_t rport = 443) {
  ts_port_sock r{};
  r.sock = id;
  r.source = TS_PORT_TCP;
  r.family = AF_INET;
  r.fd = -1;
  r.lport = lport;
  r.rport = rport;
  r.sk_state = static_cast<std::uint8_t>(state);
  r.fastreuse = fr;
  r.fastreuseport = frp;
  r.flags = TS_PORT_F_BUCKET;
  inet_pton(AF_INET, "10.0.0.1", r.laddr);
  inet_pton(AF_INET, raddr, r.raddr);
  return r;
}

ts_port_sock held(ts_port_sock r, std::uint32_t pid, const char* comm, std::uint8_t flags = 0) {
  r.source = TS_PORT_TASK_FILE;
  r.pid = pid;
  r.fd = 3;
  r.flags |= flags;
  std::strncpy(r.comm, comm, sizeof r.comm - 1);
  return r;
}

struct Fixture {
  Destination to;
  Source from;
  NetnsPorts out;
  Fixture() {
    std::string err;
    to = *parse_destination("10.0.0.7:443", err);
    from.family = AF_INET;
    inet_pton(AF_INET, "10.0.0.1", from.addr);
    from.text = "10.0.0.1";
    out.settings.range_lo = 100;
    out.settings.range_hi = 109;
  }
};

}  // namespace

TEST(PortsCount, SkipTestReservedAndFourTuples) {
  Fixture f;
  ASSERT_TRUE(parse_reserved_ports("109", f.out.settings));
  std::vector<ts_port_sock> r{
      sock(1, 100, -1, -1),                      // connect()-made, to the destination: taken
      sock(2, 101, -1, -1, 1, "10.0.0.8"),       // connect()-made, elsewhere: usable
      sock(3, 102, 0, 0),                        // bind()-made: blocked
      sock(4, 103, -1, 0),                       // SO_REUSEADDR bind into a -1 bucket: still blocked
      sock(5, 109, 0, 0),                        // reserved wins over any bucket
      sock(6, 120, 0, 0),                        // outside the range: not counted
  };
  r.push_back(held(r[2], 42, "envoy"));           // the same socket, from its file
  count_ports(r.data(), r.size(), &f.to, &f.from, f.out);
  EXPECT_EQ(f.out.range_size, 10u);
  EXPECT_EQ(f.out.reserved, 1u);
  EXPECT_EQ(f.out.blocked, 2u);
  EXPECT_EQ(f.out.shareable, 2u);
  EXPECT_EQ(f.out.free, 5u);
  ASSERT_TRUE(f.out.destination);
  EXPECT_EQ(f.out.destination->taken, 1u);
  EXPECT_EQ(f.out.destination->usable, 6u);  // 5 free + port 101
  ASSERT_EQ(f.out.holders.size(), 2u);       // envoy (102), no process (103)
  EXPECT_EQ(f.out.holders[0].pid, 0u);       // ties by ports: pid order
  EXPECT_EQ(f.out.holders[1].comm, "envoy");
  EXPECT_EQ(f.out.holders[1].kinds.at(HolderKind::PortZero), 1u);
  EXPECT_EQ(f.out.holders[1].sockets, 1u);  // iter/tcp's copy of a held socket counts once
}

TEST(PortsCount, HolderKinds) {
  Fixture f;
  std::vector<ts_port_sock> r{
      held(sock(1, 100, 0, 0, 10), 7, "nginx"),                                    // listener
      held(sock(2, 101, 1, 0, 7), 7, "nginx", TS_PORT_F_PORT_LOCK | TS_PORT_F_REUSEADDR),  // bind(101), bound only
      held(sock(3, 102, 0, 0), 9, "envoy"),
  };
  count_ports(r.data(), r.size(), nullptr, nullptr, f.out);
  ASSERT_EQ(f.out.holders.size(), 2u);
  EXPECT_EQ(f.out.holders[0].pid, 7u);
  EXPECT_EQ(f.out.holders[0].ports, 2u);
  EXPECT_EQ(f.out.holders[0].kinds.at(HolderKind::Listener), 1u);
  EXPECT_EQ(f.out.holders[0].kinds.at(HolderKind::ExplicitPort), 1u);
  EXPECT_EQ(f.out.holders[0].reuseaddr, 1u);
  EXPECT_FALSE(f.out.destination);
}

TEST(PortsCount, TimeWaitAsTcpTwskUnique) {
  auto tw = [](std::uint64_t id, std::uint16_t port, std::uint8_t flags, std::uint32_t age_ms) {
    auto r = sock(id, port, -1, -1, 6);
    r.flags |= flags | TS_PORT_F_TW_AGE_MS;
    r.tw_age = age_ms;
    return r;
  };
  const std::vector<ts_port_sock> r{
      tw(1, 100, TS_PORT_F_TW_TS, 5000),                      // old enough, timestamps
      tw(2, 101, TS_PORT_F_TW_TS, 500),                       // younger than the delay
      tw(3, 102, 0, 5000),                                    // no peer timestamps
      tw(4, 103, TS_PORT_F_TW_TS | TS_PORT_F_TW_FW2, 5000),   // FIN_WAIT2 substate
  };
  for (int reuse : {0, 1, 2}) {
    Fixture f;
    f.out.settings.tw_reuse = reuse;
    count_ports(r.data(), r.size(), &f.to, &f.from, f.out);
    const auto& d = *f.out.destination;
    // 10.0.0.x is not loopback: 2 behaves as 0
    const unsigned reusable = reuse == 1 ? 1 : 0;
    EXPECT_EQ(d.time_wait_reusable, reusable) << reuse;
    EXPECT_EQ(d.taken, 4 - reusable) << reuse;
    EXPECT_EQ(d.taken_time_wait, 4 - reusable) << reuse;
    EXPECT_EQ(d.usable, 6 + reusable) << reuse;
  }
}

TEST(PortsCount, ReservedPortsSyntax) {
  NetnsSettings s;
  EXPECT_TRUE(parse_reserved_ports("", s));
  EXPECT_TRUE(s.reserved.empty());
  ASSERT_TRUE(parse_reserved_ports("60050,60060-60070\n", s));
  ASSERT_EQ(s.reserved.size(), 2u);
  EXPECT_EQ(s.reserved[1].first, 60060);
  EXPECT_EQ(s.reserved[1].second, 60070);
  EXPECT_FALSE(parse_reserved_ports("60070-60060", s));
  EXPECT_FALSE(parse_reserved_ports("x", s));
}

TEST(PortsDestination, Parse) {
  std::string err;
  auto d = parse_destination("10.0.0.7:443", err);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->family, AF_INET);
  EXPECT_EQ(d->port, 443);
  d = parse_destination("[2001:db8::7]:8443", err);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->family, AF_INET6);
  EXPECT_EQ(d->text, "[2001:db8::7]:8443");
  for (const char* bad : {"notanaddress", "10.0.0.7", "10.0.0.7:0", "10.0.0.7:65536", "2001:db8::7:443", "[::1]", "host:80", ""}) {
    EXPECT_FALSE(parse_destination(bad, err)) << bad;
    EXPECT_NE(err.find("expected ADDR:PORT"), std::string::npos) << bad;
  }
}

TEST(PortsDestination, TheErrorSaysWhatWasWrongFirst) {
  std::string err;
  const std::pair<const char*, const char*> cases[] = {
      {"::1:80", "an IPv6 address goes in brackets, e.g. [::1]:80; "},
      {"localhost:80", "'localhost' is a name, not an address (names are not resolved"},
      {"127.0.0.1:0", "port '0' is not 1-65535; "},
      {"[::1]:65536", "port '65536' is not 1-65535; "},
      {"127.0.0.1", "no :PORT; "},
      {"[fe80::1%eth0]:443", "a scope (%eth0) is not taken; "},
  };
  for (const auto& [text, why] : cases) {
    EXPECT_FALSE(parse_destination(text, err)) << text;
    EXPECT_EQ(err.rfind(std::string("--dest '") + text + "': " + why, 0), 0u) << err;
  }
}
