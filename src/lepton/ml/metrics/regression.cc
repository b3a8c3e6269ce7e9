#include "lepton/ml/metrics/regression.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "lepton/base/status.h"
#include "lepton/ml/metrics/internal/inputs.h"

namespace lepton::ml {

namespace {

// sklearn's `force_finite` rule shared by R² and explained variance.
double OneMinusRatio(double numerator, double denominator) {
  if (numerator == 0) return 1.0;
  if (denominator == 0) return 0.0;
  return 1.0 - numerator / denominator;
}

}  // namespace

Json RegressionReport::ToJson() const {
  return Json{{"rows", rows},   {"rmse", rmse},
              {"mae", mae},     {"r2", r2},
              {"mape", mape},   {"zero_labels", zero_labels},
              {"explained_variance", explained_variance}};
}

absl::StatusOr<RegressionReport> EvaluateRegression(std::span<const double> labels,
                                                    std::span<const double> predictions,
                                                    std::span<const double> weights) {
  LEPTON_RETURN_IF_ERROR(
      internal::CheckLengths("regression metrics", labels, predictions, weights));
  constexpr double kEps = std::numeric_limits<double>::epsilon();
  const size_t n = labels.size();
  double total = 0, sum_y = 0, sum_diff = 0;
  RegressionReport r;
  r.rows = static_cast<int64_t>(n);
  double se = 0, ae = 0, ape = 0;
  for (size_t i = 0; i < n; ++i) {
    const double w = internal::WeightAt(weights, i);
    const double d = labels[i] - predictions[i];
    total += w;
    sum_y += w * labels[i];
    sum_diff += w * d;
    se += w * d * d;
    ae += w * std::fabs(d);
    ape += w * std::fabs(d) / std::max(std::fabs(labels[i]), kEps);
    if (labels[i] == 0) ++r.zero_labels;
  }
  const double mean_y = sum_y / total, mean_diff = sum_diff / total;
  double ss_tot = 0, var_diff = 0;
  for (size_t i = 0; i < n; ++i) {
    const double w = internal::WeightAt(weights, i);
    const double dy = labels[i] - mean_y;
    const double dd = labels[i] - predictions[i] - mean_diff;
    ss_tot += w * dy * dy;
    var_diff += w * dd * dd;
  }
  r.rmse = std::sqrt(se / total);
  r.mae = ae / total;
  r.mape = ape / total;
  r.r2 = OneMinusRatio(se, ss_tot);
  r.explained_variance = OneMinusRatio(var_diff / total, ss_tot / total);
  return r;
}

}  // namespace lepton::ml
