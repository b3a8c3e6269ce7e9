#pragma once
// Bootstrap confidence intervals for binary classification metrics, e.g. for the "metrics with
// confidence intervals" table of a model card.
//
// Each resample draws rows with replacement (by default separately among the positive and the
// negative rows, so that every resample keeps the class counts of the data) and evaluates the
// metric with the number of times each row was drawn as its weight, which is the same as
// evaluating it on the resampled rows. The interval is the percentile interval of the resampled
// values; the point estimate is the metric of binary.h on the original rows.
//
// Results are a deterministic function of the arguments on every platform: resampling uses
// `std::mt19937_64` (whose output the standard fixes) and its own unbiased index drawing, not
// `std::uniform_int_distribution` (whose algorithm is implementation-defined).
//
// Pure functions, safe to call concurrently.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"

namespace lepton::ml {

struct BootstrapOptions {
  // Number of resamples, in [10, 100000]. The default suits a 95% interval; a few hundred are
  // enough for a standard error.
  int resamples = 1000;
  // Coverage of the percentile interval, in (0, 1).
  double confidence = 0.95;
  // Seeds the resampling; the same seed gives the same intervals.
  uint64_t seed = 42;
  // Draw positives and negatives separately, each as many as the data holds. Keeps the class
  // balance, so the ranking metrics are defined in every resample. When false, all rows are
  // drawn together and a resample holding a single class does not count for the metrics it
  // leaves undefined (see `MetricInterval::resamples`).
  bool stratified = true;
  // Threshold of "accuracy", "precision", "recall" and "f1" (predicted positive when
  // `score >= threshold`, as `MetricsAtThreshold`). Must not be NaN.
  double threshold = 0.5;
};

// One metric's estimate and bootstrap interval.
struct MetricInterval {
  double estimate = 0;  // the metric on the original rows (exactly the binary.h function)
  // The (1 - confidence) / 2 and (1 + confidence) / 2 quantiles of the resampled values, by
  // linear interpolation between order statistics (numpy's default "linear" percentile). Being
  // a percentile interval it usually, but not necessarily, contains `estimate`.
  double lower = 0;
  double upper = 0;
  double std_error = 0;   // standard deviation of the resampled values (n - 1 denominator)
  int resamples = 0;      // resamples where the metric was defined
  double confidence = 0;  // `BootstrapOptions::confidence`, so that the JSON is self-describing
  // {"estimate", "lower", "upper", "std_error", "resamples", "confidence"}
  Json ToJson() const;
};

// The metric names `BootstrapBinary` accepts, in a fixed order: "auc", "gini", "ks", "log_loss",
// "brier", "average_precision", "accuracy", "precision", "recall", "f1". They are `RocAuc`,
// `Gini`, `KsStatistic().ks`, `LogLoss` (default eps), `BrierScore`, `AveragePrecision` and the
// fields of `MetricsAtThreshold(..., options.threshold)`.
const std::vector<std::string>& BootstrapMetricNames();

// Estimates and percentile intervals of `metrics` (names from `BootstrapMetricNames`; repeats
// are allowed and reported once) for `scores` against 0/1 `labels`, keyed by metric name.
// "log_loss" and "brier" need probabilities in [0, 1].
//
// InvalidArgument, with a message saying what is wrong: no metrics or an unknown name (the
// message lists the valid ones); no rows; mismatched lengths; a label other than 0 or 1; a
// non-finite score; a probability outside [0, 1] for "log_loss" / "brier"; labels of a single
// class; options out of range; or (only when not stratified) a metric defined in fewer than 10
// resamples, which only happens with a handful of rows.
//
// Cost: O(n log n) once, then O(n) per resample and metric family (ranking metrics share one
// pass over the rows in score order; threshold metrics share one pass).
absl::StatusOr<std::map<std::string, MetricInterval>> BootstrapBinary(
    std::span<const double> labels, std::span<const double> scores,
    const std::vector<std::string>& metrics, const BootstrapOptions& options = {});

// Test-only: metric `metric` (a name from `BootstrapMetricNames`) of the rows weighted by
// `weights` (one per row, whole numbers: how many times each row was drawn), computed exactly as
// `BootstrapBinary` computes it on each resample; nullopt where the metric is undefined (a
// single class for the ranking metrics, no positives for "average_precision"). InvalidArgument
// for bad input as `BootstrapBinary`, and for `weights` not one per row.
absl::StatusOr<std::optional<double>> ResampledMetricForTest(std::span<const double> labels,
                                                             std::span<const double> scores,
                                                             std::span<const double> weights,
                                                             std::string_view metric,
                                                             double threshold = 0.5);

// Bootstrap metrics as a JSON object {"<metric>": {...MetricInterval...}, ...}.
Json BootstrapToJson(const std::map<std::string, MetricInterval>& intervals);

}  // namespace lepton::ml
