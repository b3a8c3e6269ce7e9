#include "lepton/base/clock.h"

#include <random>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace lepton {
namespace {

std::string Reference(absl::Time t) { return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone()); }

TEST(FormatTimestampTest, EqualsAbslFormatTimeIncludingSecondEdgesAndNegativeTimes) {
  EXPECT_EQ(FormatTimestamp(absl::FromUnixMillis(1764408307350)), "2025-11-29T09:25:07.350Z");
  EXPECT_EQ(FormatTimestamp(absl::UnixEpoch()), "1970-01-01T00:00:00.000Z");
  // Around second boundaries, in order and out of order (the per-thread second cache), and
  // before 1970 (milliseconds round toward the past there too).
  for (int64_t ms : {int64_t{999}, int64_t{1000}, int64_t{1001}, int64_t{999}, int64_t{-1}, int64_t{-999},
                     int64_t{-1000}, int64_t{-1001}, int64_t{59999}, int64_t{60000}, int64_t{1764408307999}}) {
    EXPECT_EQ(FormatTimestamp(absl::FromUnixMillis(ms)), Reference(absl::FromUnixMillis(ms))) << ms;
  }
  // Sub-millisecond parts are truncated, also before 1970.
  for (int64_t us : {int64_t{1500}, int64_t{-1500}, int64_t{-1}, int64_t{1764408307350999}}) {
    EXPECT_EQ(FormatTimestamp(absl::FromUnixMicros(us)), Reference(absl::FromUnixMicros(us))) << us;
  }
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    // Mostly nearby times (the cache hits), some anywhere from 1900 to 2200.
    const int64_t us = i % 4 == 0 ? static_cast<int64_t>(rng() % 9'500'000'000'000'000ULL) - 2'200'000'000'000'000LL
                                  : 1764408307000000 + static_cast<int64_t>(rng() % 5'000'000);
    const absl::Time t = absl::FromUnixMicros(us);
    ASSERT_EQ(FormatTimestamp(t), Reference(t)) << us;
  }
  EXPECT_EQ(FormatTimestamp(absl::InfiniteFuture()), Reference(absl::InfiniteFuture()));
}

TEST(FormatTimestampTest, ParsesBack) {
  absl::Time t;
  ASSERT_TRUE(ParseTimestamp(FormatTimestamp(absl::FromUnixMillis(1764408307350)), &t));
  EXPECT_EQ(t, absl::FromUnixMillis(1764408307350));
}

}  // namespace
}  // namespace lepton
