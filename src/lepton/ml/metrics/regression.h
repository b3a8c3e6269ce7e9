#pragma once
// Evaluation metrics for regression, matching scikit-learn (1.2): `mean_squared_error`
// (squared=False), `mean_absolute_error`, `r2_score`, `mean_absolute_percentage_error` and
// `explained_variance_score`, all with optional sample weights. Pure functions, safe to call
// concurrently.

#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"

namespace lepton::ml {

struct RegressionReport {
  int64_t rows = 0;
  double rmse = 0;
  double mae = 0;
  // 1 - SS_res / SS_tot. Like sklearn (force_finite): 1 when both are 0, 0 when only SS_tot is.
  double r2 = 0;
  // Mean of |y - p| / max(|y|, 2.22e-16): a zero label does not divide by zero but, as in
  // sklearn, makes the value huge; check `zero_labels` before trusting it.
  double mape = 0;
  int64_t zero_labels = 0;
  // 1 - Var(y - p) / Var(y), the same finite-forcing as `r2`.
  double explained_variance = 0;
  // {"rows", "rmse", "mae", "r2", "mape", "zero_labels", "explained_variance"}
  Json ToJson() const;
};

// InvalidArgument: no rows, mismatched lengths, a NaN or infinite label or prediction, a
// negative or non-finite weight, weights summing to 0.
absl::StatusOr<RegressionReport> EvaluateRegression(std::span<const double> labels,
                                                    std::span<const double> predictions,
                                                    std::span<const double> weights = {});

}  // namespace lepton::ml
