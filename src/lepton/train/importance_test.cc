// Permutation importance on data whose answer is known: the score depends on column "signal"
// only, so shuffling "noise" changes nothing and shuffling "signal" destroys the score.

#include "lepton/train/importance.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/ml/metrics/binary.h"

namespace lepton::train {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

struct Data {
  lake::RecordBatch rows;
  std::vector<double> y;
};

// y = 1 when signal > 0.5 (with 10% of labels flipped); noise and text are unrelated to y.
Data Make(int n) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  lake::Column signal(lake::DataType::kDouble), noise(lake::DataType::kDouble), text(lake::DataType::kString);
  Data d;
  for (int i = 0; i < n; ++i) {
    const double s = u(rng);
    signal.AppendDouble(s);
    noise.AppendDouble(u(rng));
    text.AppendString(i % 3 == 0 ? "a" : "b");
    const bool flip = u(rng) < 0.1;
    d.y.push_back(((s > 0.5) != flip) ? 1.0 : 0.0);
  }
  lake::Schema schema({{"noise", lake::DataType::kDouble}, {"signal", lake::DataType::kDouble},
                       {"text", lake::DataType::kString}});
  std::vector<lake::Column> cols;
  cols.push_back(std::move(noise));
  cols.push_back(std::move(signal));
  cols.push_back(std::move(text));
  d.rows = *lake::RecordBatch::Make(schema, std::move(cols));
  return d;
}

// The "model": the AUC of column "signal" against the targets of the rows given.
ScoreFn AucOfSignal(const std::vector<double>& y, int* calls) {
  return [&y, calls](const lake::RecordBatch& rows, std::span<const int64_t> positions) -> absl::StatusOr<double> {
    ++*calls;
    std::vector<double> labels, scores;
    for (size_t i = 0; i < positions.size(); ++i) {
      labels.push_back(y[static_cast<size_t>(positions[i])]);
      scores.push_back(rows.column(1).ValueAt<double>(static_cast<int64_t>(i)));
    }
    return ml::RocAuc(labels, scores);
  };
}

TEST(PermutationImportanceTest, TheColumnTheModelUsesRanksFirstAndTheOthersScoreZero) {
  const Data d = Make(1000);
  int calls = 0;
  LEPTON_ASSERT_OK_AND_ASSIGN(PermutationImportance r,
                              ComputePermutationImportance(d.rows, AucOfSignal(d.y, &calls),
                                                           {.metric = "auc", .repeats = 4, .max_rows = 5000}));
  EXPECT_EQ(calls, 1 + 3 * 4);  // the baseline, then every column x repeat
  EXPECT_EQ(r.rows, 1000);
  EXPECT_GT(r.baseline, 0.85);
  ASSERT_EQ(r.columns.size(), 3u);
  EXPECT_EQ(r.columns[0].column, "signal");
  // A shuffled signal is unrelated to y: AUC near 0.5, so the drop is near baseline - 0.5.
  EXPECT_NEAR(r.columns[0].mean, r.baseline - 0.5, 0.06);
  EXPECT_GT(r.columns[0].std, 0.0);
  ASSERT_EQ(r.columns[0].drops.size(), 4u);
  for (size_t k = 1; k < 3; ++k) {
    EXPECT_EQ(r.columns[k].mean, 0.0) << r.columns[k].column;  // never read by the model
    EXPECT_EQ(r.columns[k].std, 0.0);
  }
  const Json j = r.ToJson();
  EXPECT_EQ(j["metric"], "auc");
  EXPECT_EQ(j["columns"][0]["column"], "signal");
}

TEST(PermutationImportanceTest, MinimizedMetricsCountAnIncreaseAsTheDrop) {
  const Data d = Make(500);
  int calls = 0;
  ScoreFn auc = AucOfSignal(d.y, &calls);
  ScoreFn one_minus = [&](const lake::RecordBatch& rows, std::span<const int64_t> p) -> absl::StatusOr<double> {
    LEPTON_ASSIGN_OR_RETURN(double a, auc(rows, p));
    return 1.0 - a;  // lower is better
  };
  LEPTON_ASSERT_OK_AND_ASSIGN(PermutationImportance max, ComputePermutationImportance(d.rows, auc, {.maximize = true}));
  LEPTON_ASSERT_OK_AND_ASSIGN(PermutationImportance min,
                              ComputePermutationImportance(d.rows, one_minus, {.metric = "x", .maximize = false}));
  ASSERT_EQ(min.columns[0].column, "signal");
  EXPECT_NEAR(min.columns[0].mean, max.columns[0].mean, 1e-12);
  EXPECT_GT(min.columns[0].mean, 0.3);
}

TEST(PermutationImportanceTest, SameSeedSameNumbersOtherSeedOtherShuffles) {
  const Data d = Make(400);
  int calls = 0;
  auto run = [&](uint64_t seed) {
    return ComputePermutationImportance(d.rows, AucOfSignal(d.y, &calls), {.seed = seed});
  };
  LEPTON_ASSERT_OK_AND_ASSIGN(PermutationImportance a, run(1));
  LEPTON_ASSERT_OK_AND_ASSIGN(PermutationImportance b, run(1));
  LEPTON_ASSERT_OK_AND_ASSIGN(PermutationImportance c, run(2));
  EXPECT_EQ(a.columns[0].drops, b.columns[0].drops);
  EXPECT_NE(a.columns[0].drops, c.columns[0].drops);
}

TEST(PermutationImportanceTest, SamplesAtMostMaxRowsInTheirOriginalOrder) {
  const Data d = Make(3000);
  std::vector<int64_t> seen;
  int mismatches = -1;
  ScoreFn record = [&](const lake::RecordBatch& rows, std::span<const int64_t> p) -> absl::StatusOr<double> {
    EXPECT_EQ(rows.num_rows(), static_cast<int64_t>(p.size()));
    if (mismatches < 0) {
      // The baseline call: row i of the batch is row p[i] of the input, in every column.
      mismatches = 0;
      for (size_t i = 0; i < p.size(); ++i) {
        mismatches += rows.column(1).ValueAt<double>(static_cast<int64_t>(i)) != d.rows.column(1).ValueAt<double>(p[i]);
        mismatches += rows.column(2).StringAt(static_cast<int64_t>(i)) != d.rows.column(2).StringAt(p[i]);
      }
    }
    seen.assign(p.begin(), p.end());
    return 0.5;
  };
  LEPTON_ASSERT_OK_AND_ASSIGN(PermutationImportance r,
                              ComputePermutationImportance(d.rows, record, {.repeats = 1, .max_rows = 700}));
  EXPECT_EQ(r.rows, 700);
  EXPECT_EQ(mismatches, 0);
  ASSERT_EQ(seen.size(), 700u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());  // no repeats
  EXPECT_LT(seen.back(), 3000);
  EXPECT_GT(seen.back(), 2000);  // spread over the rows, not the first 700
}

TEST(PermutationImportanceTest, BadOptionsAndScoreErrorsAreReturned) {
  const Data d = Make(50);
  int calls = 0;
  EXPECT_THAT(ComputePermutationImportance(d.rows, AucOfSignal(d.y, &calls), {.repeats = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("repeats")));
  EXPECT_THAT(ComputePermutationImportance(d.rows, AucOfSignal(d.y, &calls), {.max_rows = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_rows")));
  EXPECT_THAT(ComputePermutationImportance(d.rows.Slice(0, 0), AucOfSignal(d.y, &calls), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no rows")));
  ScoreFn cancel = [](const lake::RecordBatch&, std::span<const int64_t>) -> absl::StatusOr<double> {
    return absl::CancelledError("stop");
  };
  EXPECT_THAT(ComputePermutationImportance(d.rows, cancel, {}), StatusIs(absl::StatusCode::kCancelled));
}

}  // namespace
}  // namespace lepton::train
