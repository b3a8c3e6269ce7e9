#include "lepton/ml/linear/scorecard.h"

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::ml {
namespace {

using ::lepton::testing::StatusIs;

// Three WOE-encoded features with 3-4 bins each; label 1 (bad) more likely at low WOE, as
// WOE = ln(%good / %bad) implies.
struct WoeData {
  std::vector<WoeFeature> features;
  features::FeatureMatrix x;
  std::vector<double> y;
};

WoeData MakeWoeData() {
  WoeData d;
  d.features = {{"age", {{"<25", -0.6}, {"25-40", 0.1}, {">=40", 0.5}}},
                {"income", {{"low", -0.8}, {"mid", 0.0}, {"high", 0.7}, {"missing", -0.2}}},
                {"history", {{"bad", -1.1}, {"ok", 0.3}, {"good", 0.9}}}};
  d.x.columns = {"age", "income", "history"};
  std::mt19937_64 rng(7);
  for (int r = 0; r < 2000; ++r) {
    double margin = -1.0;
    for (const WoeFeature& f : d.features) {
      const double woe = f.bins[rng() % f.bins.size()].woe;
      d.x.values.push_back(static_cast<float>(woe));
      margin -= 0.9 * woe;
    }
    const double p = 1 / (1 + std::exp(-margin));
    d.y.push_back(std::uniform_real_distribution<double>(0, 1)(rng) < p ? 1 : 0);
    ++d.x.rows;
  }
  return d;
}

class ScorecardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = MakeWoeData();
    LEPTON_ASSERT_OK_AND_ASSIGN(model_, LogisticRegression::Create(Json{{"C", 100.0}}));
    ASSERT_OK(model_->Fit({&data_.x, data_.y, {}}, nullptr, {}));
  }
  WoeData data_;
  std::unique_ptr<LogisticRegression> model_;
};

TEST_F(ScorecardTest, RowPointsSumToTheScoreInBothForms) {
  for (bool distribute : {true, false}) {
    ScorecardScaling scaling;  // 600 at 50:1, 20 points to double
    scaling.distribute_intercept = distribute;
    LEPTON_ASSERT_OK_AND_ASSIGN(Scorecard card,
                                Scorecard::Build(*model_, data_.features, scaling));
    EXPECT_NEAR(card.factor(), 20 / std::log(2.0), 1e-12);
    EXPECT_NEAR(card.offset(), 600 - card.factor() * std::log(50.0), 1e-9);
    LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> points, card.Points(data_.x));
    LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> scores, card.Score(data_.x));
    LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> margins, model_->Margins(data_.x));
    for (size_t r = 0; r < 2000; ++r) {
      const double sum = card.base_points() + points[r * 3] + points[r * 3 + 1] + points[r * 3 + 2];
      EXPECT_NEAR(sum, scores[r], 1e-9);
      EXPECT_NEAR(scores[r], card.ScoreFromMargin(margins[r]), 1e-9);
      // Each feature's points equal its bin's points in the table.
      for (size_t j = 0; j < 3; ++j) {
        const float woe = data_.x.values[r * 3 + j];
        bool found = false;
        for (const ScorecardBin& bin : card.features()[j].bins) {
          if (static_cast<float>(bin.woe) == woe) {
            EXPECT_NEAR(points[r * 3 + j], bin.points, 1e-5);
            found = true;
          }
        }
        EXPECT_TRUE(found);
      }
    }
    EXPECT_EQ(card.base_points() == 0, distribute);
  }
}

TEST_F(ScorecardTest, DoublingTheGoodOddsAddsPdoPoints) {
  ScorecardScaling scaling;
  scaling.base_score = 600;
  scaling.base_odds = 50;
  scaling.pdo = 20;
  LEPTON_ASSERT_OK_AND_ASSIGN(Scorecard card, Scorecard::Build(*model_, data_.features, scaling));
  // Good:bad odds of 50 mean P(bad) = 1/51, margin = ln(1/50).
  EXPECT_NEAR(card.ScoreFromMargin(-std::log(50.0)), 600, 1e-9);
  EXPECT_NEAR(card.ScoreFromMargin(-std::log(100.0)), 620, 1e-9);
  EXPECT_NEAR(card.ScoreFromMargin(-std::log(25.0)), 580, 1e-9);
  // Riskier rows score lower; low-WOE bins get fewer points (coefficients are negative).
  EXPECT_LT(card.features()[2].coef, 0);
  EXPECT_LT(card.features()[2].bins[0].points, card.features()[2].bins[2].points);
  // With label 1 = good, the same margin means the opposite odds.
  scaling.positive_class_is_bad = false;
  LEPTON_ASSERT_OK_AND_ASSIGN(Scorecard flipped, Scorecard::Build(*model_, data_.features, scaling));
  EXPECT_NEAR(flipped.ScoreFromMargin(std::log(100.0)), 620, 1e-9);
  const Json table = card.ToJson();
  EXPECT_EQ(table["features"].size(), 3u);
  EXPECT_EQ(table["features"][1]["bins"].size(), 4u);
}

TEST_F(ScorecardTest, RejectsMismatchedFeatures) {
  std::vector<WoeFeature> missing(data_.features.begin(), data_.features.begin() + 2);
  EXPECT_THAT(Scorecard::Build(*model_, missing, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<WoeFeature> renamed = data_.features;
  renamed[1].name = "salary";
  EXPECT_THAT(Scorecard::Build(*model_, renamed, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("income")));
  ScorecardScaling bad;
  bad.base_odds = 0;
  EXPECT_THAT(Scorecard::Build(*model_, data_.features, bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
  LogisticRegression unfitted{LogisticOptions{}};
  EXPECT_THAT(Scorecard::Build(unfitted, data_.features, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace lepton::ml
