#pragma once
// Labels and row weights for the learners: label checks per task, and class weights turned
// into per-row weights (scikit-learn's rules), shared by the linear learners and XGBoost.
// Plain functions; thread-safe.

#include <cstdint>
#include <map>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/base/json.h"

namespace lepton::ml {

// Class weights: empty (none), "balanced" (n_rows / (n_classes * count(class)), scikit-learn's
// rule, on unweighted counts) or explicit per-class weights (absent classes weigh 1).
struct ClassWeight {
  bool balanced = false;
  std::map<int, double> explicit_weights;
  bool empty() const { return !balanced && explicit_weights.empty(); }
};
// Parses "balanced", {"0": 1.0, "1": 4.0} or null. InvalidArgument naming `path` otherwise.
absl::StatusOr<ClassWeight> ParseClassWeight(const Json& value, std::string_view path);
Json ClassWeightToJson(const ClassWeight& weight);

// Checks `labels` (one per row of `rows`; integers in [0, num_classes) when num_classes > 0,
// finite values for regression, i.e. num_classes == 0) and `weights` (empty or one finite,
// non-negative value per row, not all zero). InvalidArgument naming `what`.
absl::Status ValidateLabels(std::span<const double> labels, std::span<const double> weights,
                            int64_t rows, int num_classes, std::string_view what);

// The effective weight of each row: the sample weight (1 when absent) times its class weight.
std::vector<double> EffectiveWeights(std::span<const double> labels,
                                     std::span<const double> weights, int num_classes,
                                     const ClassWeight& class_weight);

}  // namespace lepton::ml
