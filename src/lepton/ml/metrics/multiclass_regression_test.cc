#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/ml/metrics/multiclass.h"
#include "lepton/ml/metrics/regression.h"

namespace lepton::ml {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

// Predictions 0, 1, 1, 2 for labels 0, 1, 2, 2: confusion [[1,0,0],[0,1,0],[0,1,1]].
const std::vector<double> kLabels = {0, 1, 2, 2};
const std::vector<double> kProbs = {0.7, 0.2, 0.1,  //
                                    0.3, 0.4, 0.3,  //
                                    0.2, 0.5, 0.3,  //
                                    0.1, 0.1, 0.8};

TEST(MulticlassMetricsTest, HandComputedReport) {
  LEPTON_ASSERT_OK_AND_ASSIGN(MulticlassReport r, EvaluateMulticlass(kLabels, kProbs, 3));
  EXPECT_DOUBLE_EQ(r.accuracy, 0.75);
  EXPECT_EQ(r.confusion, (std::vector<std::vector<double>>{{1, 0, 0}, {0, 1, 0}, {0, 1, 1}}));
  ASSERT_EQ(r.per_class.size(), 3u);
  EXPECT_DOUBLE_EQ(r.per_class[1].precision, 0.5);
  EXPECT_DOUBLE_EQ(r.per_class[1].recall, 1.0);
  EXPECT_DOUBLE_EQ(r.per_class[2].f1, 2.0 / 3);
  EXPECT_DOUBLE_EQ(r.per_class[2].support, 2);
  EXPECT_DOUBLE_EQ(r.macro.precision, 2.5 / 3);
  EXPECT_DOUBLE_EQ(r.macro.f1, (1 + 2.0 / 3 + 2.0 / 3) / 3);
  EXPECT_DOUBLE_EQ(r.weighted.precision, 0.875);
  EXPECT_DOUBLE_EQ(r.weighted.recall, 0.75);
  EXPECT_DOUBLE_EQ(r.weighted.f1, 0.75);
  EXPECT_DOUBLE_EQ(r.micro.f1, 0.75);
  EXPECT_NEAR(r.log_loss, -(std::log(0.7) + std::log(0.4) + std::log(0.3) + std::log(0.8)) / 4,
              1e-15);
  const Json j = r.ToJson();
  EXPECT_EQ(j["per_class"].size(), 3u);
  EXPECT_DOUBLE_EQ(j["macro"]["recall"].get<double>(), 2.5 / 3);
}

TEST(MulticlassMetricsTest, ArgmaxTiesPickTheFirstClass) {
  LEPTON_ASSERT_OK_AND_ASSIGN(MulticlassReport r,
                              EvaluateMulticlass({{1}}, {{0.4, 0.4, 0.2}}, 3));
  EXPECT_DOUBLE_EQ(r.confusion[1][0], 1);
  EXPECT_DOUBLE_EQ(r.accuracy, 0);
}

TEST(MulticlassMetricsTest, BadInputIsInvalidArgument) {
  EXPECT_THAT(EvaluateMulticlass(kLabels, kProbs, 4),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("need 16 probabilities")));
  EXPECT_THAT(EvaluateMulticlass({{0, 3}}, {{1, 0, 0, 0, 0, 1}}, 3),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("label at row 1 is 3")));
  EXPECT_THAT(EvaluateMulticlass({{0, 1.5}}, {{1, 0, 0, 0, 0, 1}}, 3),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("class index")));
  EXPECT_THAT(EvaluateMulticlass({{0}}, {{1, NAN, 0}}, 3),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("class 1 at row 0")));
  EXPECT_THAT(EvaluateMulticlass({{0}}, {{1}}, 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EvaluateMulticlass({}, {}, 3),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no rows")));
}

TEST(RegressionMetricsTest, HandComputedReport) {
  LEPTON_ASSERT_OK_AND_ASSIGN(RegressionReport r,
                              EvaluateRegression({{1, 2, 3, 4}}, {{1.5, 2, 2, 5}}));
  EXPECT_DOUBLE_EQ(r.rmse, 0.75);
  EXPECT_DOUBLE_EQ(r.mae, 0.625);
  EXPECT_DOUBLE_EQ(r.r2, 0.55);
  EXPECT_DOUBLE_EQ(r.mape, (0.5 + 1.0 / 3 + 0.25) / 4);
  EXPECT_DOUBLE_EQ(r.explained_variance, 0.5625);
  EXPECT_EQ(r.zero_labels, 0);
  EXPECT_DOUBLE_EQ(r.ToJson()["r2"].get<double>(), 0.55);
}

TEST(RegressionMetricsTest, ConstantLabelsAndZeroLabelsAreFinite) {
  // SS_tot = 0: perfect predictions give R² 1, others 0 (sklearn's force_finite).
  LEPTON_ASSERT_OK_AND_ASSIGN(RegressionReport perfect, EvaluateRegression({{2, 2}}, {{2, 2}}));
  EXPECT_EQ(perfect.r2, 1.0);
  LEPTON_ASSERT_OK_AND_ASSIGN(RegressionReport off, EvaluateRegression({{2, 2}}, {{1, 3}}));
  EXPECT_EQ(off.r2, 0.0);
  LEPTON_ASSERT_OK_AND_ASSIGN(RegressionReport zero, EvaluateRegression({{0, 1}}, {{1, 1}}));
  EXPECT_TRUE(std::isfinite(zero.mape));
  EXPECT_EQ(zero.zero_labels, 1);
}

TEST(RegressionMetricsTest, WeightsAndBadInput) {
  // Weight 0 on the only wrong row: a perfect fit.
  LEPTON_ASSERT_OK_AND_ASSIGN(RegressionReport r,
                              EvaluateRegression({{1, 2, 3}}, {{1, 2, 9}}, {{1, 1, 0}}));
  EXPECT_EQ(r.rmse, 0);
  EXPECT_EQ(r.r2, 1);
  EXPECT_THAT(EvaluateRegression({{1, 2}}, {{1}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2 labels but 1")));
  EXPECT_THAT(EvaluateRegression({{1, INFINITY}}, {{1, 2}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("label at row 1")));
}

}  // namespace
}  // namespace lepton::ml
