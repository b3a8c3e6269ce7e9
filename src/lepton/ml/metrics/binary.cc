#include "lepton/ml/metrics/binary.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/metrics/internal/inputs.h"

namespace lepton::ml {

namespace {

using internal::WeightAt;

constexpr double kInf = std::numeric_limits<double>::infinity();

absl::Status CheckBinary(std::string_view what, std::span<const double> labels,
                         std::span<const double> scores, std::span<const double> weights) {
  LEPTON_RETURN_IF_ERROR(internal::CheckLengths(what, labels, scores, weights));
  return internal::CheckBinaryLabels(what, labels);
}

// Cumulative (weighted) true and false positives at each distinct score, in order of
// descending score: predicting `score >= thresholds[i]` gives `tps[i]` and `fps[i]`. This is
// sklearn's `_binary_clf_curve`; rows of weight 0 are left out as there.
struct Curve {
  std::vector<double> thresholds;
  std::vector<double> tps;
  std::vector<double> fps;
  double positives = 0;
  double negatives = 0;
};

// Row indices sorted by descending score, ties in row order.
std::vector<size_t> DescendingOrder(std::span<const double> scores) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  return order;
}

Curve BuildCurve(std::span<const double> labels, std::span<const double> scores,
                 std::span<const double> weights) {
  Curve c;
  double tp = 0, fp = 0;
  const std::vector<size_t> order = DescendingOrder(scores);
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t i = order[k];
    const double w = WeightAt(weights, i);
    if (w == 0) continue;
    if (labels[i] == 1.0) tp += w;
    else fp += w;
    // Close the group at the last row of each distinct score (skipping zero-weight rows).
    size_t next = k + 1;
    while (next < order.size() && WeightAt(weights, order[next]) == 0) ++next;
    if (next == order.size() || scores[order[next]] != scores[i]) {
      c.thresholds.push_back(scores[i]);
      c.tps.push_back(tp);
      c.fps.push_back(fp);
    }
  }
  c.positives = tp;
  c.negatives = fp;
  return c;
}

absl::Status RequireBothClasses(std::string_view what, const Curve& c) {
  if (c.positives > 0 && c.negatives > 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      StrCat(what, ": only one class is present (", c.positives > 0 ? "all" : "no",
             " rows are positive); the metric is undefined"));
}

double AucOf(const Curve& c) {
  double area = 0, prev_tp = 0, prev_fp = 0;
  for (size_t i = 0; i < c.tps.size(); ++i) {
    area += (c.fps[i] - prev_fp) * (c.tps[i] + prev_tp) / 2;
    prev_tp = c.tps[i];
    prev_fp = c.fps[i];
  }
  return area / (c.positives * c.negatives);
}

ThresholdMetrics FromCounts(double threshold, double tp, double fp, double positives,
                            double negatives) {
  ThresholdMetrics m;
  m.threshold = threshold;
  const double fn = positives - tp, tn = negatives - fp;
  m.confusion = {.tn = tn, .fp = fp, .fn = fn, .tp = tp};
  const double total = positives + negatives;
  m.accuracy = (tp + tn) / total;
  m.precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  m.recall = positives > 0 ? tp / positives : 0;
  m.f1 = 2 * tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 0;
  m.false_positive_rate = negatives > 0 ? fp / negatives : 0;
  m.positive_rate = (tp + fp) / total;
  return m;
}

// `max_points` evenly spaced indices into `n` points, keeping the first and the last.
std::vector<size_t> ThinIndices(size_t n, int64_t max_points) {
  std::vector<size_t> out;
  if (n <= static_cast<size_t>(max_points)) {
    out.resize(n);
    std::iota(out.begin(), out.end(), size_t{0});
    return out;
  }
  const size_t m = static_cast<size_t>(max_points);
  for (size_t i = 0; i < m; ++i) {
    out.push_back(static_cast<size_t>(
        std::llround(static_cast<double>(i) * static_cast<double>(n - 1) / (m - 1))));
  }
  return out;
}

Json ThresholdJson(double t) { return std::isinf(t) ? Json(nullptr) : Json(t); }

// numpy's `percentile(sorted, q * 100)` with the default linear method, reproduced operation by
// operation so that bin edges (and so bin membership) agree with sklearn bit for bit.
double NumpyQuantile(const std::vector<double>& sorted, double q) {
  const size_t n = sorted.size();
  const double vi = static_cast<double>(n - 1) * q;
  if (vi >= static_cast<double>(n - 1)) return sorted.back();
  if (vi < 0) return sorted.front();
  const double lo = std::floor(vi);
  const double t = vi - lo;
  const double a = sorted[static_cast<size_t>(lo)], b = sorted[static_cast<size_t>(lo) + 1];
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

}  // namespace

Json ConfusionMatrix::ToJson() const {
  return Json{{"tn", tn}, {"fp", fp}, {"fn", fn}, {"tp", tp},
              {"matrix", Json::array({Json::array({tn, fp}), Json::array({fn, tp})})}};
}

Json ThresholdMetrics::ToJson() const {
  return Json{{"threshold", threshold},
              {"accuracy", accuracy},
              {"precision", precision},
              {"recall", recall},
              {"f1", f1},
              {"false_positive_rate", false_positive_rate},
              {"positive_rate", positive_rate},
              {"confusion_matrix", confusion.ToJson()}};
}

Json KsResult::ToJson() const { return Json{{"ks", ks}, {"threshold", ThresholdJson(threshold)}}; }

Json LiftTable::ToJson() const {
  Json groups = Json::array();
  for (const LiftRow& r : rows) {
    groups.push_back(Json{{"group", r.group},
                          {"count", r.count},
                          {"positives", r.positives},
                          {"min_score", r.min_score},
                          {"max_score", r.max_score},
                          {"response_rate", r.response_rate},
                          {"lift", r.lift},
                          {"cumulative_count", r.cumulative_count},
                          {"cumulative_positives", r.cumulative_positives},
                          {"cumulative_gain", r.cumulative_gain},
                          {"cumulative_lift", r.cumulative_lift}});
  }
  return Json{{"base_rate", base_rate}, {"groups", std::move(groups)}};
}

Json CalibrationTable::ToJson() const {
  Json out = Json::array();
  for (const CalibrationBin& b : bins) {
    out.push_back(Json{{"lower", b.lower},
                       {"upper", b.upper},
                       {"count", b.count},
                       {"mean_predicted", b.mean_predicted},
                       {"observed_rate", b.observed_rate}});
  }
  return Json{{"strategy", CalibrationStrategyName(strategy)}, {"bins", std::move(out)}};
}

Json RocCurve::ToJson() const {
  Json t = Json::array();
  for (double v : thresholds) t.push_back(ThresholdJson(v));
  return Json{{"threshold", std::move(t)}, {"fpr", fpr}, {"tpr", tpr},
              {"total_points", total_points}};
}

Json PrCurve::ToJson() const {
  Json t = Json::array();
  for (double v : thresholds) t.push_back(ThresholdJson(v));
  return Json{{"threshold", std::move(t)}, {"recall", recall}, {"precision", precision},
              {"total_points", total_points}};
}

Json BinaryReport::ToJson() const {
  return Json{{"rows", rows},
              {"positives", positives},
              {"base_rate", base_rate},
              {"auc", auc},
              {"gini", gini},
              {"ks", ks.ks},
              {"ks_threshold", ThresholdJson(ks.threshold)},
              {"log_loss", log_loss},
              {"brier", brier},
              {"average_precision", average_precision},
              {"at_threshold", at_threshold.ToJson()},
              {"best_f1", best_f1.ToJson()},
              {"lift", lift.ToJson()},
              {"calibration", calibration.ToJson()},
              {"roc_curve", roc.ToJson()},
              {"pr_curve", pr.ToJson()}};
}

std::string_view CalibrationStrategyName(CalibrationStrategy strategy) {
  return strategy == CalibrationStrategy::kQuantile ? "quantile" : "uniform";
}

absl::StatusOr<CalibrationStrategy> ParseCalibrationStrategy(std::string_view name) {
  if (name == "uniform") return CalibrationStrategy::kUniform;
  if (name == "quantile") return CalibrationStrategy::kQuantile;
  return absl::InvalidArgumentError(
      StrCat("unknown calibration strategy \"", name, "\" (expected uniform or quantile)"));
}

absl::StatusOr<double> RocAuc(std::span<const double> labels, std::span<const double> scores,
                              std::span<const double> weights) {
  LEPTON_RETURN_IF_ERROR(CheckBinary("roc auc", labels, scores, weights));
  const Curve c = BuildCurve(labels, scores, weights);
  LEPTON_RETURN_IF_ERROR(RequireBothClasses("roc auc", c));
  return AucOf(c);
}

absl::StatusOr<double> Gini(std::span<const double> labels, std::span<const double> scores,
                            std::span<const double> weights) {
  LEPTON_ASSIGN_OR_RETURN(double auc, RocAuc(labels, scores, weights));
  return 2 * auc - 1;
}

absl::StatusOr<KsResult> KsStatistic(std::span<const double> labels,
                                     std::span<const double> scores,
                                     std::span<const double> weights) {
  LEPTON_RETURN_IF_ERROR(CheckBinary("ks statistic", labels, scores, weights));
  const Curve c = BuildCurve(labels, scores, weights);
  LEPTON_RETURN_IF_ERROR(RequireBothClasses("ks statistic", c));
  KsResult best{.ks = 0, .threshold = kInf};
  for (size_t i = 0; i < c.tps.size(); ++i) {
    const double d = std::fabs(c.tps[i] / c.positives - c.fps[i] / c.negatives);
    if (d > best.ks) best = {.ks = d, .threshold = c.thresholds[i]};
  }
  return best;
}

absl::StatusOr<double> LogLoss(std::span<const double> labels, std::span<const double> probs,
                               std::span<const double> weights, double eps) {
  LEPTON_RETURN_IF_ERROR(CheckBinary("log loss", labels, probs, weights));
  LEPTON_RETURN_IF_ERROR(internal::CheckProbabilities("log loss", probs));
  if (!(eps >= 0 && eps < 0.5)) {
    return absl::InvalidArgumentError(StrCat("log loss: eps ", eps, " must be in [0, 0.5)"));
  }
  double loss = 0, total = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    // As sklearn: clip both columns [1 - p, p], then renormalise the row.
    const double p1 = std::clamp(probs[i], eps, 1 - eps);
    const double p0 = std::clamp(1 - probs[i], eps, 1 - eps);
    const double p = (labels[i] == 1.0 ? p1 : p0) / (p0 + p1);
    const double w = WeightAt(weights, i);
    loss -= w * std::log(p);
    total += w;
  }
  return loss / total;
}

absl::StatusOr<double> BrierScore(std::span<const double> labels, std::span<const double> probs,
                                  std::span<const double> weights) {
  LEPTON_RETURN_IF_ERROR(CheckBinary("brier score", labels, probs, weights));
  LEPTON_RETURN_IF_ERROR(internal::CheckProbabilities("brier score", probs));
  double sum = 0, total = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double w = WeightAt(weights, i);
    const double d = probs[i] - labels[i];
    sum += w * d * d;
    total += w;
  }
  return sum / total;
}

absl::StatusOr<double> AveragePrecision(std::span<const double> labels,
                                        std::span<const double> scores,
                                        std::span<const double> weights) {
  LEPTON_RETURN_IF_ERROR(CheckBinary("average precision", labels, scores, weights));
  const Curve c = BuildCurve(labels, scores, weights);
  if (!(c.positives > 0)) {
    return absl::InvalidArgumentError("average precision: no row is positive");
  }
  double ap = 0, prev_recall = 0;
  for (size_t i = 0; i < c.tps.size(); ++i) {
    const double recall = c.tps[i] / c.positives;
    const double precision = c.tps[i] / (c.tps[i] + c.fps[i]);
    ap += (recall - prev_recall) * precision;
    prev_recall = recall;
  }
  return ap;
}

absl::StatusOr<ThresholdMetrics> MetricsAtThreshold(std::span<const double> labels,
                                                    std::span<const double> scores,
                                                    double threshold,
                                                    std::span<const double> weights) {
  LEPTON_RETURN_IF_ERROR(CheckBinary("threshold metrics", labels, scores, weights));
  if (std::isnan(threshold)) {
    return absl::InvalidArgumentError("threshold metrics: threshold is NaN");
  }
  double tp = 0, fp = 0, positives = 0, negatives = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double w = WeightAt(weights, i);
    const bool predicted = scores[i] >= threshold;
    if (labels[i] == 1.0) {
      positives += w;
      if (predicted) tp += w;
    } else {
      negatives += w;
      if (predicted) fp += w;
    }
  }
  return FromCounts(threshold, tp, fp, positives, negatives);
}

absl::StatusOr<ThresholdMetrics> BestF1Threshold(std::span<const double> labels,
                                                 std::span<const double> scores,
                                                 std::span<const double> weights) {
  LEPTON_RETURN_IF_ERROR(CheckBinary("best f1 threshold", labels, scores, weights));
  const Curve c = BuildCurve(labels, scores, weights);
  if (!(c.positives > 0)) {
    return absl::InvalidArgumentError("best f1 threshold: no row is positive");
  }
  size_t best = 0;
  double best_f1 = -1;
  for (size_t i = 0; i < c.tps.size(); ++i) {
    const double fn = c.positives - c.tps[i];
    const double f1 = 2 * c.tps[i] / (2 * c.tps[i] + c.fps[i] + fn);
    if (f1 > best_f1) {
      best_f1 = f1;
      best = i;
    }
  }
  return FromCounts(c.thresholds[best], c.tps[best], c.fps[best], c.positives, c.negatives);
}

absl::StatusOr<LiftTable> LiftGain(std::span<const double> labels,
                                   std::span<const double> scores, int groups) {
  LEPTON_RETURN_IF_ERROR(CheckBinary("lift", labels, scores, {}));
  if (groups < 1 || labels.size() < static_cast<size_t>(groups)) {
    return absl::InvalidArgumentError(
        StrCat("lift: cannot cut ", labels.size(), " rows into ", groups, " groups"));
  }
  const std::vector<size_t> order = DescendingOrder(scores);
  const int64_t n = static_cast<int64_t>(labels.size());
  int64_t all_positives = 0;
  for (double y : labels) all_positives += y == 1.0 ? 1 : 0;
  LiftTable table;
  table.base_rate = static_cast<double>(all_positives) / static_cast<double>(n);
  int64_t start = 0, cum_count = 0, cum_pos = 0;
  for (int g = 0; g < groups; ++g) {
    const int64_t size = n / groups + (g < n % groups ? 1 : 0);
    LiftRow r;
    r.group = g + 1;
    r.count = size;
    r.max_score = scores[order[start]];
    r.min_score = scores[order[start + size - 1]];
    for (int64_t k = start; k < start + size; ++k) r.positives += labels[order[k]] == 1.0;
    start += size;
    cum_count += size;
    cum_pos += r.positives;
    r.cumulative_count = cum_count;
    r.cumulative_positives = cum_pos;
    r.response_rate = static_cast<double>(r.positives) / static_cast<double>(size);
    if (all_positives > 0) {
      r.lift = r.response_rate / table.base_rate;
      r.cumulative_gain = static_cast<double>(cum_pos) / static_cast<double>(all_positives);
      r.cumulative_lift =
          static_cast<double>(cum_pos) / static_cast<double>(cum_count) / table.base_rate;
    }
    table.rows.push_back(r);
  }
  return table;
}

absl::StatusOr<CalibrationTable> Calibration(std::span<const double> labels,
                                             std::span<const double> probs, int bins,
                                             CalibrationStrategy strategy) {
  LEPTON_RETURN_IF_ERROR(CheckBinary("calibration", labels, probs, {}));
  LEPTON_RETURN_IF_ERROR(internal::CheckProbabilities("calibration", probs));
  if (bins < 1) return absl::InvalidArgumentError(StrCat("calibration: ", bins, " bins"));
  // Edges as sklearn computes them: np.linspace(0, 1, bins + 1) or its percentiles of `probs`.
  std::vector<double> edges(bins + 1);
  std::vector<double> sorted;
  if (strategy == CalibrationStrategy::kQuantile) {
    sorted.assign(probs.begin(), probs.end());
    std::sort(sorted.begin(), sorted.end());
  }
  const double step = 1.0 / bins;
  for (int i = 0; i <= bins; ++i) {
    double q = i == bins ? 1.0 : static_cast<double>(i) * step;
    if (strategy == CalibrationStrategy::kQuantile) {
      q = q * 100 / 100;  // np.percentile(q * 100) divides by 100 again
      edges[i] = NumpyQuantile(sorted, q);
    } else {
      edges[i] = q;
    }
  }
  std::vector<double> sum_prob(bins, 0), sum_true(bins, 0);
  std::vector<int64_t> count(bins, 0);
  for (size_t i = 0; i < probs.size(); ++i) {
    // np.searchsorted(edges[1:-1], p, side="left"): the number of inner edges below p.
    const auto inner_begin = edges.begin() + 1, inner_end = edges.end() - 1;
    const int b = static_cast<int>(std::lower_bound(inner_begin, inner_end, probs[i]) - inner_begin);
    sum_prob[b] += probs[i];
    sum_true[b] += labels[i];
    ++count[b];
  }
  CalibrationTable table;
  table.strategy = strategy;
  for (int b = 0; b < bins; ++b) {
    if (count[b] == 0) continue;
    table.bins.push_back({.lower = edges[b],
                          .upper = edges[b + 1],
                          .count = count[b],
                          .mean_predicted = sum_prob[b] / static_cast<double>(count[b]),
                          .observed_rate = sum_true[b] / static_cast<double>(count[b])});
  }
  return table;
}

absl::StatusOr<RocCurve> RocCurvePoints(std::span<const double> labels,
                                        std::span<const double> scores,
                                        std::span<const double> weights, int64_t max_points) {
  LEPTON_RETURN_IF_ERROR(CheckBinary("roc curve", labels, scores, weights));
  if (max_points < 2) {
    return absl::InvalidArgumentError(StrCat("roc curve: max_points ", max_points, " < 2"));
  }
  const Curve c = BuildCurve(labels, scores, weights);
  LEPTON_RETURN_IF_ERROR(RequireBothClasses("roc curve", c));
  const size_t n = c.tps.size() + 1;
  RocCurve out;
  out.total_points = static_cast<int64_t>(n);
  for (size_t k : ThinIndices(n, max_points)) {
    out.thresholds.push_back(k == 0 ? kInf : c.thresholds[k - 1]);
    out.fpr.push_back(k == 0 ? 0.0 : c.fps[k - 1] / c.negatives);
    out.tpr.push_back(k == 0 ? 0.0 : c.tps[k - 1] / c.positives);
  }
  return out;
}

absl::StatusOr<PrCurve> PrCurvePoints(std::span<const double> labels,
                                      std::span<const double> scores,
                                      std::span<const double> weights, int64_t max_points) {
  LEPTON_RETURN_IF_ERROR(CheckBinary("pr curve", labels, scores, weights));
  if (max_points < 2) {
    return absl::InvalidArgumentError(StrCat("pr curve: max_points ", max_points, " < 2"));
  }
  const Curve c = BuildCurve(labels, scores, weights);
  if (!(c.positives > 0)) return absl::InvalidArgumentError("pr curve: no row is positive");
  const size_t n = c.tps.size() + 1;
  PrCurve out;
  out.total_points = static_cast<int64_t>(n);
  for (size_t k : ThinIndices(n, max_points)) {
    out.thresholds.push_back(k == 0 ? kInf : c.thresholds[k - 1]);
    out.recall.push_back(k == 0 ? 0.0 : c.tps[k - 1] / c.positives);
    out.precision.push_back(k == 0 ? 1.0 : c.tps[k - 1] / (c.tps[k - 1] + c.fps[k - 1]));
  }
  return out;
}

absl::StatusOr<BinaryReport> EvaluateBinary(std::span<const double> labels,
                                            std::span<const double> probs,
                                            std::span<const double> weights,
                                            const BinaryOptions& options) {
  BinaryReport r;
  r.rows = static_cast<int64_t>(labels.size());
  LEPTON_ASSIGN_OR_RETURN(r.auc, RocAuc(labels, probs, weights));
  r.gini = 2 * r.auc - 1;
  LEPTON_ASSIGN_OR_RETURN(r.ks, KsStatistic(labels, probs, weights));
  LEPTON_ASSIGN_OR_RETURN(r.log_loss, LogLoss(labels, probs, weights, options.log_loss_eps));
  LEPTON_ASSIGN_OR_RETURN(r.brier, BrierScore(labels, probs, weights));
  LEPTON_ASSIGN_OR_RETURN(r.average_precision, AveragePrecision(labels, probs, weights));
  LEPTON_ASSIGN_OR_RETURN(r.at_threshold,
                          MetricsAtThreshold(labels, probs, options.threshold, weights));
  LEPTON_ASSIGN_OR_RETURN(r.best_f1, BestF1Threshold(labels, probs, weights));
  LEPTON_ASSIGN_OR_RETURN(r.lift, LiftGain(labels, probs, options.lift_groups));
  LEPTON_ASSIGN_OR_RETURN(r.calibration, Calibration(labels, probs, options.calibration_bins,
                                                     options.calibration_strategy));
  LEPTON_ASSIGN_OR_RETURN(r.roc, RocCurvePoints(labels, probs, weights, options.max_curve_points));
  LEPTON_ASSIGN_OR_RETURN(r.pr, PrCurvePoints(labels, probs, weights, options.max_curve_points));
  const ConfusionMatrix& cm = r.at_threshold.confusion;
  r.positives = cm.tp + cm.fn;
  r.base_rate = r.positives / (cm.tp + cm.fn + cm.tn + cm.fp);
  return r;
}

}  // namespace lepton::ml
