#pragma once
// Evaluation metrics for binary classifiers, matching scikit-learn (1.2) where it has the metric;
// docs/ml-metrics.md lists each definition and its sklearn counterpart.
//
// Inputs: `labels` are 0 or 1; `scores` are any finite scores where only their order matters
// (AUC, KS, curves, average precision, thresholds) and probabilities of label 1 in [0, 1]
// where the value matters (log loss, Brier, calibration). `weights` is empty (every row weighs
// 1) or one finite, non-negative weight per row with a positive sum; rows of weight 0 take no
// part (as in sklearn). A row is predicted positive at threshold `t` when `score >= t`, the
// convention of sklearn's `roc_curve`.
//
// Every function is a pure function of its arguments and is safe to call concurrently. Bad input
// gives InvalidArgument naming the metric and the first offending row: no rows, mismatched
// lengths, a label outside {0, 1}, a NaN or infinite score, a probability outside [0, 1], a
// negative weight; and for ranking metrics, labels of a single class.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"

namespace lepton::ml {

// sklearn's default `log_loss` clipping: `np.finfo(np.float64).eps`.
inline constexpr double kLogLossEps = 2.220446049250313e-16;

// Confusion counts at one threshold (weighted sums when weights are given).
struct ConfusionMatrix {
  double tn = 0;
  double fp = 0;
  double fn = 0;
  double tp = 0;
  // {"tn", "fp", "fn", "tp", "matrix": [[tn, fp], [fn, tp]]} (sklearn's `confusion_matrix`
  // layout: rows are the true class, columns the predicted class).
  Json ToJson() const;
};

// Classification metrics at one threshold. Ratios with a zero denominator are 0, as sklearn's
// `zero_division="warn"` returns.
struct ThresholdMetrics {
  double threshold = 0.5;
  double accuracy = 0;
  double precision = 0;
  double recall = 0;  // the true positive rate
  double f1 = 0;
  double false_positive_rate = 0;
  double positive_rate = 0;  // share of (weighted) rows predicted positive
  ConfusionMatrix confusion;
  Json ToJson() const;
};

// The Kolmogorov-Smirnov statistic max |TPR - FPR| over all thresholds, and the (highest)
// threshold where it is reached.
struct KsResult {
  double ks = 0;
  double threshold = 0;
  Json ToJson() const;
};

// One row of a lift / gain table: a group of rows taken in order of descending score.
struct LiftRow {
  int group = 0;  // 1-based; group 1 holds the highest scores
  int64_t count = 0;
  int64_t positives = 0;
  double min_score = 0;
  double max_score = 0;
  double response_rate = 0;        // positives / count
  double lift = 0;                 // response_rate / overall positive rate
  int64_t cumulative_count = 0;
  int64_t cumulative_positives = 0;
  double cumulative_gain = 0;      // cumulative_positives / all positives
  double cumulative_lift = 0;      // cumulative response rate / overall positive rate
};

// Lift and gain by group (deciles by default). Lifts and gains are 0 when there are no positives.
struct LiftTable {
  double base_rate = 0;  // overall positive rate
  std::vector<LiftRow> rows;
  // {"base_rate", "groups": [{"group", "count", ...}, ...]}
  Json ToJson() const;
};

enum class CalibrationStrategy { kUniform, kQuantile };

// One calibration bin: rows whose probability falls in (lower, upper] (the first bin also takes
// `lower` itself), as sklearn's `calibration_curve` assigns them.
struct CalibrationBin {
  double lower = 0;
  double upper = 0;
  int64_t count = 0;
  double mean_predicted = 0;  // sklearn's `prob_pred`
  double observed_rate = 0;   // sklearn's `prob_true`
};

// Reliability table. Only non-empty bins are listed, as in sklearn.
struct CalibrationTable {
  CalibrationStrategy strategy = CalibrationStrategy::kUniform;
  std::vector<CalibrationBin> bins;
  Json ToJson() const;
};

// ROC curve points in order of descending threshold, starting at (0, 0) whose threshold is
// +infinity (null in JSON). `total_points` counts the points before thinning.
struct RocCurve {
  std::vector<double> thresholds;
  std::vector<double> fpr;
  std::vector<double> tpr;
  int64_t total_points = 0;
  // Columnar, for artifacts: {"threshold": [...], "fpr": [...], "tpr": [...], "total_points"}.
  Json ToJson() const;
};

// Precision-recall points in order of descending threshold, starting at (recall 0,
// precision 1) whose threshold is +infinity (null in JSON); then one point per distinct score,
// as sklearn's `precision_recall_curve` (which lists them in the reverse order).
struct PrCurve {
  std::vector<double> thresholds;
  std::vector<double> recall;
  std::vector<double> precision;
  int64_t total_points = 0;
  Json ToJson() const;
};

// What `EvaluateBinary` computes besides the threshold-free metrics.
struct BinaryOptions {
  double threshold = 0.5;
  int lift_groups = 10;
  int calibration_bins = 10;
  CalibrationStrategy calibration_strategy = CalibrationStrategy::kUniform;
  int64_t max_curve_points = 200;  // >= 2
  double log_loss_eps = kLogLossEps;
};

// Every binary metric at once, e.g. for a run's metrics and artifacts.
struct BinaryReport {
  int64_t rows = 0;
  double positives = 0;  // weighted
  double base_rate = 0;  // weighted share of positives
  double auc = 0;
  double gini = 0;
  KsResult ks;
  double log_loss = 0;
  double brier = 0;
  double average_precision = 0;
  ThresholdMetrics at_threshold;
  ThresholdMetrics best_f1;
  LiftTable lift;
  CalibrationTable calibration;
  RocCurve roc;
  PrCurve pr;
  // {"rows", "positives", "base_rate", "auc", "gini", "ks", "ks_threshold", "log_loss", "brier",
  //  "average_precision", "at_threshold": {...}, "best_f1": {...}, "lift": {...},
  //  "calibration": {...}, "roc_curve": {...}, "pr_curve": {...}}
  Json ToJson() const;
};

// Area under the ROC curve by the trapezoid rule over distinct scores, so tied scores count
// half (sklearn `roc_auc_score`). InvalidArgument when only one class has weight.
absl::StatusOr<double> RocAuc(std::span<const double> labels, std::span<const double> scores,
                              std::span<const double> weights = {});

// 2 * AUC - 1 (the credit-scoring accuracy ratio).
absl::StatusOr<double> Gini(std::span<const double> labels, std::span<const double> scores,
                            std::span<const double> weights = {});

// Max |TPR - FPR| over all thresholds; ties go to the highest threshold. Single class:
// InvalidArgument.
absl::StatusOr<KsResult> KsStatistic(std::span<const double> labels,
                                     std::span<const double> scores,
                                     std::span<const double> weights = {});

// Mean negative log-likelihood with probabilities clipped to [eps, 1 - eps] (sklearn
// `log_loss`). `probs` must lie in [0, 1]; `eps` in [0, 0.5).
absl::StatusOr<double> LogLoss(std::span<const double> labels, std::span<const double> probs,
                               std::span<const double> weights = {}, double eps = kLogLossEps);

// Mean squared difference between probability and label (sklearn `brier_score_loss`).
absl::StatusOr<double> BrierScore(std::span<const double> labels, std::span<const double> probs,
                                  std::span<const double> weights = {});

// Sum over distinct thresholds of (R_n - R_{n-1}) * P_n (sklearn `average_precision_score`).
// InvalidArgument when no row is positive.
absl::StatusOr<double> AveragePrecision(std::span<const double> labels,
                                        std::span<const double> scores,
                                        std::span<const double> weights = {});

// Accuracy, precision, recall, F1 and the confusion matrix predicting `score >= threshold`.
// `threshold` must not be NaN. Single-class labels are fine here.
absl::StatusOr<ThresholdMetrics> MetricsAtThreshold(std::span<const double> labels,
                                                    std::span<const double> scores,
                                                    double threshold,
                                                    std::span<const double> weights = {});

// `MetricsAtThreshold` at the distinct score that maximises F1; ties go to the highest
// threshold. InvalidArgument when no row is positive (F1 is 0 everywhere).
absl::StatusOr<ThresholdMetrics> BestF1Threshold(std::span<const double> labels,
                                                 std::span<const double> scores,
                                                 std::span<const double> weights = {});

// Sorts rows by descending score (ties by row order) and cuts them into `groups` groups whose
// sizes differ by at most one, the larger first (numpy's `array_split`). Unweighted.
// InvalidArgument when `groups` < 1 or there are fewer rows than groups.
absl::StatusOr<LiftTable> LiftGain(std::span<const double> labels,
                                   std::span<const double> scores, int groups = 10);

// Calibration (reliability) table, sklearn `calibration_curve`: `bins` equal-width bins over
// [0, 1] (kUniform) or edges at the quantiles of `probs` (kQuantile, numpy's linear
// percentile). Unweighted. InvalidArgument when `bins` < 1 or a probability is outside [0, 1].
absl::StatusOr<CalibrationTable> Calibration(
    std::span<const double> labels, std::span<const double> probs, int bins = 10,
    CalibrationStrategy strategy = CalibrationStrategy::kUniform);

// The ROC / PR curve at every distinct score (sklearn `roc_curve(drop_intermediate=False)`,
// `precision_recall_curve`), thinned to at most `max_points` (>= 2) evenly spaced points that
// keep the first and the last. Rows of weight 0 are dropped first, as sklearn does.
absl::StatusOr<RocCurve> RocCurvePoints(std::span<const double> labels,
                                        std::span<const double> scores,
                                        std::span<const double> weights = {},
                                        int64_t max_points = 200);
absl::StatusOr<PrCurve> PrCurvePoints(std::span<const double> labels,
                                      std::span<const double> scores,
                                      std::span<const double> weights = {},
                                      int64_t max_points = 200);

// All of the above for probabilities `probs`; lift and calibration ignore `weights`.
// InvalidArgument for bad input (see the file comment), single-class labels or bad options.
absl::StatusOr<BinaryReport> EvaluateBinary(std::span<const double> labels,
                                            std::span<const double> probs,
                                            std::span<const double> weights = {},
                                            const BinaryOptions& options = {});

// "uniform" / "quantile" and back (InvalidArgument for anything else).
std::string_view CalibrationStrategyName(CalibrationStrategy strategy);
absl::StatusOr<CalibrationStrategy> ParseCalibrationStrategy(std::string_view name);

}  // namespace lepton::ml
