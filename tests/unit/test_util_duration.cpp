// Durations typed on the command line (util/duration.hpp).
#include <gtest/gtest.h>

#include "util/duration.hpp"

using namespace std::chrono_literals;
using tristate::util::parse_duration;

TEST(Duration, UnitsAndPlainNumbers) {
  EXPECT_EQ(parse_duration("10s", 1ms).value, std::chrono::nanoseconds(10s));
  EXPECT_EQ(parse_duration("500ms", 1s).value, std::chrono::nanoseconds(500ms));
  EXPECT_EQ(parse_duration("2m", 1s).value, std::chrono::nanoseconds(120s));
  EXPECT_EQ(parse_duration("1h", 1s).value, std::chrono::nanoseconds(3600s));
  EXPECT_EQ(parse_duration("1.5s", 1s).value, std::chrono::nanoseconds(1500ms));
  EXPECT_EQ(parse_duration("250us", 1s).value, std::chrono::nanoseconds(250us));
  // a plain number keeps the option's old unit: quiz --timeout 500 is still 500 ms
  EXPECT_EQ(parse_duration("500", 1ms).value, std::chrono::nanoseconds(500ms));
  EXPECT_EQ(parse_duration("240", 1s).value, std::chrono::nanoseconds(240s));
}

TEST(Duration, RefusesWhatIsNotADuration) {
  for (const char* bad : {"", "s", "-5s", "ten", "5 s", "5sec", "5S", "1e400s", "nan", "inf"}) {
    const auto r = parse_duration(bad, 1s);
    EXPECT_FALSE(r.value.has_value()) << bad;
    EXPECT_FALSE(r.error.empty()) << bad;
  }
  EXPECT_NE(parse_duration("5sec", 1s).error.find("unknown unit 'sec'"), std::string::npos);
}
