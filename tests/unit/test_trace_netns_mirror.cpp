// The watched-namespace mirror the BPF programs compare against before the map.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

#include "trace/netns_mirror.hpp"

using tristate::trace::netns_mirror_add;
using tristate::trace::netns_mirror_remove;

namespace {
struct Mirror {
  std::uint32_t fast[TS_NETNS_FAST] = {};
  std::uint32_t n = 0;
  void add(std::uint32_t k) { netns_mirror_add(fast, &n, k); }
  void remove(std::uint32_t k) { netns_mirror_remove(fast, &n, k); }
  // what wanted_netns() in bpf/tristate.bpf.c answers from the mirror; nullopt: asks the map
  std::optional<bool> wanted(std::uint32_t k) const {
    if (n > TS_NETNS_FAST) return std::nullopt;
    if (!k) return false;
    for (std::uint32_t i = 0; i < n; ++i)
      if (fast[i] == k) return true;
    return false;
  }
};
}  // namespace

TEST(NetnsMirror, QuizAfterQuizReusesTheFirstEntry) {
  Mirror m;
  for (std::uint32_t ns = 4026532001; ns < 4026532011; ++ns) {
    m.add(ns);
    EXPECT_EQ(m.wanted(ns), true);
    EXPECT_EQ(m.wanted(ns - 1), false);
    m.remove(ns);
    EXPECT_EQ(m.wanted(ns), false);
  }
  EXPECT_EQ(m.n, 1u);
  EXPECT_EQ(m.wanted(0), false);  // a free entry is 0 and must match nothing
}

TEST(NetnsMirror, EntriesNeverMoveWhileWatched) {
  Mirror m;
  m.add(11), m.add(22), m.add(33);
  m.add(22);  // twice: one entry
  EXPECT_EQ(m.n, 3u);
  m.remove(22);
  EXPECT_EQ(m.fast[0], 11u);
  EXPECT_EQ(m.fast[2], 33u);
  m.add(44);  // into the hole, 11 and 33 stay where they were
  EXPECT_EQ(m.fast[1], 44u);
  EXPECT_EQ(m.fast[0], 11u);
  EXPECT_EQ(m.fast[2], 33u);
  EXPECT_EQ(m.wanted(22), false);
  EXPECT_EQ(m.wanted(44), true);
}

TEST(NetnsMirror, MoreThanFitsHandsEveryCheckToTheMap) {
  Mirror m;
  for (std::uint32_t k = 1; k <= TS_NETNS_FAST; ++k) m.add(k);
  EXPECT_EQ(m.wanted(TS_NETNS_FAST), true);
  m.add(100);
  EXPECT_EQ(m.n, std::uint32_t{TS_NETNS_SLOW});
  EXPECT_FALSE(m.wanted(100).has_value());
  EXPECT_FALSE(m.wanted(1).has_value());
  m.remove(1);  // stays with the map: no entry is trusted again
  EXPECT_FALSE(m.wanted(2).has_value());
}
