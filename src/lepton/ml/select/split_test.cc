#include "lepton/ml/select/split.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::ml {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

// Train and test are disjoint, ascending and together cover 0..rows-1.
void ExpectPartition(const TrainTestSplit& s, int64_t rows) {
  EXPECT_TRUE(std::is_sorted(s.train.begin(), s.train.end()));
  EXPECT_TRUE(std::is_sorted(s.test.begin(), s.test.end()));
  std::vector<int64_t> all = s.train;
  all.insert(all.end(), s.test.begin(), s.test.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) ASSERT_EQ(all[i], i);
}

// 1000 rows: 700 of class 0, 200 of class 1, 100 of class 2.
std::vector<double> ThreeClassLabels() {
  std::vector<double> y;
  for (int i = 0; i < 1000; ++i) y.push_back(i % 10 < 7 ? 0 : (i % 10 < 9 ? 1 : 2));
  return y;
}

TEST(SplitTest, RandomSplitSizesLikeSklearn) {
  LEPTON_ASSERT_OK_AND_ASSIGN(TrainTestSplit s, RandomSplit(1000, 0.2, 7));
  EXPECT_EQ(s.test.size(), 200u);
  EXPECT_EQ(s.train.size(), 800u);
  ExpectPartition(s, 1000);
  LEPTON_ASSERT_OK_AND_ASSIGN(TrainTestSplit odd, RandomSplit(11, 0.25, 7));
  EXPECT_EQ(odd.test.size(), 3u);  // ceil(2.75)
  EXPECT_EQ(s.ToJson(), Json::parse(R"({"train_rows":800,"test_rows":200})"));
}

TEST(SplitTest, RandomSplitIsReproducibleBySeed) {
  LEPTON_ASSERT_OK_AND_ASSIGN(TrainTestSplit a, RandomSplit(500, 0.3, 42));
  LEPTON_ASSERT_OK_AND_ASSIGN(TrainTestSplit b, RandomSplit(500, 0.3, 42));
  LEPTON_ASSERT_OK_AND_ASSIGN(TrainTestSplit c, RandomSplit(500, 0.3, 43));
  EXPECT_EQ(a.test, b.test);
  EXPECT_NE(a.test, c.test);
  // Not simply the first or last rows.
  EXPECT_GT(a.test.back() - a.test.front(), 400);
}

TEST(SplitTest, StratifiedSplitPreservesClassShares) {
  const std::vector<double> y = ThreeClassLabels();
  LEPTON_ASSERT_OK_AND_ASSIGN(TrainTestSplit s, StratifiedSplit(y, 0.25, 1));
  ExpectPartition(s, 1000);
  ASSERT_EQ(s.test.size(), 250u);
  std::map<double, int> test_counts;
  for (int64_t i : s.test) ++test_counts[y[i]];
  // 175 / 50 / 25 exactly (the shares divide evenly here).
  EXPECT_EQ(test_counts[0], 175);
  EXPECT_EQ(test_counts[1], 50);
  EXPECT_EQ(test_counts[2], 25);
  LEPTON_ASSERT_OK_AND_ASSIGN(TrainTestSplit again, StratifiedSplit(y, 0.25, 1));
  EXPECT_EQ(again.test, s.test);
  LEPTON_ASSERT_OK_AND_ASSIGN(TrainTestSplit other, StratifiedSplit(y, 0.25, 2));
  EXPECT_NE(other.test, s.test);
}

TEST(SplitTest, StratifiedSplitRoundsByLargestRemainder) {
  // 7 rows of class 0 and 3 of class 1, test 30%: 3 rows = 2.1 + 0.9 → class 0 gets 2, class 1
  // gets 1 (its remainder 0.9 is the largest).
  const std::vector<double> y = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
  LEPTON_ASSERT_OK_AND_ASSIGN(TrainTestSplit s, StratifiedSplit(y, 0.3, 3));
  int ones = 0;
  for (int64_t i : s.test) ones += y[i] == 1;
  EXPECT_EQ(s.test.size(), 3u);
  EXPECT_EQ(ones, 1);
  EXPECT_THAT(StratifiedSplit({{0, 0, 0, 1}}, 0.5, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("class 1 has 1 row")));
}

TEST(SplitTest, TimeSplitPutsLatestKeysInTest) {
  std::vector<int64_t> keys;
  for (int i = 0; i < 100; ++i) keys.push_back((i * 37) % 100);  // a permutation of 0..99
  LEPTON_ASSERT_OK_AND_ASSIGN(TrainTestSplit s, TimeSplit(keys, 0.2));
  ExpectPartition(s, 100);
  EXPECT_EQ(s.test.size(), 20u);
  int64_t max_train = -1, min_test = 1000;
  for (int64_t i : s.train) max_train = std::max(max_train, keys[i]);
  for (int64_t i : s.test) min_test = std::min(min_test, keys[i]);
  EXPECT_EQ(max_train, 79);
  EXPECT_EQ(min_test, 80);
}

TEST(SplitTest, TimeSplitNeverSplitsAKey) {
  // Dates as ISO strings; the cut falls inside the three rows of 2024-03, which all go to test.
  const std::vector<std::string> keys = {"2024-01", "2024-03", "2024-02", "2024-03", "2024-01",
                                         "2024-03", "2024-02", "2024-02", "2024-01", "2024-01"};
  LEPTON_ASSERT_OK_AND_ASSIGN(TrainTestSplit s, TimeSplit(keys, 0.2));
  EXPECT_EQ(s.test, (std::vector<int64_t>{1, 3, 5}));
  std::vector<double> same(10, 5.0);
  EXPECT_THAT(TimeSplit(same, 0.2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no row is left")));
  EXPECT_THAT(TimeSplit(std::vector<double>{1, NAN, 3}, 0.5),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("row 1 is NaN")));
}

TEST(SplitTest, BadFractionsAreRejected) {
  EXPECT_THAT(RandomSplit(10, 0, 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RandomSplit(10, 1, 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RandomSplit(0, 0.5, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no rows")));
  EXPECT_THAT(RandomSplit(2, 0.01, 1).status(), StatusIs(absl::StatusCode::kOk));
  EXPECT_THAT(RandomSplit(1, 0.5, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("one side empty")));
}

// Every row is in exactly one validation fold, and train is the complement of valid.
void ExpectFoldsPartition(const std::vector<Fold>& folds, int64_t rows) {
  std::vector<int> seen(static_cast<size_t>(rows), 0);
  for (const Fold& f : folds) {
    EXPECT_EQ(f.train.size() + f.valid.size(), static_cast<size_t>(rows));
    std::set<int64_t> valid(f.valid.begin(), f.valid.end());
    for (int64_t i : f.train) EXPECT_FALSE(valid.contains(i));
    for (int64_t i : f.valid) ++seen[i];
  }
  for (int64_t i = 0; i < rows; ++i) ASSERT_EQ(seen[i], 1) << "row " << i;
}

TEST(KFoldTest, CoversEveryRowOnceWithBalancedSizes) {
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Fold> folds, KFold(103, 5, 9));
  ASSERT_EQ(folds.size(), 5u);
  ExpectFoldsPartition(folds, 103);
  std::vector<size_t> sizes;
  for (const Fold& f : folds) sizes.push_back(f.valid.size());
  EXPECT_THAT(sizes, ::testing::ElementsAre(21, 21, 21, 20, 20));
}

TEST(KFoldTest, ReproducibleBySeed) {
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Fold> a, KFold(200, 4, 1));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Fold> b, KFold(200, 4, 1));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Fold> c, KFold(200, 4, 2));
  for (int f = 0; f < 4; ++f) EXPECT_EQ(a[f].valid, b[f].valid);
  EXPECT_NE(a[0].valid, c[0].valid);
  EXPECT_THAT(KFold(10, 1, 1), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("k = 1")));
  EXPECT_THAT(KFold(3, 4, 1), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KFoldTest, StratifiedKeepsClassProportionsWithinOneRow) {
  // 1003 rows so that neither classes nor folds divide evenly.
  std::vector<double> y = ThreeClassLabels();
  y.insert(y.end(), {1, 2, 2});
  const int k = 7;
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Fold> folds, StratifiedKFold(y, k, 5));
  ExpectFoldsPartition(folds, static_cast<int64_t>(y.size()));
  std::map<double, int> totals;
  for (double v : y) ++totals[v];
  size_t min_size = y.size(), max_size = 0;
  for (const Fold& f : folds) {
    std::map<double, int> counts;
    for (int64_t i : f.valid) ++counts[y[i]];
    for (const auto& [label, total] : totals) {
      const double expected = static_cast<double>(total) / k;
      EXPECT_LE(std::abs(counts[label] - expected), 1.0) << "class " << label;
    }
    min_size = std::min(min_size, f.valid.size());
    max_size = std::max(max_size, f.valid.size());
  }
  EXPECT_LE(max_size - min_size, 1u);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Fold> again, StratifiedKFold(y, k, 5));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Fold> other, StratifiedKFold(y, k, 6));
  EXPECT_EQ(again[3].valid, folds[3].valid);
  EXPECT_NE(other[3].valid, folds[3].valid);
}

TEST(KFoldTest, StratifiedRejectsRareClasses) {
  std::vector<double> y(20, 0.0);
  y[0] = y[1] = 1;
  EXPECT_THAT(StratifiedKFold(y, 3, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("class 1 has 2 rows")));
}

}  // namespace
}  // namespace lepton::ml
