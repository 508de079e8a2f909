// trace/core_object: which BTF each attempt gets, which error a failed load reports, and that a
// minimal BTF the kernel refused is removed. The attempts are fakes: no kernel is asked.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "trace/core_object.hpp"

namespace {

using tristate::trace::CoreAttempt;
using tristate::trace::load_core_object;
using tristate::util::Error;
using tristate::util::Result;

struct Try {
  std::size_t variant;
  std::string btf;  // "" for the whole BTF
};

// An attempt that records what it was given and succeeds only where `ok` says.
CoreAttempt recorder(std::vector<Try>& log, bool (*ok)(const Try&)) {
  return [&log, ok](const bpf_object_open_opts& opts, std::size_t v) -> Result<void> {
    log.push_back({v, opts.btf_custom_path ? opts.btf_custom_path : ""});
    if (ok(log.back())) return {};
    return Error{"variant " + std::to_string(v) + (log.back().btf.empty() ? " whole" : " minimal")};
  };
}

class CoreObject : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tristate-core-object-XXXXXX";
    dir_ = mkdtemp(tmpl);
    btf_ = dir_ + "/object.btf";
    std::ofstream(btf_) << "not BTF";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_, btf_;
};

TEST_F(CoreObject, MinimalBtfFirstAndKeptWhenItLoads) {
  std::vector<Try> log;
  auto loaded = load_core_object(btf_, 2, recorder(log, [](const Try& t) { return t.variant == 1; }));
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded.value().variant, 1u);
  EXPECT_FALSE(loaded.value().whole_btf);
  EXPECT_EQ(loaded.value().attempt, 2u);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].btf, btf_);
  EXPECT_TRUE(std::filesystem::exists(btf_));
}

TEST_F(CoreObject, WholeBtfAfterTheMinimalFailsAndTheFileGoes) {
  std::vector<Try> log;
  int hooks = 0;
  auto loaded = load_core_object(btf_, 2, recorder(log, [](const Try& t) { return t.btf.empty() && t.variant == 0; }),
                                 [&] { ++hooks; });
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_TRUE(loaded.value().whole_btf);
  EXPECT_EQ(loaded.value().attempt, 3u);  // both variants minimal, then variant 0 whole
  EXPECT_EQ(hooks, 1);
  EXPECT_FALSE(std::filesystem::exists(btf_)) << "a refused minimal BTF must be made again next time";
}

TEST_F(CoreObject, ErrorIsTheWholeBtfsFirstVariant) {
  std::vector<Try> log;
  auto loaded = load_core_object(btf_, 2, recorder(log, [](const Try&) { return false; }));
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message, "variant 0 whole");
  EXPECT_EQ(log.size(), 4u);
  EXPECT_TRUE(std::filesystem::exists(btf_)) << "nothing loaded: nothing says the file was wrong";
}

TEST(CoreObjectWithoutMinimal, OnePassUnlessAHookAsksForAnother) {
  std::vector<Try> log;
  auto none = load_core_object("", 1, recorder(log, [](const Try&) { return false; }));
  EXPECT_FALSE(none);
  EXPECT_EQ(log.size(), 1u) << "the same whole-BTF load would only be repeated";
  log.clear();
  bool refreshed = false;
  auto again = load_core_object("", 1, recorder(log, [](const Try&) { return false; }), [&] { refreshed = true; });
  EXPECT_FALSE(again);
  EXPECT_EQ(log.size(), 2u);
  EXPECT_TRUE(refreshed);
  EXPECT_EQ(log[1].btf, "");
}

}  // namespace
