#pragma once
// Binary metrics per slice of the rows (e.g. per age band or per value of `foreign_worker`) and
// the gaps between slices that a fairness report shows: the AUC gap, the demographic parity
// difference (gap in the share predicted positive) and the equal opportunity difference (gap in
// the true positive rate), each the max minus the min over the slices where it is defined (as
// fairlearn's `demographic_parity_difference` / `equal_opportunity_difference` with
// method="between_groups"). Pure functions, safe to call concurrently.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/ml/metrics/binary.h"

namespace lepton::ml {

struct SliceMetrics {
  std::string key;
  int64_t rows = 0;
  double positives = 0;  // weighted
  double base_rate = 0;  // weighted share of positives
  // Null when the slice holds a single class; `auc_null_reason` then says why.
  std::optional<double> auc;
  std::string auc_null_reason;
  double log_loss = 0;
  double brier = 0;
  ThresholdMetrics at_threshold;  // at `SliceOptions::threshold`
  // The true positive rate at the threshold; null when the slice has no positives.
  std::optional<double> tpr;
  // {"key", "rows", "positives", "base_rate", "auc" (or null), "auc_null_reason" (when null),
  //  "log_loss", "brier", "positive_rate", "tpr" (or null), "at_threshold": {...}}
  Json ToJson() const;
};

// max - min of one metric over the slices where it is defined; null with fewer than 2 such.
struct SliceGap {
  std::optional<double> value;
  std::string max_slice;
  std::string min_slice;
  Json ToJson() const;  // {"value" (or null), "max_slice", "min_slice"}
};

struct SliceReport {
  std::vector<SliceMetrics> slices;  // ordered by key
  SliceGap auc_gap;
  SliceGap demographic_parity_difference;  // of `at_threshold.positive_rate`
  SliceGap equal_opportunity_difference;   // of `tpr`
  // {"slices": [...], "gaps": {"auc", "demographic_parity_difference",
  //  "equal_opportunity_difference"}}
  Json ToJson() const;
};

struct SliceOptions {
  double threshold = 0.5;
  double log_loss_eps = kLogLossEps;
};

// `slice_keys` holds one key per row. InvalidArgument for the bad input listed in binary.h and
// for `slice_keys` of another length; a single-class slice is not an error.
absl::StatusOr<SliceReport> EvaluateSlices(std::span<const double> labels,
                                           std::span<const double> probs,
                                           std::span<const std::string> slice_keys,
                                           std::span<const double> weights = {},
                                           const SliceOptions& options = {});

}  // namespace lepton::ml
