// WOE binning and IV: hand-computed cases, German credit (IV of checking_status, monotonic bins
// for duration), and the JSON form of the bins.
#include "lepton/features/woe.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/features/testing/test_data.h"
#include "lepton/features/pipeline.h"

namespace lepton::features {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string_view> Views(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

TEST(WoeTest, CategoricalHandComputed) {
  // A: 3 non-events, 1 event; B: 1 non-event, 3 events. Shares 3/4 vs 1/4 and back:
  // WOE_A = ln 3, WOE_B = -ln 3, IV = 0.5 ln 3 + 0.5 ln 3 = ln 3.
  const std::vector<std::string> v = {"A", "A", "A", "A", "B", "B", "B", "B"};
  const std::vector<double> y = {0, 0, 0, 1, 0, 1, 1, 1};
  const std::vector<uint8_t> present(8, 1);
  WoeOptions o;
  o.min_bin_share = 0;
  LEPTON_ASSERT_OK_AND_ASSIGN(WoeBinning b, FitCategoricalWoe(Views(v), present, y, o));
  ASSERT_EQ(b.bins.size(), 2u);
  EXPECT_THAT(b.bins[0].categories, ElementsAre("A"));
  EXPECT_DOUBLE_EQ(b.bins[0].woe, std::log(3.0));
  EXPECT_DOUBLE_EQ(b.bins[1].woe, -std::log(3.0));
  EXPECT_DOUBLE_EQ(b.bins[0].event_rate, 0.25);
  EXPECT_DOUBLE_EQ(b.iv, std::log(3.0));
  EXPECT_EQ(b.events, 4);
  EXPECT_EQ(b.non_events, 4);
}

TEST(WoeTest, SmoothingOnlyForBinsWithAnEmptySide) {
  // A: 2 non-events 2 events; C: 2 non-events, 0 events -> adjusted 2.5 / 0.5.
  const std::vector<std::string> v = {"A", "A", "A", "A", "C", "C"};
  const std::vector<double> y = {0, 0, 1, 1, 0, 0};
  const std::vector<uint8_t> present(6, 1);
  WoeOptions o;
  o.min_bin_share = 0;
  LEPTON_ASSERT_OK_AND_ASSIGN(WoeBinning b, FitCategoricalWoe(Views(v), present, y, o));
  // Adjusted totals: non-events 4.5, events 2.5.
  EXPECT_DOUBLE_EQ(b.bins[0].woe, std::log((2 / 4.5) / (2 / 2.5)));
  EXPECT_DOUBLE_EQ(b.bins[1].woe, std::log((2.5 / 4.5) / (0.5 / 2.5)));
  EXPECT_TRUE(std::isfinite(b.iv));
}

TEST(WoeTest, RareCategoriesPoolAndMissingGetsItsBin) {
  const std::vector<std::string> v = {"A", "A", "A", "B", "B", "B", "r1", "r2", "", ""};
  const std::vector<uint8_t> present = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
  const std::vector<double> y = {0, 0, 1, 0, 1, 1, 0, 1, 0, 1};
  WoeOptions o;
  o.min_bin_share = 0.15;  // r1, r2 (10 % each) pool into "other"
  LEPTON_ASSERT_OK_AND_ASSIGN(WoeBinning b, FitCategoricalWoe(Views(v), present, y, o));
  ASSERT_EQ(b.bins.size(), 4u);
  EXPECT_EQ(b.bins[2].kind, WoeBinKind::kOther);
  EXPECT_THAT(b.bins[2].categories, ElementsAre("r1", "r2"));
  EXPECT_EQ(b.bins[2].count, 2);
  EXPECT_EQ(b.bins[3].kind, WoeBinKind::kMissing);
  EXPECT_EQ(b.bins[3].count, 2);
}

TEST(WoeTest, QuantileBinsHandComputed) {
  const std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, NAN};
  const std::vector<double> y = {0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1};
  WoeOptions o;
  o.method = WoeBinningMethod::kQuantile;
  o.bins = 2;
  LEPTON_ASSERT_OK_AND_ASSIGN(WoeBinning b, FitNumericWoe(x, y, o));
  ASSERT_EQ(b.bins.size(), 3u);  // (-inf, 5.5], (5.5, inf), missing
  EXPECT_EQ(b.bins[0].upper, 5.5);
  EXPECT_EQ(b.bins[1].lower, 5.5);
  EXPECT_TRUE(std::isinf(b.bins[1].upper));
  EXPECT_EQ(b.bins[0].count, 5);
  EXPECT_EQ(b.bins[0].events, 1);
  EXPECT_EQ(b.bins[1].events, 4);
  EXPECT_EQ(b.bins[2].kind, WoeBinKind::kMissing);
  // Missing bin: 0 non-events, 1 event -> smoothed 0.5 / 1.5; totals 5.5 non-events, 6.5 events.
  EXPECT_DOUBLE_EQ(b.bins[0].woe, std::log((4 / 5.5) / (1 / 6.5)));
  EXPECT_DOUBLE_EQ(b.bins[2].woe, std::log((0.5 / 5.5) / (1.5 / 6.5)));
  EXPECT_TRUE(b.monotonic);
}

TEST(WoeTest, BadTargetsAreInvalidArgument) {
  const std::vector<double> x = {1, 2};
  EXPECT_THAT(FitNumericWoe(x, std::vector<double>{0, 0}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("both events")));
  EXPECT_THAT(FitNumericWoe(x, std::vector<double>{0, 2}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not 0 or 1")));
  EXPECT_THAT(FitNumericWoe(x, std::vector<double>{0}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

class GermanCreditTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto b = testdata::ReadCsv(testdata::SharedData("credit/german_credit.csv"));
    LEPTON_CHECK(b.ok());
    rows_ = new lake::RecordBatch(*std::move(b));
    target_ = new std::vector<double>();
    const lake::Column& cls = rows_->column(static_cast<size_t>(rows_->schema().Find("class")));
    for (int64_t i = 0; i < cls.size(); ++i) target_->push_back(cls.StringAt(i) == "bad");
  }
  static lake::RecordBatch* rows_;
  static std::vector<double>* target_;
};
lake::RecordBatch* GermanCreditTest::rows_ = nullptr;
std::vector<double>* GermanCreditTest::target_ = nullptr;

TEST_F(GermanCreditTest, CheckingStatusIvMatchesIndependentCountAndIsStrongest) {
  ASSERT_EQ(rows_->num_rows(), 1000);
  // Independent IV from plain counts (no smoothing needed: every category has both classes).
  const lake::Column& cs =
      rows_->column(static_cast<size_t>(rows_->schema().Find("checking_status")));
  std::map<std::string, std::pair<double, double>> counts;  // good, bad
  for (int64_t i = 0; i < cs.size(); ++i) {
    auto& c = counts[std::string(cs.StringAt(i))];
    ((*target_)[static_cast<size_t>(i)] == 1 ? c.second : c.first) += 1;
  }
  ASSERT_EQ(counts.size(), 4u);
  double expected_iv = 0;
  for (const auto& [k, c] : counts) {
    const double g = c.first / 700;
    const double b = c.second / 300;
    expected_iv += (g - b) * std::log(g / b);
  }
  EXPECT_NEAR(expected_iv, 0.6660115033513336, 1e-12);  // python3, same formula

  // All string columns through woe; IV report sorted, checking_status first.
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p, Pipeline::Create(*ParseJson(
                      R"({"auto":{"exclude":["class"],"string":[{"type":"woe"}]}})")));
  ASSERT_OK(p.Fit(*rows_, *target_));
  const Json report = p.Report();
  ASSERT_GE(report["iv"].size(), 10u);
  EXPECT_EQ(report["iv"][0]["column"], "checking_status");
  EXPECT_NEAR(report["iv"][0]["iv"].get<double>(), expected_iv, 1e-12);
  const auto woe = p.WoeBinnings();
  const auto it = std::find_if(woe.begin(), woe.end(),
                               [](const WoeFeature& f) { return f.column == "checking_status"; });
  ASSERT_NE(it, woe.end());
  EXPECT_EQ(it->output_column, "checking_status:woe");
  ASSERT_EQ(it->binning.bins.size(), 4u);
  // Lexical order: "0<=X<200", "<0", ">=200", "no checking".
  EXPECT_THAT(it->binning.bins[1].categories, ElementsAre("<0"));
  EXPECT_EQ(it->binning.bins[1].non_events, 139);
  EXPECT_EQ(it->binning.bins[1].events, 135);
  EXPECT_DOUBLE_EQ(it->binning.bins[3].woe, std::log((348.0 / 700) / (46.0 / 300)));
}

TEST_F(GermanCreditTest, DurationGetsMonotonicBinsWithMinimumShare) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p, Pipeline::Create(*ParseJson(R"({"columns":[{"name":"duration","steps":[
                      {"type":"woe","binning":"monotonic","min_bin_share":0.05}]}]})")));
  ASSERT_OK(p.Fit(*rows_, *target_));
  const std::vector<WoeFeature> features = p.WoeBinnings();
  const WoeBinning& b = features.at(0).binning;
  ASSERT_GE(b.bins.size(), 3u);
  EXPECT_LE(b.bins.size(), 8u);
  EXPECT_TRUE(b.monotonic);
  int64_t total = 0;
  for (size_t i = 0; i < b.bins.size(); ++i) {
    const WoeBin& bin = b.bins[i];
    EXPECT_EQ(bin.kind, WoeBinKind::kRange);
    EXPECT_GE(bin.count, 50) << i;
    EXPECT_GE(bin.events, 1);
    EXPECT_GE(bin.non_events, 1);
    if (i > 0) {
      EXPECT_EQ(bin.lower, b.bins[i - 1].upper);
      // Longer loans are riskier: the event rate rises, the WOE falls, strictly.
      EXPECT_LT(bin.woe, b.bins[i - 1].woe);
    }
    total += bin.count;
  }
  EXPECT_EQ(total, 1000);
  EXPECT_GT(b.iv, 0.15);  // duration is a medium-strength predictor (IV about 0.2)
  // The transform gives each row its bin's WOE.
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix m, p.Transform(*rows_));
  const lake::Column& d = rows_->column(static_cast<size_t>(rows_->schema().Find("duration")));
  for (int64_t r = 0; r < m.rows; ++r) {
    const double x = testdata::NumberAt(d, r);
    const auto bin = std::find_if(b.bins.begin(), b.bins.end(), [&](const WoeBin& w) {
      return x > w.lower && x <= w.upper;
    });
    ASSERT_NE(bin, b.bins.end());
    ASSERT_EQ(m.At(r, 0), static_cast<float>(bin->woe)) << r;
  }
}

TEST_F(GermanCreditTest, BinningJsonRoundTripsExactly) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p, Pipeline::Create(*ParseJson(R"({"columns":[
                      {"name":"credit_amount","steps":[{"type":"woe","binning":"quantile"}]},
                      {"name":"purpose","steps":[{"type":"woe"}]}]})")));
  ASSERT_OK(p.Fit(*rows_, *target_));
  for (const WoeFeature& f : p.WoeBinnings()) {
    const std::string text = DumpJson(f.binning.ToJson());
    LEPTON_ASSERT_OK_AND_ASSIGN(Json parsed, ParseJson(text));
    LEPTON_ASSERT_OK_AND_ASSIGN(WoeBinning back, WoeBinning::FromJson(parsed, "b"));
    ASSERT_EQ(back.bins.size(), f.binning.bins.size());
    EXPECT_EQ(back.iv, f.binning.iv);
    for (size_t i = 0; i < back.bins.size(); ++i) {
      EXPECT_EQ(back.bins[i].woe, f.binning.bins[i].woe);
      EXPECT_EQ(back.bins[i].lower, f.binning.bins[i].lower);
      EXPECT_EQ(back.bins[i].upper, f.binning.bins[i].upper);
      EXPECT_EQ(back.bins[i].categories, f.binning.bins[i].categories);
      EXPECT_EQ(back.bins[i].count, f.binning.bins[i].count);
    }
  }
}

}  // namespace
}  // namespace lepton::features
