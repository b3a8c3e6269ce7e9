#include "lepton/ml/metrics/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/ml/metrics/binary.h"

namespace lepton::ml {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// A uniform double in (0, 1) and standard normals (Box-Muller), written out rather than taken
// from <random>'s distributions so that the data sets are the same on every platform.
double Uniform(std::mt19937_64& rng) {
  return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
}
double Normal(std::mt19937_64& rng) {
  const double u1 = Uniform(rng), u2 = Uniform(rng);
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
}

struct Data {
  std::vector<double> labels;
  std::vector<double> probs;
};

// Binormal data: scores ~ N(shift, 1) for positives and N(0, 1) for negatives, so the true AUC
// is Phi(shift / sqrt(2)); reported as probabilities through a logistic (the order, and so the
// AUC, is unchanged). Rows alternate between the classes while both have rows left.
// `decimals` > 0 rounds the probabilities, to create ties.
Data Binormal(int positives, int negatives, double shift, uint64_t seed, int decimals = 0) {
  std::mt19937_64 rng(seed);
  Data d;
  int pos_left = positives, neg_left = negatives;
  while (pos_left + neg_left > 0) {
    const bool positive = pos_left > 0 && (neg_left == 0 || d.labels.size() % 2 == 0);
    (positive ? pos_left : neg_left)--;
    const double score = Normal(rng) + (positive ? shift : 0);
    double p = 1 / (1 + std::exp(-(score - shift / 2)));
    if (decimals > 0) {
      const double scale = std::pow(10.0, decimals);
      p = std::round(p * scale) / scale;
    }
    d.labels.push_back(positive ? 1 : 0);
    d.probs.push_back(p);
  }
  return d;
}

const std::vector<std::string>& AllMetrics() { return BootstrapMetricNames(); }

TEST(BootstrapBinaryTest, MetricNamesAreTheDocumentedOnes) {
  EXPECT_EQ(BootstrapMetricNames(),
            (std::vector<std::string>{"auc", "gini", "ks", "log_loss", "brier", "average_precision",
                                      "accuracy", "precision", "recall", "f1"}));
}

TEST(BootstrapBinaryTest, SameSeedGivesSameIntervalsAndAnotherSeedDifferent) {
  const Data d = Binormal(120, 180, 1.0, 7);
  BootstrapOptions options;
  options.resamples = 200;
  options.seed = 123;
  LEPTON_ASSERT_OK_AND_ASSIGN(auto a, BootstrapBinary(d.labels, d.probs, AllMetrics(), options));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto b, BootstrapBinary(d.labels, d.probs, AllMetrics(), options));
  options.seed = 124;
  LEPTON_ASSERT_OK_AND_ASSIGN(auto c, BootstrapBinary(d.labels, d.probs, AllMetrics(), options));
  ASSERT_EQ(a.size(), AllMetrics().size());
  for (const std::string& m : AllMetrics()) {
    SCOPED_TRACE(m);
    EXPECT_EQ(a[m].estimate, b[m].estimate);
    EXPECT_EQ(a[m].lower, b[m].lower);
    EXPECT_EQ(a[m].upper, b[m].upper);
    EXPECT_EQ(a[m].std_error, b[m].std_error);
    EXPECT_EQ(a[m].resamples, b[m].resamples);
    // Another seed: the same estimate, other resamples.
    EXPECT_EQ(a[m].estimate, c[m].estimate);
    EXPECT_NE(a[m].std_error, c[m].std_error);
  }
}

TEST(BootstrapBinaryTest, IntervalsContainTheirEstimates) {
  const Data d = Binormal(150, 250, 1.2, 11);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto r, BootstrapBinary(d.labels, d.probs, AllMetrics(), {}));
  ASSERT_EQ(r.size(), AllMetrics().size());
  for (const auto& [name, m] : r) {
    SCOPED_TRACE(name);
    EXPECT_LE(m.lower, m.estimate);
    EXPECT_LE(m.estimate, m.upper);
    EXPECT_LT(m.lower, m.upper);
    EXPECT_GT(m.std_error, 0);
    EXPECT_EQ(m.resamples, 1000);
    EXPECT_EQ(m.confidence, 0.95);
  }
}

TEST(BootstrapBinaryTest, HigherConfidenceGivesWiderInterval) {
  const Data d = Binormal(100, 100, 1.0, 3);
  BootstrapOptions options;
  options.confidence = 0.5;
  LEPTON_ASSERT_OK_AND_ASSIGN(auto narrow, BootstrapBinary(d.labels, d.probs, {"auc"}, options));
  options.confidence = 0.99;
  LEPTON_ASSERT_OK_AND_ASSIGN(auto wide, BootstrapBinary(d.labels, d.probs, {"auc"}, options));
  EXPECT_LT(wide["auc"].lower, narrow["auc"].lower);
  EXPECT_GT(wide["auc"].upper, narrow["auc"].upper);
  // The same seed draws the same resamples, whatever the confidence.
  EXPECT_EQ(wide["auc"].std_error, narrow["auc"].std_error);
}

TEST(BootstrapBinaryTest, EstimatesAreTheBinaryMetricsExactly) {
  const Data d = Binormal(90, 110, 0.8, 5, /*decimals=*/2);
  BootstrapOptions options;
  options.resamples = 50;
  options.threshold = 0.4;
  LEPTON_ASSERT_OK_AND_ASSIGN(auto r, BootstrapBinary(d.labels, d.probs, AllMetrics(), options));
  LEPTON_ASSERT_OK_AND_ASSIGN(const double auc, RocAuc(d.labels, d.probs));
  LEPTON_ASSERT_OK_AND_ASSIGN(const double gini, Gini(d.labels, d.probs));
  LEPTON_ASSERT_OK_AND_ASSIGN(const KsResult ks, KsStatistic(d.labels, d.probs));
  LEPTON_ASSERT_OK_AND_ASSIGN(const double log_loss, LogLoss(d.labels, d.probs));
  LEPTON_ASSERT_OK_AND_ASSIGN(const double brier, BrierScore(d.labels, d.probs));
  LEPTON_ASSERT_OK_AND_ASSIGN(const double ap, AveragePrecision(d.labels, d.probs));
  LEPTON_ASSERT_OK_AND_ASSIGN(const ThresholdMetrics t, MetricsAtThreshold(d.labels, d.probs, 0.4));
  EXPECT_EQ(r["auc"].estimate, auc);
  EXPECT_EQ(r["gini"].estimate, gini);
  EXPECT_EQ(r["ks"].estimate, ks.ks);
  EXPECT_EQ(r["log_loss"].estimate, log_loss);
  EXPECT_EQ(r["brier"].estimate, brier);
  EXPECT_EQ(r["average_precision"].estimate, ap);
  EXPECT_EQ(r["accuracy"].estimate, t.accuracy);
  EXPECT_EQ(r["precision"].estimate, t.precision);
  EXPECT_EQ(r["recall"].estimate, t.recall);
  EXPECT_EQ(r["f1"].estimate, t.f1);
}

// Each resample's value is the binary.h metric with the draw counts as weights. The ranking
// metrics walk pre-sorted rows instead of calling binary.h, so pin them to it exactly, with tied
// scores, rows drawn 0 times, and scores that rank better (AUC > 0.5) and worse than chance.
TEST(BootstrapBinaryTest, ResampleValuesAreTheWeightedBinaryMetrics) {
  const Data good = Binormal(60, 80, 1.0, 9, /*decimals=*/1);
  Data bad = good;
  for (double& p : bad.probs) p = 1 - p;
  std::mt19937_64 rng(17);
  for (int trial = 0; trial < 40; ++trial) {
    SCOPED_TRACE(trial);
    const Data& d = trial % 2 == 0 ? good : bad;
    std::vector<double> w(d.labels.size());
    for (double& x : w) x = static_cast<double>(rng() % 4);  // 0 to 3 draws
    LEPTON_ASSERT_OK_AND_ASSIGN(const double auc, RocAuc(d.labels, d.probs, w));
    LEPTON_ASSERT_OK_AND_ASSIGN(const double gini, Gini(d.labels, d.probs, w));
    LEPTON_ASSERT_OK_AND_ASSIGN(const KsResult ks, KsStatistic(d.labels, d.probs, w));
    LEPTON_ASSERT_OK_AND_ASSIGN(const double ap, AveragePrecision(d.labels, d.probs, w));
    LEPTON_ASSERT_OK_AND_ASSIGN(const double log_loss, LogLoss(d.labels, d.probs, w));
    LEPTON_ASSERT_OK_AND_ASSIGN(const double brier, BrierScore(d.labels, d.probs, w));
    LEPTON_ASSERT_OK_AND_ASSIGN(const ThresholdMetrics t,
                                MetricsAtThreshold(d.labels, d.probs, 0.6, w));
    auto value = [&](const char* metric) {
      absl::StatusOr<std::optional<double>> v =
          ResampledMetricForTest(d.labels, d.probs, w, metric, 0.6);
      EXPECT_TRUE(v.ok() && v->has_value()) << metric;
      return v.ok() && v->has_value() ? **v : std::numeric_limits<double>::quiet_NaN();
    };
    EXPECT_EQ(value("auc"), auc);
    EXPECT_EQ(value("gini"), gini);
    EXPECT_EQ(value("ks"), ks.ks);
    EXPECT_EQ(value("average_precision"), ap);
    // Summed in score order rather than row order.
    EXPECT_NEAR(value("log_loss"), log_loss, 1e-14);
    EXPECT_NEAR(value("brier"), brier, 1e-14);
    EXPECT_EQ(value("accuracy"), t.accuracy);
    EXPECT_EQ(value("precision"), t.precision);
    EXPECT_EQ(value("recall"), t.recall);
    EXPECT_EQ(value("f1"), t.f1);
  }
}

TEST(BootstrapBinaryTest, ResampleWithoutPositivesLeavesRankingMetricsUndefined) {
  const std::vector<double> labels = {1, 0, 1, 0, 0};
  const std::vector<double> probs = {0.9, 0.8, 0.7, 0.2, 0.1};
  const std::vector<double> no_positives = {0, 2, 0, 1, 2};
  for (const char* metric : {"auc", "gini", "ks", "average_precision"}) {
    LEPTON_ASSERT_OK_AND_ASSIGN(auto v,
                                ResampledMetricForTest(labels, probs, no_positives, metric));
    EXPECT_FALSE(v.has_value()) << metric;
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(auto accuracy,
                              ResampledMetricForTest(labels, probs, no_positives, "accuracy"));
  ASSERT_TRUE(accuracy.has_value());
  EXPECT_DOUBLE_EQ(*accuracy, 0.6);  // the row at 0.8, drawn twice, is a false positive
  // Without negatives AUC is undefined but average precision is 1 (as binary.h).
  const std::vector<double> no_negatives = {1, 0, 3, 0, 0};
  LEPTON_ASSERT_OK_AND_ASSIGN(auto auc, ResampledMetricForTest(labels, probs, no_negatives, "auc"));
  EXPECT_FALSE(auc.has_value());
  LEPTON_ASSERT_OK_AND_ASSIGN(
      auto ap, ResampledMetricForTest(labels, probs, no_negatives, "average_precision"));
  ASSERT_TRUE(ap.has_value());
  EXPECT_DOUBLE_EQ(*ap, 1.0);
}

// At threshold 0 every row is predicted positive, so precision is the resample's share of
// positives: constant when resampling keeps the class counts, varying otherwise.
TEST(BootstrapBinaryTest, StratifiedResamplesKeepTheClassCounts) {
  const Data d = Binormal(70, 130, 1.0, 13);
  BootstrapOptions options;
  options.resamples = 300;
  options.threshold = 0;
  LEPTON_ASSERT_OK_AND_ASSIGN(auto strat,
                              BootstrapBinary(d.labels, d.probs, {"precision"}, options));
  EXPECT_DOUBLE_EQ(strat["precision"].estimate, 0.35);
  EXPECT_EQ(strat["precision"].lower, strat["precision"].estimate);
  EXPECT_EQ(strat["precision"].upper, strat["precision"].estimate);
  EXPECT_EQ(strat["precision"].std_error, 0);

  options.stratified = false;
  LEPTON_ASSERT_OK_AND_ASSIGN(auto plain,
                              BootstrapBinary(d.labels, d.probs, {"precision"}, options));
  // Binomial(200, 0.35) / 200 has standard deviation 0.0337.
  EXPECT_NEAR(plain["precision"].std_error, 0.0337, 0.006);
  EXPECT_LT(plain["precision"].lower, 0.33);
  EXPECT_GT(plain["precision"].upper, 0.37);
}

// Unstratified, a resample of rare positives may hold none: it counts for the metrics defined
// on it (accuracy) and not for the others (AUC).
TEST(BootstrapBinaryTest, UnstratifiedCountsOnlyResamplesWhereTheMetricIsDefined) {
  const Data d = Binormal(2, 18, 1.0, 21);
  BootstrapOptions options;
  options.stratified = false;
  LEPTON_ASSERT_OK_AND_ASSIGN(auto r,
                              BootstrapBinary(d.labels, d.probs, {"auc", "accuracy"}, options));
  EXPECT_EQ(r["accuracy"].resamples, 1000);
  // P(no positive among 20 draws) = 0.9^20 = 0.12.
  EXPECT_GT(r["auc"].resamples, 820);
  EXPECT_LT(r["auc"].resamples, 940);
  EXPECT_EQ(r["auc"].ToJson()["resamples"].get<int>(), r["auc"].resamples);
}

TEST(BootstrapBinaryTest, TooFewDefinedResamplesIsAnError) {
  // Unstratified, two rows: half the resamples hold a single class.
  BootstrapOptions options;
  options.stratified = false;
  options.resamples = 10;
  EXPECT_THAT(BootstrapBinary({{0, 1}}, {{0.3, 0.6}}, {"auc"}, options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("auc is defined in only"), HasSubstr("stratified"))));
  options.stratified = true;
  LEPTON_ASSERT_OK_AND_ASSIGN(auto r, BootstrapBinary({{0, 1}}, {{0.3, 0.6}}, {"auc"}, options));
  EXPECT_EQ(r["auc"].lower, 1.0);
  EXPECT_EQ(r["auc"].upper, 1.0);
}

// numpy's `quantile(values, q)` (linear), computed independently of bootstrap.cc.
double NumpyQuantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double h = static_cast<double>(values.size() - 1) * q;
  const double lo = std::floor(h);
  const size_t i = static_cast<size_t>(lo);
  if (i + 1 >= values.size()) return values.back();
  return values[i] + (h - lo) * (values[i + 1] - values[i]);
}

// The resampling scheme written out plainly: for each resample and each pool (the positive then
// the negative rows in row order when stratified, else all rows), draw as many rows as the pool
// holds, each `pool[x % size]` for the next output `x` of `std::mt19937_64(seed)` that is not
// below 2^64 mod size; evaluate the binary.h metric with the draw counts as weights; then take
// numpy's linear quantiles and the sample standard deviation. This pins the exact resamples,
// and so the results on every platform.
TEST(BootstrapBinaryTest, MatchesAPlainReferenceResamplingLoop) {
  const Data d = Binormal(13, 19, 0.9, 77, /*decimals=*/2);
  const size_t n = d.labels.size();
  for (bool stratified : {true, false}) {
    SCOPED_TRACE(stratified);
    BootstrapOptions options;
    options.resamples = 60;
    options.confidence = 0.8;
    options.seed = 2024;
    options.stratified = stratified;
    LEPTON_ASSERT_OK_AND_ASSIGN(
        auto r, BootstrapBinary(d.labels, d.probs, {"auc", "brier", "f1"}, options));

    std::vector<std::vector<size_t>> pools(stratified ? 2 : 1);
    for (size_t i = 0; i < n; ++i) pools[stratified && d.labels[i] == 0 ? 1 : 0].push_back(i);
    std::mt19937_64 rng(options.seed);
    std::vector<double> auc, brier, f1;
    for (int b = 0; b < options.resamples; ++b) {
      std::vector<double> w(n, 0.0);
      for (const auto& pool : pools) {
        const uint64_t size = pool.size();
        const uint64_t reject_below = (uint64_t{0} - size) % size;
        for (size_t k = 0; k < pool.size(); ++k) {
          uint64_t x = rng();
          while (x < reject_below) x = rng();
          w[pool[x % size]] += 1;
        }
      }
      if (absl::StatusOr<double> a = RocAuc(d.labels, d.probs, w); a.ok()) auc.push_back(*a);
      LEPTON_ASSERT_OK_AND_ASSIGN(const double brier_value, BrierScore(d.labels, d.probs, w));
      brier.push_back(brier_value);
      LEPTON_ASSERT_OK_AND_ASSIGN(const ThresholdMetrics t,
                                  MetricsAtThreshold(d.labels, d.probs, 0.5, w));
      f1.push_back(t.f1);
    }
    if (stratified) {
      EXPECT_EQ(auc.size(), 60u);
    }
    for (const auto& [name, values] :
         std::map<std::string, std::vector<double>>{{"auc", auc}, {"brier", brier}, {"f1", f1}}) {
      SCOPED_TRACE(name);
      double mean = 0;
      for (double v : values) mean += v / static_cast<double>(values.size());
      double squares = 0;
      for (double v : values) squares += (v - mean) * (v - mean);
      const MetricInterval& m = r[name];
      EXPECT_EQ(m.resamples, static_cast<int>(values.size()));
      EXPECT_NEAR(m.lower, NumpyQuantile(values, 0.1), 1e-12);
      EXPECT_NEAR(m.upper, NumpyQuantile(values, 0.9), 1e-12);
      EXPECT_NEAR(m.std_error, std::sqrt(squares / static_cast<double>(values.size() - 1)), 1e-12);
    }
  }
}

// Hanley & McNeil (1982), Radiology 143:29-36, equation 2.
double HanleyMcNeilStdError(double auc, double positives, double negatives) {
  const double q1 = auc / (2 - auc), q2 = 2 * auc * auc / (1 + auc);
  return std::sqrt(
      (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) /
      (positives * negatives));
}

TEST(BootstrapBinaryTest, AucStdErrorAgreesWithHanleyMcNeil) {
  // Shift 1.19: true AUC Phi(1.19 / sqrt(2)) = 0.80. Several data sets, so that a systematic
  // error shows in the mean ratio even where one data set's ratio is within tolerance.
  double ratio_sum = 0;
  const std::vector<uint64_t> seeds = {31, 32, 33, 34, 35};
  for (uint64_t seed : seeds) {
    SCOPED_TRACE(seed);
    const Data d = Binormal(150, 150, 1.19, seed);
    LEPTON_ASSERT_OK_AND_ASSIGN(auto r, BootstrapBinary(d.labels, d.probs, {"auc"}, {}));
    const MetricInterval& auc = r["auc"];
    ASSERT_GT(auc.estimate, 0.73);
    ASSERT_LT(auc.estimate, 0.87);
    const double analytic = HanleyMcNeilStdError(auc.estimate, 150, 150);
    const double ratio = auc.std_error / analytic;
    EXPECT_NEAR(ratio, 1.0, 0.15) << "bootstrap " << auc.std_error << ", Hanley-McNeil "
                                  << analytic;
    ratio_sum += ratio;
    // Percentile interval of a near-normal statistic: about estimate +- 1.96 standard errors.
    EXPECT_NEAR(auc.upper - auc.lower, 2 * 1.96 * analytic, 0.2 * 2 * 1.96 * analytic);
  }
  EXPECT_NEAR(ratio_sum / static_cast<double>(seeds.size()), 1.0, 0.07);
}

TEST(BootstrapBinaryTest, AucIntervalCoversTheTrueAucAtAboutTheNominalRate) {
  const double true_auc = 0.5 * std::erfc(-0.5);  // Phi(1 / sqrt(2)) = 0.7602
  BootstrapOptions options;
  options.resamples = 300;
  constexpr int kDataSets = 200;
  int covered = 0;
  for (int s = 0; s < kDataSets; ++s) {
    const Data d = Binormal(100, 100, 1.0, 1000 + static_cast<uint64_t>(s));
    options.seed = static_cast<uint64_t>(s);
    LEPTON_ASSERT_OK_AND_ASSIGN(auto r, BootstrapBinary(d.labels, d.probs, {"auc"}, options));
    if (r["auc"].lower <= true_auc && true_auc <= r["auc"].upper) ++covered;
  }
  const double coverage = static_cast<double>(covered) / kDataSets;
  EXPECT_GE(coverage, 0.88);
  EXPECT_LE(coverage, 0.99);
}

TEST(BootstrapBinaryTest, ToJsonListsTheFields) {
  const MetricInterval m{.estimate = 0.8,
                         .lower = 0.75,
                         .upper = 0.85,
                         .std_error = 0.025,
                         .resamples = 1000,
                         .confidence = 0.95};
  const Json j = m.ToJson();
  EXPECT_EQ(j["estimate"].get<double>(), 0.8);
  EXPECT_EQ(j["lower"].get<double>(), 0.75);
  EXPECT_EQ(j["upper"].get<double>(), 0.85);
  EXPECT_EQ(j["std_error"].get<double>(), 0.025);
  EXPECT_EQ(j["resamples"].get<int>(), 1000);
  EXPECT_EQ(j["confidence"].get<double>(), 0.95);
  const Json all = BootstrapToJson({{"auc", m}});
  EXPECT_EQ(all["auc"], j);
}

TEST(BootstrapBinaryTest, UnknownOrMissingMetricNamesListTheValidOnes) {
  const std::vector<double> labels = {0, 1, 0, 1};
  const std::vector<double> probs = {0.1, 0.9, 0.4, 0.6};
  EXPECT_THAT(BootstrapBinary(labels, probs, {"auc", "roc"}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("unknown metric \"roc\""),
                             HasSubstr("auc, gini, ks, log_loss, brier, average_precision, "
                                       "accuracy, precision, recall, f1"))));
  EXPECT_THAT(BootstrapBinary(labels, probs, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("no metrics requested"), HasSubstr("valid metrics"))));
}

TEST(BootstrapBinaryTest, BadRowsAreInvalidArgument) {
  const std::vector<std::string> auc = {"auc"};
  EXPECT_THAT(BootstrapBinary({}, {}, auc, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bootstrap: no rows")));
  EXPECT_THAT(
      BootstrapBinary({{0, 1, 1}}, {{0.2, 0.3}}, auc, {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("3 labels but 2 predictions")));
  EXPECT_THAT(BootstrapBinary({{0, 2, 1}}, {{0.2, 0.3, 0.4}}, auc, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("label at row 1 is 2 (binary labels must be 0 or 1)")));
  EXPECT_THAT(
      BootstrapBinary({{0, 1}}, {{0.2, std::nan("")}}, auc, {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("prediction at row 1 is nan")));
  EXPECT_THAT(BootstrapBinary({{1, 1, 1}}, {{0.2, 0.3, 0.4}}, auc, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("only one class is present (all rows are positive)")));
  EXPECT_THAT(BootstrapBinary({{0, 0}}, {{0.2, 0.3}}, {"accuracy"}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("only one class is present (no rows are positive)")));
  // Scores outside [0, 1] are fine for ranking metrics but not for log loss.
  EXPECT_TRUE(BootstrapBinary({{0, 1}}, {{-3, 5}}, auc, {}).ok());
  EXPECT_THAT(BootstrapBinary({{0, 1}}, {{-3, 5}}, {"log_loss"}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("bootstrap: log loss: probability at row 0 is -3")));
}

TEST(BootstrapBinaryTest, BadOptionsAreInvalidArgument) {
  const std::vector<double> labels = {0, 1, 0, 1};
  const std::vector<double> probs = {0.1, 0.9, 0.4, 0.6};
  auto run = [&](const BootstrapOptions& o) { return BootstrapBinary(labels, probs, {"f1"}, o); };
  BootstrapOptions o;
  o.resamples = 9;
  EXPECT_THAT(run(o), StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("resamples 9 must be in [10, 100000]")));
  o.resamples = 100001;
  EXPECT_THAT(run(o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("resamples")));
  o = {};
  for (double c : {0.0, 1.0, -0.5, std::nan("")}) {
    o.confidence = c;
    EXPECT_THAT(run(o),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be in (0, 1)")))
        << c;
  }
  o = {};
  o.threshold = std::nan("");
  EXPECT_THAT(run(o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("threshold is NaN")));
}

TEST(BootstrapBinaryTest, ResampledMetricForTestChecksItsInput) {
  EXPECT_THAT(ResampledMetricForTest({{0, 1}}, {{0.2, 0.3}}, {}, "auc"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("one weight per row")));
  EXPECT_THAT(ResampledMetricForTest({{0, 1}}, {{0.2, 0.3}}, {{1, 1}}, "mse"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown metric")));
}

}  // namespace
}  // namespace lepton::ml
