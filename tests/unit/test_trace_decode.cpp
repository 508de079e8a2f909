// Raw BPF records -> report::Event.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "report/report_json.hpp"
#include "trace/attach_plan.hpp"
#include "trace/decode.hpp"

extern "C" {
#include "bpf/tristate.h"
}

using tristate::report::EventKind;
using tristate::report::OpPath;
using tristate::trace::decode_event;

namespace {

ts_event base() {
  ts_event e;
  std::memset(&e, 0, sizeof(e));
  e.ts_ns = 123;
  e.pid = 10;
  e.tid = 11;
  e.netns = 4026532000U;
  e.bucket = 0xabcdef;
  e.port = 60000;
  std::strcpy(e.comm, "tristate");
  return e;
}

}  // namespace

TEST(TraceDecode, BindAllocCarriesRequestResultAndState) {
  ts_event e = base();
  e.kind = TS_EV_BIND_ALLOC;
  e.func = TS_FN_INET_CSK_GET_PORT;
  e.path = TS_PATH_BIND;
  e.flags = TS_F_RESULT | TS_F_REQUESTED | TS_F_AFTER;
  e.requested_port = 0;
  e.result = 0;
  e.after_fastreuse = 0;
  e.after_fastreuseport = -1;
  auto ev = decode_event(&e, sizeof(e));
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->kind, EventKind::bind_alloc);
  EXPECT_EQ(ev->function, "inet_csk_get_port");
  EXPECT_EQ(ev->path, tristate::report::OpPath::bind);
  EXPECT_EQ(ev->requested_port, 0);
  EXPECT_EQ(ev->result, 0);
  EXPECT_FALSE(ev->before);
  ASSERT_TRUE(ev->after);
  EXPECT_EQ(ev->after->fastreuse, 0);
  EXPECT_EQ(ev->after->fastreuseport, -1);
  EXPECT_EQ(ev->comm, "tristate");
  EXPECT_EQ(ev->netns, 4026532000U);
  EXPECT_EQ(ev->port, 60000);
}

TEST(TraceDecode, StateChangeHasBeforeAndAfter) {
  ts_event e = base();
  e.kind = TS_EV_BUCKET_STATE;
  e.func = TS_FN_INET_HASH_CONNECT;
  e.path = TS_PATH_CONNECT;
  e.flags = TS_F_BEFORE | TS_F_AFTER;
  e.before_fastreuse = 0;
  e.before_fastreuseport = 0;
  e.after_fastreuse = -1;
  e.after_fastreuseport = -1;
  auto ev = decode_event(&e, sizeof(e));
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->function, "__inet_hash_connect");
  EXPECT_EQ(*ev->before, (tristate::report::BucketState{0, 0}));
  EXPECT_EQ(*ev->after, (tristate::report::BucketState{-1, -1}));
  EXPECT_FALSE(ev->result);
}

TEST(TraceDecode, Bucket2AddressForms) {
  ts_event e = base();
  e.kind = TS_EV_BUCKET2_CREATE;
  e.func = TS_FN_BIND2_BUCKET_CREATE;
  e.flags = TS_F_ADDR;
  // 6.8+: v4-mapped, family not recorded
  const unsigned char mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 1, 1, 1};
  std::memcpy(e.addr, mapped, 16);
  EXPECT_EQ(decode_event(&e, sizeof(e))->addr, "127.1.1.1");
  // 6.1-6.7: family AF_INET, address in the first four bytes
  std::memset(e.addr, 0, 16);
  e.addr[0] = 127, e.addr[3] = 1;
  e.addr_family = AF_INET;
  EXPECT_EQ(decode_event(&e, sizeof(e))->addr, "127.0.0.1");
  // formatted by hand, not inet_ntop: every width of octet
  const unsigned char quads[][4] = {{0, 0, 0, 0}, {255, 255, 255, 255}, {10, 20, 100, 9}, {1, 99, 199, 200}};
  const char* want[] = {"0.0.0.0", "255.255.255.255", "10.20.100.9", "1.99.199.200"};
  for (int i = 0; i < 4; ++i) {
    std::memcpy(e.addr, quads[i], 4);
    EXPECT_EQ(decode_event(&e, sizeof(e))->addr, want[i]);
    e.addr_family = 0;  // and the same as 6.8+'s v4-mapped form
    std::memcpy(e.addr, mapped, 12);
    std::memcpy(e.addr + 12, quads[i], 4);
    EXPECT_EQ(decode_event(&e, sizeof(e))->addr, want[i]);
    e.addr_family = AF_INET;
    std::memset(e.addr, 0, 16);
  }
  // every octet value in every position, against inet_ntop
  for (unsigned v = 0; v < 256; ++v) {
    const unsigned char q[4] = {static_cast<unsigned char>(v), static_cast<unsigned char>(255 - v),
                                static_cast<unsigned char>(v * 7), static_cast<unsigned char>(v / 2)};
    char ref[INET_ADDRSTRLEN];
    ASSERT_TRUE(inet_ntop(AF_INET, q, ref, sizeof(ref)));
    std::memcpy(e.addr, q, 4);
    EXPECT_EQ(decode_event(&e, sizeof(e))->addr, ref);
  }
  e.addr_family = AF_INET6;
  std::memset(e.addr, 0, 16);
  e.addr[15] = 1;
  EXPECT_EQ(decode_event(&e, sizeof(e))->addr, "::1");
  // eight full groups, the longest text inet_ntop makes of an address the kernel can hold
  std::memset(e.addr, 0xff, 16);
  EXPECT_EQ(decode_event(&e, sizeof(e))->addr, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

// The reader decodes into Events reused from its previous batch, and an address is copied in
// whole, zeros included: a shorter address after a longer one keeps nothing of it past its end.
TEST(TraceDecode, ReusedEventsKeepNoTailOfAnEarlierAddress) {
  ts_event e = base();
  e.kind = TS_EV_BUCKET2_CREATE;
  e.flags = TS_F_ADDR;
  e.addr_family = AF_INET6;
  std::memset(e.addr, 0xff, 16);
  tristate::report::Event ev;
  ASSERT_TRUE(tristate::trace::decode_event_into(&e, sizeof(e), ev));
  const unsigned char shorter[][4] = {{1, 2, 3, 4}, {255, 255, 255, 255}, {9, 0, 0, 1}};
  for (const auto& q : shorter) {
    e.addr_family = AF_INET;
    std::memcpy(e.addr, q, 4);
    ASSERT_TRUE(tristate::trace::decode_event_into(&e, sizeof(e), ev));
    const tristate::report::Name fresh(ev.addr.view());  // a Name assigned afresh: zeros past its end
    EXPECT_EQ(std::memcmp(ev.addr.c_str(), fresh.c_str(), tristate::report::Name::kCapacity + 1), 0) << ev.addr;
  }
}

TEST(TraceDecode, RejectsShortAndUnknownRecords) {
  ts_event e = base();
  e.kind = TS_EV_BUCKET_CREATE;
  EXPECT_FALSE(decode_event(&e, sizeof(e) - 1));
  e.kind = 200;
  EXPECT_FALSE(decode_event(&e, sizeof(e)));
  // no kind, the reserved connect_skip (derived in userspace, never sent), one past the last
  for (unsigned k : {0u, unsigned(TS_EV_CONNECT_SKIP), unsigned(TS_EV_COUNT)}) {
    e.kind = k;
    EXPECT_FALSE(decode_event(&e, sizeof(e))) << k;
  }
  // every other number is report::EventKind's value plus one
  for (unsigned k = TS_EV_BUCKET_CREATE; k < TS_EV_COUNT; ++k) {
    if (k == TS_EV_CONNECT_SKIP) continue;
    e.kind = k;
    const auto ev = decode_event(&e, sizeof(e));
    ASSERT_TRUE(ev) << k;
    EXPECT_EQ(unsigned(ev->kind), k - 1) << k;
  }
  e.kind = TS_EV_BUCKET2_DESTROY;
  EXPECT_EQ(decode_event(&e, sizeof(e))->kind, EventKind::bucket2_destroy);
}

// An operation's events arrive as one record: whole events back to back, nothing else.
TEST(TraceDecode, RecordsHoldWholeEvents) {
  using tristate::trace::events_in_record;
  EXPECT_EQ(events_in_record(sizeof(ts_event)), 1u);
  EXPECT_EQ(events_in_record(4 * sizeof(ts_event)), 4u);
  EXPECT_EQ(events_in_record(0), 0u);
  EXPECT_EQ(events_in_record(sizeof(ts_event) + 8), 0u);
  EXPECT_EQ(events_in_record(sizeof(ts_event) - 1), 0u);
}

// The tracer decodes each batch into the Events of the previous one: what a record does not
// carry must not survive from the event decoded there before.
TEST(TraceDecode, IntoAReusedEventLeavesNothingOfTheOldOne) {
  ts_event full = base();
  full.kind = TS_EV_BUCKET2_CREATE;
  full.func = TS_FN_BIND2_BUCKET_CREATE;
  full.path = TS_PATH_CONNECT;
  full.flags = TS_F_BEFORE | TS_F_AFTER | TS_F_REQUESTED | TS_F_RESULT | TS_F_ADDR;
  full.addr_family = AF_INET;
  full.addr[0] = 127, full.addr[3] = 1;
  ts_event bare = base();
  bare.kind = TS_EV_BUCKET_DESTROY;
  bare.func = TS_FN_BIND_BUCKET_DESTROY;
  bare.port = 5;
  std::strcpy(bare.comm, "x");

  tristate::report::Event reused;
  ASSERT_TRUE(tristate::trace::decode_event_into(&full, sizeof(full), reused));
  ASSERT_TRUE(reused.before && reused.after && reused.requested_port && reused.result);
  ASSERT_EQ(reused.addr, "127.0.0.1");
  ASSERT_TRUE(tristate::trace::decode_event_into(&bare, sizeof(bare), reused));
  auto fresh = decode_event(&bare, sizeof(bare));
  ASSERT_TRUE(fresh);
  nlohmann::json a, b;
  tristate::report::to_json(a, reused);
  tristate::report::to_json(b, *fresh);
  EXPECT_EQ(a, b);
  EXPECT_FALSE(reused.before || reused.after || reused.requested_port || reused.result);
  EXPECT_EQ(reused.addr, "");
  EXPECT_EQ(reused.path, tristate::report::OpPath::none);
  EXPECT_EQ(reused.comm, "x");
}

// The reader decodes into reused Events: whatever order records come in, a reused Event must
// equal a fresh decode of the same record, including when only some names change, a comm
// fills all 16 bytes, and after a record that could not be decoded.
TEST(TraceDecode, ReusedEventNeverKeepsAStaleName) {
  std::vector<ts_event> seq;
  auto rec = [&](unsigned kind, unsigned func, unsigned path, const char* comm) {
    ts_event e = base();
    e.kind = kind;
    e.func = func;
    e.path = path;
    std::memset(e.comm, 0, sizeof(e.comm));
    // up to all 16 bytes, no NUL: a full comm is one of the cases under test
    std::memcpy(e.comm, comm, std::min(std::strlen(comm), sizeof(e.comm)));
    seq.push_back(e);
  };
  rec(TS_EV_BUCKET_CREATE, TS_FN_BIND_BUCKET_CREATE, TS_PATH_BIND, "loop");
  rec(TS_EV_BUCKET_STATE, TS_FN_UPDATE_FASTREUSE, TS_PATH_BIND, "loop");        // kind, func
  rec(TS_EV_BUCKET_STATE, TS_FN_UPDATE_FASTREUSE, TS_PATH_LISTEN, "loop");      // path only
  rec(TS_EV_BUCKET_STATE, TS_FN_UPDATE_FASTREUSE, TS_PATH_LISTEN, "other");     // comm only
  rec(TS_EV_BUCKET_STATE, TS_FN_INET_HASH_CONNECT, TS_PATH_LISTEN, "other");    // func only
  rec(99, TS_FN_PUT_PORT, TS_PATH_RELEASE, "rejected");                         // unknown kind
  rec(TS_EV_BUCKET_DESTROY, TS_FN_PUT_PORT, TS_PATH_RELEASE, "0123456789abcdef");  // 16 bytes, no NUL
  rec(TS_EV_BUCKET_DESTROY, TS_FN_PUT_PORT, TS_PATH_NONE, "0123456789abcdef");

  tristate::report::Event reused;
  for (std::size_t i = 0; i < seq.size(); ++i) {
    const bool ok = tristate::trace::decode_event_into(&seq[i], sizeof(seq[i]), reused);
    auto fresh = decode_event(&seq[i], sizeof(seq[i]));
    ASSERT_EQ(ok, fresh.has_value()) << "record " << i;
    if (!ok) continue;
    nlohmann::json a, b;
    tristate::report::to_json(a, reused);
    tristate::report::to_json(b, *fresh);
    EXPECT_EQ(a, b) << "record " << i;
  }
  EXPECT_EQ(reused.comm, "0123456789abcdef");
  EXPECT_EQ(reused.path, tristate::report::OpPath::none);
}

// A traced function's name comes from its row in attach_plan's table (TS_FN_ number and
// name side by side), not from a second list in decode: each number names its function,
// a number no row has is "?", and no two rows share a number.
TEST(TraceDecode, FunctionNamesComeFromThePlanTable) {
  using tristate::trace::function_name;
  EXPECT_EQ(function_name(TS_FN_INET_CSK_GET_PORT), "inet_csk_get_port");
  EXPECT_EQ(function_name(TS_FN_INET_HASH_CONNECT), "__inet_hash_connect");
  EXPECT_EQ(function_name(TS_FN_BIND_BUCKET_CREATE), "inet_bind_bucket_create");
  EXPECT_EQ(function_name(TS_FN_UPDATE_FASTREUSE), "inet_csk_update_fastreuse");
  EXPECT_EQ(function_name(TS_FN_BIND_BUCKET_DESTROY), "inet_bind_bucket_destroy");
  EXPECT_EQ(function_name(TS_FN_BIND2_BUCKET_CREATE), "inet_bind2_bucket_create");
  EXPECT_EQ(function_name(TS_FN_BIND2_BUCKET_DESTROY), "inet_bind2_bucket_destroy");
  EXPECT_EQ(function_name(TS_FN_PUT_PORT), "inet_put_port");
  EXPECT_EQ(function_name(TS_FN_INHERIT_PORT), "__inet_inherit_port");
  EXPECT_EQ(function_name(0), "?");
  EXPECT_EQ(function_name(5), "?");  // inet_bind_hash's old number, no longer traced
  EXPECT_EQ(function_name(1000), "?");
  std::vector<unsigned> ids;
  for (const auto& [id, name] : tristate::trace::traced_function_ids()) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}
