// trace/state_watch: what state --watch reports between two samples of the buckets.
#include <gtest/gtest.h>

#include "trace/state_watch.hpp"

namespace {

using tristate::trace::BucketChange;
using tristate::trace::diff_state;
using tristate::trace::initial_state;
using tristate::trace::StateBucket;
using tristate::trace::StateSnapshot;

StateBucket bucket(std::uint64_t id, std::uint16_t port, int fr, int frp, const std::string& tcp = "CLOSE",
                   std::uint32_t pid = 100, int fd = 3) {
  StateBucket b;
  b.id = id;
  b.netns = 4026531840;
  b.port = port;
  b.state = {static_cast<std::int8_t>(fr), static_cast<std::int8_t>(frp)};
  b.sockets[tcp] = 1;
  b.owners.push_back({pid, "python3", fd, "127.0.0.1:" + std::to_string(port), tcp});
  return b;
}

StateSnapshot snap(std::vector<StateBucket> buckets) {
  StateSnapshot s;
  s.buckets = std::move(buckets);
  return s;
}

TEST(StateWatch, NothingChangedIsNothing) {
  const auto s = snap({bucket(1, 60000, -1, -1, "ESTABLISHED"), bucket(2, 8080, 1, 0, "LISTEN")});
  EXPECT_TRUE(diff_state(s, s).empty());
}

TEST(StateWatch, AppearedStateSocketsAndGoneInPortOrder) {
  const auto before = snap({bucket(1, 60000, -1, -1, "ESTABLISHED"), bucket(2, 8080, 0, 0), bucket(3, 9000, 0, 0)});
  auto moved = bucket(1, 60000, 0, 0, "ESTABLISHED");
  moved.sockets["CLOSE"] = 1;  // a bind() joined it and moved it to 0/0
  const auto after = snap({moved, bucket(2, 8080, 0, 0, "LISTEN"), bucket(4, 7000, 1, 1)});
  const auto changes = diff_state(before, after);
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0].kind, BucketChange::appeared);
  EXPECT_EQ(changes[0].bucket.port, 7000);
  EXPECT_FALSE(changes[0].before);
  EXPECT_EQ(changes[1].kind, BucketChange::sockets);  // 8080: listen() on a bound socket
  ASSERT_TRUE(changes[1].before);
  EXPECT_EQ(changes[1].before->sockets.count("CLOSE"), 1u);
  EXPECT_EQ(changes[2].kind, BucketChange::gone);  // 9000: freed, reported as last seen
  EXPECT_EQ(changes[2].bucket.id, 3u);
  EXPECT_EQ(changes[3].kind, BucketChange::state);  // a state move wins over its holders' change
  ASSERT_TRUE(changes[3].before);
  EXPECT_EQ(changes[3].before->state.fastreuse, -1);
  EXPECT_EQ(changes[3].bucket.state.fastreuse, 0);
}

TEST(StateWatch, ABucketMadeAgainOnTheSamePortIsGoneAndAppeared) {
  // the kernel freed the port's bucket and made another between two samples: two objects
  const auto changes = diff_state(snap({bucket(1, 60000, 0, 0)}), snap({bucket(5, 60000, -1, -1, "ESTABLISHED")}));
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].kind, BucketChange::gone);
  EXPECT_EQ(changes[1].kind, BucketChange::appeared);
}

TEST(StateWatch, AnotherHolderOfTheSameSocketsIsASocketsChange) {
  // same counts, but the socket moved to another process (a fork, then the parent closed it)
  const auto changes = diff_state(snap({bucket(1, 8080, 1, 0, "LISTEN", 100, 3)}),
                                  snap({bucket(1, 8080, 1, 0, "LISTEN", 200, 3)}));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, BucketChange::sockets);
}

TEST(StateWatch, FirstSampleIsPresent) {
  const auto changes = initial_state(snap({bucket(2, 9000, 0, 0), bucket(1, 80, 1, 1, "LISTEN")}));
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].kind, BucketChange::present);
  EXPECT_EQ(changes[0].bucket.port, 80);
  EXPECT_STREQ(tristate::trace::name(changes[1].kind), "present");
}

}  // namespace
