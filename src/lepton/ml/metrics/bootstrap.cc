#include "lepton/ml/metrics/bootstrap.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <optional>
#include <random>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/metrics/binary.h"
#include "lepton/ml/metrics/internal/inputs.h"

namespace lepton::ml {

namespace {

constexpr int kMinResamples = 10;
constexpr int kMaxResamples = 100000;
// Fewer defined resamples than this give no usable interval (only possible unstratified).
constexpr int kMinDefinedResamples = 10;

enum Metric : size_t {
  kAuc,
  kGini,
  kKs,
  kLogLoss,
  kBrier,
  kAveragePrecision,
  kAccuracy,
  kPrecision,
  kRecall,
  kF1,
  kNumMetrics,
};

constexpr std::array<std::string_view, kNumMetrics> kNames = {
    "auc",      "gini",      "ks",     "log_loss", "brier", "average_precision",
    "accuracy", "precision", "recall", "f1"};

// A uniform index in [0, range), range >= 1. Values of `rng` below 2^64 mod `range` are
// rejected so that the rest is a whole number of copies of [0, range) and `x % range` is
// unbiased. Unlike `std::uniform_int_distribution` this is the same on every platform.
class IndexDrawer {
 public:
  explicit IndexDrawer(uint64_t range)
      : range_(range), reject_below_((uint64_t{0} - range) % range) {}
  uint64_t Draw(std::mt19937_64& rng) const {
    uint64_t x = rng();
    while (x < reject_below_) x = rng();
    return x % range_;
  }

 private:
  uint64_t range_;
  uint64_t reject_below_;
};

// The rows in order of descending score (ties in row order, as binary.h sorts them), so that
// each resample walks them once instead of sorting again.
struct SortedRows {
  std::vector<double> labels;
  std::vector<double> scores;
  std::vector<char> group_end;   // row k is the last of its distinct score
  std::vector<size_t> position;  // position[i]: where original row i went
};

SortedRows SortRows(std::span<const double> labels, std::span<const double> scores) {
  const size_t n = labels.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  SortedRows s;
  s.labels.resize(n);
  s.scores.resize(n);
  s.group_end.resize(n);
  s.position.resize(n);
  for (size_t k = 0; k < n; ++k) {
    s.labels[k] = labels[order[k]];
    s.scores[k] = scores[order[k]];
    s.position[order[k]] = k;
  }
  for (size_t k = 0; k < n; ++k) s.group_end[k] = k + 1 == n || s.scores[k + 1] != s.scores[k];
  return s;
}

struct RankingValues {
  std::optional<double> auc;
  std::optional<double> ks;
  std::optional<double> average_precision;
};

// AUC, KS and average precision of the rows weighted by `weights` (in sorted order), in one
// pass. binary.h would sort the rows again on every call, which dominates 1000 resamples, so
// this walks the pre-sorted rows instead, with binary.h's formulas in binary.h's operation order
// (its `BuildCurve` and `AucOf`, `KsStatistic`, `AveragePrecision`): a point closes at the end
// of each distinct score holding weight. The tests check that it agrees with the binary.h
// functions called with the same weights.
RankingValues RankingMetrics(const SortedRows& s, std::span<const double> weights, double positives,
                             double negatives) {
  double tp = 0, fp = 0, group_weight = 0;
  double area = 0, prev_tp = 0, prev_fp = 0;
  double ks = 0;
  double ap = 0, prev_recall = 0;
  const bool both = positives > 0 && negatives > 0;
  for (size_t k = 0; k < weights.size(); ++k) {
    const double w = weights[k];
    if (w != 0) {
      if (s.labels[k] == 1.0)
        tp += w;
      else
        fp += w;
      group_weight += w;
    }
    if (!s.group_end[k] || group_weight == 0) continue;
    group_weight = 0;
    area += (fp - prev_fp) * (tp + prev_tp) / 2;
    prev_tp = tp;
    prev_fp = fp;
    if (both) ks = std::max(ks, std::fabs(tp / positives - fp / negatives));
    if (positives > 0) {
      const double recall = tp / positives;
      ap += (recall - prev_recall) * (tp / (tp + fp));
      prev_recall = recall;
    }
  }
  RankingValues v;
  if (both) {
    v.auc = area / (positives * negatives);
    v.ks = ks;
  }
  if (positives > 0) v.average_precision = ap;
  return v;
}

// Appends the value of each wanted metric on the resample `weights` (how many times each row of
// `s` was drawn) to `values`, leaving out the metrics that are undefined on it.
absl::Status EvaluateResample(const SortedRows& s, std::span<const double> weights,
                              const std::array<bool, kNumMetrics>& wanted, double threshold,
                              std::array<std::vector<double>, kNumMetrics>& values) {
  double positives = 0, negatives = 0;
  for (size_t k = 0; k < weights.size(); ++k) {
    if (s.labels[k] == 1.0)
      positives += weights[k];
    else
      negatives += weights[k];
  }
  if (wanted[kAuc] || wanted[kGini] || wanted[kKs] || wanted[kAveragePrecision]) {
    const RankingValues v = RankingMetrics(s, weights, positives, negatives);
    if (v.auc.has_value()) {
      if (wanted[kAuc]) values[kAuc].push_back(*v.auc);
      if (wanted[kGini]) values[kGini].push_back(2 * *v.auc - 1);  // as binary.h's `Gini`
      if (wanted[kKs]) values[kKs].push_back(*v.ks);
    }
    if (wanted[kAveragePrecision] && v.average_precision.has_value()) {
      values[kAveragePrecision].push_back(*v.average_precision);
    }
  }
  if (wanted[kLogLoss]) {
    LEPTON_ASSIGN_OR_RETURN(const double v, LogLoss(s.labels, s.scores, weights));
    values[kLogLoss].push_back(v);
  }
  if (wanted[kBrier]) {
    LEPTON_ASSIGN_OR_RETURN(const double v, BrierScore(s.labels, s.scores, weights));
    values[kBrier].push_back(v);
  }
  if (wanted[kAccuracy] || wanted[kPrecision] || wanted[kRecall] || wanted[kF1]) {
    LEPTON_ASSIGN_OR_RETURN(const ThresholdMetrics t,
                            MetricsAtThreshold(s.labels, s.scores, threshold, weights));
    if (wanted[kAccuracy]) values[kAccuracy].push_back(t.accuracy);
    if (wanted[kPrecision]) values[kPrecision].push_back(t.precision);
    if (wanted[kRecall]) values[kRecall].push_back(t.recall);
    if (wanted[kF1]) values[kF1].push_back(t.f1);
  }
  return absl::OkStatus();
}

// numpy's `quantile(sorted, q)` with the default linear method.
double Quantile(const std::vector<double>& sorted, double q) {
  const double h = static_cast<double>(sorted.size() - 1) * q;
  const size_t lo = static_cast<size_t>(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted.back();
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

absl::Status CheckOptions(const BootstrapOptions& o) {
  if (o.resamples < kMinResamples || o.resamples > kMaxResamples) {
    return absl::InvalidArgumentError(StrCat("bootstrap: resamples ", o.resamples, " must be in [",
                                             kMinResamples, ", ", kMaxResamples, "]"));
  }
  if (!(o.confidence > 0 && o.confidence < 1)) {
    return absl::InvalidArgumentError(
        StrCat("bootstrap: confidence ", o.confidence, " must be in (0, 1)"));
  }
  if (std::isnan(o.threshold)) return absl::InvalidArgumentError("bootstrap: threshold is NaN");
  return absl::OkStatus();
}

absl::StatusOr<std::array<bool, kNumMetrics>> ParseMetrics(
    const std::vector<std::string>& metrics) {
  std::array<bool, kNumMetrics> wanted{};
  const std::string valid = StrCat("valid metrics: ", StrJoin(kNames, ", "));
  if (metrics.empty()) {
    return absl::InvalidArgumentError(StrCat("bootstrap: no metrics requested (", valid, ")"));
  }
  for (const std::string& name : metrics) {
    const auto it = std::find(kNames.begin(), kNames.end(), name);
    if (it == kNames.end()) {
      return absl::InvalidArgumentError(
          StrCat("bootstrap: unknown metric \"", name, "\" (", valid, ")"));
    }
    wanted[static_cast<size_t>(it - kNames.begin())] = true;
  }
  return wanted;
}

// The metrics of binary.h on the original rows.
absl::StatusOr<std::array<double, kNumMetrics>> Estimates(
    std::span<const double> labels, std::span<const double> scores,
    const std::array<bool, kNumMetrics>& wanted, double threshold) {
  std::array<double, kNumMetrics> e{};
  if (wanted[kAuc]) {
    LEPTON_ASSIGN_OR_RETURN(e[kAuc], RocAuc(labels, scores));
  }
  if (wanted[kGini]) {
    LEPTON_ASSIGN_OR_RETURN(e[kGini], Gini(labels, scores));
  }
  if (wanted[kKs]) {
    LEPTON_ASSIGN_OR_RETURN(const KsResult ks, KsStatistic(labels, scores));
    e[kKs] = ks.ks;
  }
  if (wanted[kLogLoss]) {
    LEPTON_ASSIGN_OR_RETURN(e[kLogLoss], LogLoss(labels, scores));
  }
  if (wanted[kBrier]) {
    LEPTON_ASSIGN_OR_RETURN(e[kBrier], BrierScore(labels, scores));
  }
  if (wanted[kAveragePrecision]) {
    LEPTON_ASSIGN_OR_RETURN(e[kAveragePrecision], AveragePrecision(labels, scores));
  }
  if (wanted[kAccuracy] || wanted[kPrecision] || wanted[kRecall] || wanted[kF1]) {
    LEPTON_ASSIGN_OR_RETURN(const ThresholdMetrics t,
                            MetricsAtThreshold(labels, scores, threshold));
    e[kAccuracy] = t.accuracy;
    e[kPrecision] = t.precision;
    e[kRecall] = t.recall;
    e[kF1] = t.f1;
  }
  return e;
}

}  // namespace

Json MetricInterval::ToJson() const {
  return Json{{"estimate", estimate},   {"lower", lower},         {"upper", upper},
              {"std_error", std_error}, {"resamples", resamples}, {"confidence", confidence}};
}

const std::vector<std::string>& BootstrapMetricNames() {
  static const auto* names = new std::vector<std::string>(kNames.begin(), kNames.end());
  return *names;
}

Json BootstrapToJson(const std::map<std::string, MetricInterval>& intervals) {
  Json out = Json::object();
  for (const auto& [name, interval] : intervals) out[name] = interval.ToJson();
  return out;
}

absl::StatusOr<std::map<std::string, MetricInterval>> BootstrapBinary(
    std::span<const double> labels, std::span<const double> scores,
    const std::vector<std::string>& metrics, const BootstrapOptions& options) {
  LEPTON_ASSIGN_OR_RETURN(const auto wanted, ParseMetrics(metrics));
  LEPTON_RETURN_IF_ERROR(CheckOptions(options));
  LEPTON_RETURN_IF_ERROR(internal::CheckLengths("bootstrap", labels, scores, {}));
  LEPTON_RETURN_IF_ERROR(internal::CheckBinaryLabels("bootstrap", labels));
  const size_t n = labels.size();
  const size_t all_positives = static_cast<size_t>(std::count(labels.begin(), labels.end(), 1.0));
  if (all_positives == 0 || all_positives == n) {
    return absl::InvalidArgumentError(StrCat("bootstrap: only one class is present (",
                                             all_positives == n ? "all" : "no",
                                             " rows are positive); bootstrap intervals need both"));
  }
  absl::StatusOr<std::array<double, kNumMetrics>> estimates =
      Estimates(labels, scores, wanted, options.threshold);
  if (!estimates.ok()) return Annotate(estimates.status(), "bootstrap");

  const SortedRows sorted = SortRows(labels, scores);
  // Rows to draw from, in row order, as positions in `sorted`: the positives and the negatives
  // (stratified), or every row.
  std::vector<std::vector<size_t>> pools;
  if (options.stratified) {
    pools.resize(2);
    for (size_t i = 0; i < n; ++i) pools[labels[i] == 1.0 ? 0 : 1].push_back(sorted.position[i]);
  } else {
    pools.emplace_back(sorted.position.begin(), sorted.position.end());
  }
  std::vector<IndexDrawer> drawers;
  for (const auto& pool : pools) drawers.emplace_back(pool.size());

  std::mt19937_64 rng(options.seed);
  std::array<std::vector<double>, kNumMetrics> values;
  for (size_t m = 0; m < kNumMetrics; ++m) {
    if (wanted[m]) values[m].reserve(static_cast<size_t>(options.resamples));
  }
  // `weights[k]`: how many times the row at sorted position k was drawn.
  std::vector<double> weights(n);
  for (int r = 0; r < options.resamples; ++r) {
    std::fill(weights.begin(), weights.end(), 0.0);
    for (size_t p = 0; p < pools.size(); ++p) {
      for (size_t d = 0; d < pools[p].size(); ++d) weights[pools[p][drawers[p].Draw(rng)]] += 1;
    }
    LEPTON_RETURN_IF_ERROR(EvaluateResample(sorted, weights, wanted, options.threshold, values));
  }

  std::map<std::string, MetricInterval> out;
  for (size_t m = 0; m < kNumMetrics; ++m) {
    if (!wanted[m]) continue;
    std::vector<double>& v = values[m];
    if (v.size() < static_cast<size_t>(kMinDefinedResamples)) {
      return absl::InvalidArgumentError(StrCat(
          "bootstrap: ", kNames[m], " is defined in only ", v.size(), " of ", options.resamples,
          " resamples (the others drew a single class); use stratified resampling"));
    }
    std::sort(v.begin(), v.end());
    // Deviations from the smallest value, so that a constant metric has a standard error of
    // exactly 0 (and the sums lose less precision).
    const double size = static_cast<double>(v.size()), shift = v.front();
    double sum = 0;
    for (double x : v) sum += x - shift;
    const double mean = sum / size;
    double squares = 0;
    for (double x : v) squares += (x - shift - mean) * (x - shift - mean);
    MetricInterval& interval = out[std::string(kNames[m])];
    interval.estimate = (*estimates)[m];
    interval.lower = Quantile(v, (1 - options.confidence) / 2);
    interval.upper = Quantile(v, (1 + options.confidence) / 2);
    interval.std_error = std::sqrt(squares / (size - 1));
    interval.resamples = static_cast<int>(v.size());
    interval.confidence = options.confidence;
  }
  return out;
}

absl::StatusOr<std::optional<double>> ResampledMetricForTest(std::span<const double> labels,
                                                             std::span<const double> scores,
                                                             std::span<const double> weights,
                                                             std::string_view metric,
                                                             double threshold) {
  LEPTON_ASSIGN_OR_RETURN(const auto wanted, ParseMetrics({std::string(metric)}));
  LEPTON_RETURN_IF_ERROR(internal::CheckLengths("bootstrap", labels, scores, weights));
  LEPTON_RETURN_IF_ERROR(internal::CheckBinaryLabels("bootstrap", labels));
  if (weights.size() != labels.size()) {
    return absl::InvalidArgumentError("bootstrap: one weight per row is required");
  }
  const SortedRows sorted = SortRows(labels, scores);
  std::vector<double> sorted_weights(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) sorted_weights[sorted.position[i]] = weights[i];
  std::array<std::vector<double>, kNumMetrics> values;
  LEPTON_RETURN_IF_ERROR(EvaluateResample(sorted, sorted_weights, wanted, threshold, values));
  for (size_t m = 0; m < kNumMetrics; ++m) {
    if (wanted[m]) return values[m].empty() ? std::nullopt : std::optional<double>(values[m][0]);
  }
  return absl::InternalError("bootstrap: no metric parsed");
}

}  // namespace lepton::ml
