#include "lepton/ml/metrics/binary.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::ml {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

// sklearn's documentation example: roc_auc_score = 0.75, average_precision_score = 0.8333...
const std::vector<double> kLabels = {0, 0, 1, 1};
const std::vector<double> kScores = {0.1, 0.4, 0.35, 0.8};

TEST(BinaryMetricsTest, RocAucMatchesHandComputedValue) {
  LEPTON_ASSERT_OK_AND_ASSIGN(double auc, RocAuc(kLabels, kScores));
  EXPECT_DOUBLE_EQ(auc, 0.75);
  LEPTON_ASSERT_OK_AND_ASSIGN(double gini, Gini(kLabels, kScores));
  EXPECT_DOUBLE_EQ(gini, 0.5);
}

TEST(BinaryMetricsTest, RocAucCountsTiedScoresHalf) {
  // Positive/negative pairs: (0.5, 0.5) half, the other three correctly ordered: 3.5 / 4.
  LEPTON_ASSERT_OK_AND_ASSIGN(double auc, RocAuc({{0, 1, 0, 1}}, {{0.5, 0.5, 0.2, 0.9}}));
  EXPECT_DOUBLE_EQ(auc, 0.875);
}

TEST(BinaryMetricsTest, RocAucWeighsPairsBySampleWeight) {
  // The pair (0.1 positive, 0.2 negative) weighs 2 and is misordered; (0.9, 0.2) weighs 1.
  LEPTON_ASSERT_OK_AND_ASSIGN(double auc,
                              RocAuc({{0, 1, 1}}, {{0.2, 0.1, 0.9}}, {{1, 2, 1}}));
  EXPECT_DOUBLE_EQ(auc, 1.0 / 3);
}

TEST(BinaryMetricsTest, KsIsMaxDistanceAtHighestThreshold) {
  LEPTON_ASSERT_OK_AND_ASSIGN(KsResult ks, KsStatistic(kLabels, kScores));
  EXPECT_DOUBLE_EQ(ks.ks, 0.5);
  EXPECT_DOUBLE_EQ(ks.threshold, 0.8);  // 0.35 reaches 0.5 too; the higher threshold wins
}

TEST(BinaryMetricsTest, LogLossAndBrier) {
  LEPTON_ASSERT_OK_AND_ASSIGN(double ll, LogLoss({{1, 0}}, {{0.8, 0.3}}));
  EXPECT_NEAR(ll, -(std::log(0.8) + std::log(0.7)) / 2, 1e-15);
  LEPTON_ASSERT_OK_AND_ASSIGN(double brier, BrierScore({{1, 0}}, {{0.8, 0.3}}));
  EXPECT_DOUBLE_EQ(brier, 0.065);
  // A confident mistake is clipped at eps instead of giving infinity.
  LEPTON_ASSERT_OK_AND_ASSIGN(double clipped, LogLoss({{1}}, {{0.0}}));
  EXPECT_NEAR(clipped, -std::log(kLogLossEps), 1e-9);
  LEPTON_ASSERT_OK_AND_ASSIGN(double loose, LogLoss({{1}}, {{0.0}}, {}, 1e-3));
  EXPECT_NEAR(loose, -std::log(1e-3), 1e-12);
}

TEST(BinaryMetricsTest, AveragePrecisionMatchesSklearnExample) {
  LEPTON_ASSERT_OK_AND_ASSIGN(double ap, AveragePrecision(kLabels, kScores));
  EXPECT_NEAR(ap, 0.5 * 1.0 + 0.5 * (2.0 / 3), 1e-15);  // 0.8333...
}

TEST(BinaryMetricsTest, MetricsAtThresholdPredictsScoreAtLeastThreshold) {
  LEPTON_ASSERT_OK_AND_ASSIGN(ThresholdMetrics m, MetricsAtThreshold(kLabels, kScores, 0.5));
  EXPECT_DOUBLE_EQ(m.confusion.tp, 1);
  EXPECT_DOUBLE_EQ(m.confusion.fp, 0);
  EXPECT_DOUBLE_EQ(m.confusion.fn, 1);
  EXPECT_DOUBLE_EQ(m.confusion.tn, 2);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.75);
  EXPECT_DOUBLE_EQ(m.precision, 1.0);
  EXPECT_DOUBLE_EQ(m.recall, 0.5);
  EXPECT_DOUBLE_EQ(m.f1, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.positive_rate, 0.25);
  // A score equal to the threshold is predicted positive.
  LEPTON_ASSERT_OK_AND_ASSIGN(ThresholdMetrics at, MetricsAtThreshold(kLabels, kScores, 0.35));
  EXPECT_DOUBLE_EQ(at.confusion.tp, 2);
  EXPECT_EQ(at.ToJson()["confusion_matrix"]["matrix"], Json::parse("[[1.0,1.0],[0.0,2.0]]"));
}

TEST(BinaryMetricsTest, NoPredictedPositivesGivesZeroPrecision) {
  LEPTON_ASSERT_OK_AND_ASSIGN(ThresholdMetrics m, MetricsAtThreshold(kLabels, kScores, 0.9));
  EXPECT_EQ(m.precision, 0);
  EXPECT_EQ(m.recall, 0);
  EXPECT_EQ(m.f1, 0);
}

TEST(BinaryMetricsTest, BestF1ThresholdScansDistinctScores) {
  // F1 by threshold: 0.8 → 2/3, 0.4 → 1/2, 0.35 → 4/5, 0.1 → 2/3.
  LEPTON_ASSERT_OK_AND_ASSIGN(ThresholdMetrics m, BestF1Threshold(kLabels, kScores));
  EXPECT_DOUBLE_EQ(m.threshold, 0.35);
  EXPECT_DOUBLE_EQ(m.f1, 0.8);
  EXPECT_DOUBLE_EQ(m.precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.recall, 1.0);
}

TEST(BinaryMetricsTest, LiftAndGainByGroup) {
  std::vector<double> scores, labels = {1, 1, 0, 1, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 10; ++i) scores.push_back(1.0 - 0.1 * i);
  LEPTON_ASSERT_OK_AND_ASSIGN(LiftTable t, LiftGain(labels, scores, 5));
  ASSERT_EQ(t.rows.size(), 5u);
  EXPECT_DOUBLE_EQ(t.base_rate, 0.3);
  EXPECT_EQ(t.rows[0].count, 2);
  EXPECT_EQ(t.rows[0].positives, 2);
  EXPECT_DOUBLE_EQ(t.rows[0].lift, 1.0 / 0.3);
  EXPECT_DOUBLE_EQ(t.rows[0].cumulative_gain, 2.0 / 3);
  EXPECT_DOUBLE_EQ(t.rows[0].max_score, 1.0);
  EXPECT_DOUBLE_EQ(t.rows[0].min_score, 0.9);
  EXPECT_EQ(t.rows[1].positives, 1);
  EXPECT_DOUBLE_EQ(t.rows[1].lift, 0.5 / 0.3);
  EXPECT_DOUBLE_EQ(t.rows[1].cumulative_gain, 1.0);
  EXPECT_DOUBLE_EQ(t.rows[1].cumulative_lift, 0.75 / 0.3);
  EXPECT_DOUBLE_EQ(t.rows[4].cumulative_gain, 1.0);
  EXPECT_DOUBLE_EQ(t.rows[4].cumulative_lift, 1.0);
  EXPECT_EQ(t.ToJson()["groups"].size(), 5u);
}

TEST(BinaryMetricsTest, LiftGroupsSplitLikeArraySplit) {
  std::vector<double> labels(11, 0.0), scores(11, 0.5);
  labels[0] = 1;
  LEPTON_ASSERT_OK_AND_ASSIGN(LiftTable t, LiftGain(labels, scores, 5));
  std::vector<int64_t> sizes;
  for (const LiftRow& r : t.rows) sizes.push_back(r.count);
  EXPECT_THAT(sizes, ::testing::ElementsAre(3, 2, 2, 2, 2));
  EXPECT_THAT(LiftGain(labels, scores, 12), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(BinaryMetricsTest, CalibrationMatchesSklearnExample) {
  // sklearn's calibration_curve docstring: prob_true [0, 0.5, 1], prob_pred [0.2, 0.525, 0.85].
  const std::vector<double> y = {0, 0, 0, 0, 1, 1, 1, 1, 1};
  const std::vector<double> p = {0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1.0};
  LEPTON_ASSERT_OK_AND_ASSIGN(CalibrationTable t, Calibration(y, p, 3));
  ASSERT_EQ(t.bins.size(), 3u);
  EXPECT_DOUBLE_EQ(t.bins[0].observed_rate, 0);
  EXPECT_DOUBLE_EQ(t.bins[1].observed_rate, 0.5);
  EXPECT_DOUBLE_EQ(t.bins[2].observed_rate, 1);
  EXPECT_DOUBLE_EQ(t.bins[0].mean_predicted, 0.2);
  EXPECT_DOUBLE_EQ(t.bins[1].mean_predicted, 0.525);
  EXPECT_DOUBLE_EQ(t.bins[2].mean_predicted, 0.85);
  EXPECT_EQ(t.bins[0].count + t.bins[1].count + t.bins[2].count, 9);
  // Quantile bins hold (nearly) equal counts.
  LEPTON_ASSERT_OK_AND_ASSIGN(CalibrationTable q, Calibration(y, p, 3, CalibrationStrategy::kQuantile));
  ASSERT_EQ(q.bins.size(), 3u);
  EXPECT_EQ(q.bins[0].count, 3);
  EXPECT_EQ(q.ToJson()["strategy"], "quantile");
}

TEST(BinaryMetricsTest, CurvesAreThinnedKeepingTheEnds) {
  std::vector<double> labels, scores;
  for (int i = 0; i < 1000; ++i) {
    labels.push_back(i % 3 == 0 ? 1 : 0);
    scores.push_back(i / 1000.0 + (i % 3 == 0 ? 0.0005 : 0));  // all distinct
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(RocCurve roc, RocCurvePoints(labels, scores, {}, 50));
  ASSERT_EQ(roc.fpr.size(), 50u);
  EXPECT_EQ(roc.total_points, 1001);
  EXPECT_TRUE(std::isinf(roc.thresholds.front()));
  EXPECT_EQ(roc.fpr.front(), 0);
  EXPECT_EQ(roc.tpr.front(), 0);
  EXPECT_EQ(roc.fpr.back(), 1);
  EXPECT_EQ(roc.tpr.back(), 1);
  for (size_t i = 1; i < roc.fpr.size(); ++i) {
    EXPECT_GE(roc.fpr[i], roc.fpr[i - 1]);
    EXPECT_GE(roc.tpr[i], roc.tpr[i - 1]);
    EXPECT_LT(roc.thresholds[i], roc.thresholds[i - 1]);
  }
  EXPECT_TRUE(roc.ToJson()["threshold"][0].is_null());
  LEPTON_ASSERT_OK_AND_ASSIGN(PrCurve pr, PrCurvePoints(labels, scores, {}, 50));
  ASSERT_EQ(pr.recall.size(), 50u);
  EXPECT_EQ(pr.recall.front(), 0);
  EXPECT_EQ(pr.precision.front(), 1);
  EXPECT_EQ(pr.recall.back(), 1);
  EXPECT_NEAR(pr.precision.back(), 334.0 / 1000, 1e-15);
  // Short curves are returned whole.
  LEPTON_ASSERT_OK_AND_ASSIGN(RocCurve small, RocCurvePoints(kLabels, kScores, {}, 50));
  EXPECT_EQ(small.fpr, (std::vector<double>{0, 0, 0.5, 0.5, 1}));
  EXPECT_EQ(small.tpr, (std::vector<double>{0, 0.5, 0.5, 1, 1}));
}

TEST(BinaryMetricsTest, EvaluateBinaryReportsEverything) {
  BinaryOptions small;
  small.lift_groups = 2;
  small.calibration_bins = 2;
  LEPTON_ASSERT_OK_AND_ASSIGN(BinaryReport r, EvaluateBinary(kLabels, kScores, {}, small));
  EXPECT_EQ(r.rows, 4);
  EXPECT_DOUBLE_EQ(r.base_rate, 0.5);
  EXPECT_DOUBLE_EQ(r.auc, 0.75);
  EXPECT_DOUBLE_EQ(r.best_f1.threshold, 0.35);
  const Json j = r.ToJson();
  for (const char* key : {"auc", "gini", "ks", "ks_threshold", "log_loss", "brier",
                          "average_precision", "at_threshold", "best_f1", "lift", "calibration",
                          "roc_curve", "pr_curve"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_DOUBLE_EQ(j["gini"].get<double>(), 0.5);
  // Fewer rows than lift groups is an option error, not a crash.
  EXPECT_THAT(EvaluateBinary(kLabels, kScores, {}, BinaryOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lift")));
}

TEST(BinaryMetricsTest, BadInputIsInvalidArgument) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(RocAuc({{0, 1}}, {{0.5}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2 labels but 1 predictions")));
  EXPECT_THAT(RocAuc({}, {}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no rows")));
  EXPECT_THAT(RocAuc({{0, 2}}, {{0.1, 0.2}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("label at row 1 is 2")));
  EXPECT_THAT(RocAuc({{0, 1}}, {{0.1, nan}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("prediction at row 1")));
  EXPECT_THAT(RocAuc({{1, 1}}, {{0.1, 0.2}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("only one class")));
  EXPECT_THAT(LogLoss({{0, 1}}, {{0.1, 1.5}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("within [0, 1]")));
  EXPECT_THAT(BrierScore({{0, 1}}, {{0.1, 0.5}}, {{1, -1}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sample weight at row 1")));
  EXPECT_THAT(BrierScore({{0, 1}}, {{0.1, 0.5}}, {{1}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sample weights")));
  EXPECT_THAT(MetricsAtThreshold(kLabels, kScores, nan),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AveragePrecision({{0, 0}}, {{0.1, 0.2}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no row is positive")));
}

}  // namespace
}  // namespace lepton::ml
