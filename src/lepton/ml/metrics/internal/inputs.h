#pragma once
// Input checks shared by the metric functions (module-private). Each returns InvalidArgument
// with a message that names the metric (`what`), the offending row and value, so that a caller
// can show it unchanged.

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/status.h"

namespace lepton::ml::internal {

// `labels` non-empty; `scores` and (when non-empty) `weights` of the same length; every score
// finite; every weight finite and >= 0 with a positive sum.
absl::Status CheckLengths(std::string_view what, std::span<const double> labels,
                          std::span<const double> scores, std::span<const double> weights);

// Every label is exactly 0 or 1.
absl::Status CheckBinaryLabels(std::string_view what, std::span<const double> labels);

// Every value lies in [0, 1] (probabilities).
absl::Status CheckProbabilities(std::string_view what, std::span<const double> probs);

// Every value is finite (named `role` in the message, e.g. "label").
absl::Status CheckFinite(std::string_view what, std::string_view role,
                         std::span<const double> values);

// The weight of row `i`: `weights[i]`, or 1 when `weights` is empty.
inline double WeightAt(std::span<const double> weights, size_t i) {
  return weights.empty() ? 1.0 : weights[i];
}

}  // namespace lepton::ml::internal
