#include "lepton/ml/metrics/slices.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::ml {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

// Slice A: AUC 1, 2 of 4 predicted positive, TPR 1. Slice B: negatives only. Slice C: AUC 0.5,
// 2 of 3 predicted positive, TPR 0.5.
const std::vector<double> kLabels = {0, 1, 1, 0, 0, 0, 1, 0, 1};
const std::vector<double> kProbs = {0.2, 0.7, 0.6, 0.4, 0.6, 0.1, 0.3, 0.5, 0.9};
const std::vector<std::string> kKeys = {"A", "A", "A", "A", "B", "B", "C", "C", "C"};

TEST(SliceMetricsTest, PerSliceMetricsAndGaps) {
  LEPTON_ASSERT_OK_AND_ASSIGN(SliceReport r, EvaluateSlices(kLabels, kProbs, kKeys));
  ASSERT_EQ(r.slices.size(), 3u);
  const SliceMetrics& a = r.slices[0];
  const SliceMetrics& b = r.slices[1];
  const SliceMetrics& c = r.slices[2];
  EXPECT_EQ(a.key, "A");
  EXPECT_EQ(a.rows, 4);
  ASSERT_TRUE(a.auc.has_value());
  EXPECT_DOUBLE_EQ(*a.auc, 1.0);
  EXPECT_DOUBLE_EQ(a.at_threshold.positive_rate, 0.5);
  EXPECT_DOUBLE_EQ(*a.tpr, 1.0);
  EXPECT_FALSE(b.auc.has_value());
  EXPECT_THAT(b.auc_null_reason, HasSubstr("only negative rows"));
  EXPECT_FALSE(b.tpr.has_value());
  EXPECT_DOUBLE_EQ(b.at_threshold.positive_rate, 0.5);
  EXPECT_DOUBLE_EQ(*c.auc, 0.5);
  EXPECT_DOUBLE_EQ(c.at_threshold.positive_rate, 2.0 / 3);
  EXPECT_DOUBLE_EQ(*c.tpr, 0.5);

  EXPECT_DOUBLE_EQ(*r.auc_gap.value, 0.5);
  EXPECT_EQ(r.auc_gap.max_slice, "A");
  EXPECT_EQ(r.auc_gap.min_slice, "C");
  EXPECT_DOUBLE_EQ(*r.demographic_parity_difference.value, 2.0 / 3 - 0.5);
  EXPECT_EQ(r.demographic_parity_difference.max_slice, "C");
  EXPECT_EQ(r.demographic_parity_difference.min_slice, "A");
  EXPECT_DOUBLE_EQ(*r.equal_opportunity_difference.value, 0.5);

  const Json j = r.ToJson();
  EXPECT_TRUE(j["slices"][1]["auc"].is_null());
  EXPECT_THAT(j["slices"][1]["auc_null_reason"].get<std::string>(), HasSubstr("undefined"));
  EXPECT_TRUE(j["slices"][1]["tpr"].is_null());
  EXPECT_DOUBLE_EQ(j["gaps"]["auc"]["value"].get<double>(), 0.5);
}

TEST(SliceMetricsTest, GapNeedsTwoSlices) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      SliceReport r, EvaluateSlices({{0, 1}}, {{0.2, 0.8}}, std::vector<std::string>{"x", "x"}));
  EXPECT_FALSE(r.auc_gap.value.has_value());
  EXPECT_TRUE(r.ToJson()["gaps"]["auc"]["value"].is_null());
}

TEST(SliceMetricsTest, BadInputIsInvalidArgument) {
  EXPECT_THAT(EvaluateSlices(kLabels, kProbs, std::vector<std::string>{"A"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("slice keys")));
  std::vector<double> bad = kLabels;
  bad[3] = -1;
  EXPECT_THAT(EvaluateSlices(bad, kProbs, kKeys),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("label at row 3")));
}

}  // namespace
}  // namespace lepton::ml
