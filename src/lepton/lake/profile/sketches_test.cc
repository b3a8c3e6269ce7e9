#include "lepton/lake/profile/sketches.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"
#include "lepton/base/strings.h"

namespace lepton::lake::profile {
namespace {

TEST(HyperLogLogTest, EmptyIsZero) { EXPECT_EQ(HyperLogLog().Estimate(), 0); }

TEST(HyperLogLogTest, SmallCardinalitiesAreNearlyExact) {
  for (int64_t n : {1, 2, 10, 100, 1000}) {
    HyperLogLog hll;
    for (int rep = 0; rep < 3; ++rep) {
      for (int64_t i = 0; i < n; ++i) hll.Add(Hash64(i));
    }
    EXPECT_NEAR(hll.Estimate(), static_cast<double>(n), std::max(0.5, 0.01 * n)) << n;
  }
}

TEST(HyperLogLogTest, WithinTwoPercentAcrossTheRange) {
  for (int64_t n : {5000, 20000, 50000, 100000, 1000000}) {
    HyperLogLog hll;
    for (int64_t i = 0; i < n; ++i) hll.Add(Hash64(i * 7919 + 13));
    EXPECT_NEAR(hll.Estimate(), static_cast<double>(n), 0.02 * n) << n;
  }
}

TEST(HyperLogLogTest, StringsWithinTwoPercent) {
  HyperLogLog hll;
  for (int i = 0; i < 100000; ++i) hll.Add(HashBytes(StrCat("customer-", i)));
  EXPECT_NEAR(hll.Estimate(), 100000, 2000);
}

TEST(HyperLogLogTest, MergeEqualsUnion) {
  HyperLogLog a, b, both;
  for (int64_t i = 0; i < 30000; ++i) {
    (i % 2 ? a : b).Add(Hash64(i));
    both.Add(Hash64(i));
  }
  a.Merge(b);
  EXPECT_EQ(a.Estimate(), both.Estimate());
}

TEST(HashTest, DistinguishesNearbyInputs) {
  EXPECT_NE(HashBytes("a"), HashBytes("b"));
  EXPECT_NE(HashBytes(""), HashBytes(std::string(1, '\0')));
  EXPECT_NE(HashBytes("abcdefgh"), HashBytes(std::string_view("abcdefgh\0", 9)));
  EXPECT_EQ(HashDouble(0.0), HashDouble(-0.0));
  EXPECT_NE(Hash64(1), Hash64(2));
}

TEST(ReservoirSampleTest, ExactQuantilesWhileUnderCapacity) {
  ReservoirSample s(1000);
  for (int i = 100; i >= 1; --i) s.Add(i);
  s.Sort();
  EXPECT_TRUE(s.exact());
  EXPECT_DOUBLE_EQ(s.Quantile(0), 1);
  EXPECT_DOUBLE_EQ(s.Quantile(1), 100);
  EXPECT_DOUBLE_EQ(s.Quantile(0.5), 50.5);
  EXPECT_DOUBLE_EQ(s.Quantile(0.25), 25.75);
}

TEST(ReservoirSampleTest, SampledQuantilesAreClose) {
  ReservoirSample s(10000);
  for (int i = 0; i < 1000000; ++i) s.Add(i);
  s.Sort();
  EXPECT_FALSE(s.exact());
  EXPECT_EQ(s.values().size(), 10000u);
  // Rank standard error at the median: sqrt(0.25 / 10000) = 0.5%; allow 4 sigma.
  EXPECT_NEAR(s.Quantile(0.5), 500000, 20000);
  EXPECT_NEAR(s.Quantile(0.9), 900000, 12000);
}

TEST(SpaceSavingTest, ExactBelowCapacity) {
  SpaceSaving<uint64_t> ss(4);
  for (uint64_t k : {1, 2, 2, 3, 3, 3}) ss.Add(k);
  EXPECT_TRUE(ss.exact());
  ASSERT_EQ(ss.entries().size(), 3u);
  for (const auto& e : ss.entries()) EXPECT_EQ(e.count, static_cast<int64_t>(e.key));
}

TEST(SpaceSavingTest, FindsHeavyHittersBeyondCapacity) {
  SpaceSaving<uint64_t> ss(10);
  for (uint64_t i = 0; i < 10000; ++i) {
    ss.Add(i % 3 == 0 ? uint64_t{7} : 1000 + i);
  }
  EXPECT_FALSE(ss.exact());
  bool found = false;
  for (const auto& e : ss.entries()) {
    if (e.key == 7) {
      found = true;
      EXPECT_GE(e.count, 3334);
      EXPECT_LE(e.count - e.error, 3334);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace lepton::lake::profile
