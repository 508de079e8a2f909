// Guests start longest first, from each kernel's previous time (lab/guest_order).
#include <gtest/gtest.h>

#include <fstream>

#include "lab/guest_order.hpp"
#include "lab_test_util.hpp"

namespace fs = std::filesystem;
using namespace tristate::lab;
using tristate::lab::testing::TempDir;

TEST(LabGuestOrder, UnknownFirstThenLongestFirstTiesInInputOrder) {
  using V = std::vector<std::optional<double>>;
  EXPECT_EQ(longest_first(V{4.5, 4.6, 4.4, 5.1}), (std::vector<std::size_t>{3, 1, 0, 2}));
  EXPECT_EQ(longest_first(V{4.5, std::nullopt, 9.0, std::nullopt}), (std::vector<std::size_t>{1, 3, 2, 0}));
  EXPECT_EQ(longest_first(V{2.0, 2.0, 2.0}), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_TRUE(longest_first(V{}).empty());
}

TEST(LabGuestOrder, TimesKeptInTheKernelsEntryNeverBesideAUsersVmlinuz) {
  TempDir t;
  Kernel cached{t.path / "kernels" / "linux-image-x" / "vmlinuz", {}};
  fs::create_directories(cached.vmlinuz.parent_path());
  EXPECT_FALSE(last_guest_seconds(cached));
  remember_guest_seconds(cached, 4.25);
  ASSERT_TRUE(last_guest_seconds(cached));
  EXPECT_DOUBLE_EQ(*last_guest_seconds(cached), 4.25);
  std::ofstream(cached.vmlinuz.parent_path() / "guest-seconds") << "garbage\n";
  EXPECT_FALSE(last_guest_seconds(cached));

  Kernel mine{t.path / "mine" / "vmlinuz", {}};
  mine.manifest.origin = "path";
  fs::create_directories(mine.vmlinuz.parent_path());
  remember_guest_seconds(mine, 3.0);
  EXPECT_FALSE(fs::exists(t.path / "mine" / "guest-seconds"));
  EXPECT_FALSE(last_guest_seconds(mine));
}
