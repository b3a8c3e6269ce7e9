#include "lepton/ml/metrics/internal/inputs.h"

#include <cmath>

#include "lepton/base/strings.h"

namespace lepton::ml::internal {

absl::Status CheckFinite(std::string_view what, std::string_view role,
                         std::span<const double> values) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return absl::InvalidArgumentError(
          StrCat(what, ": ", role, " at row ", i, " is ", values[i], " (must be finite)"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckLengths(std::string_view what, std::span<const double> labels,
                          std::span<const double> scores, std::span<const double> weights) {
  if (labels.empty()) return absl::InvalidArgumentError(StrCat(what, ": no rows"));
  if (scores.size() != labels.size()) {
    return absl::InvalidArgumentError(StrCat(what, ": ", labels.size(), " labels but ",
                                             scores.size(), " predictions"));
  }
  if (!weights.empty() && weights.size() != labels.size()) {
    return absl::InvalidArgumentError(StrCat(what, ": ", labels.size(), " labels but ",
                                             weights.size(), " sample weights"));
  }
  if (auto s = CheckFinite(what, "label", labels); !s.ok()) return s;
  if (auto s = CheckFinite(what, "prediction", scores); !s.ok()) return s;
  if (!weights.empty()) {
    double total = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
      if (!std::isfinite(weights[i]) || weights[i] < 0) {
        return absl::InvalidArgumentError(StrCat(what, ": sample weight at row ", i, " is ",
                                                 weights[i], " (must be finite and >= 0)"));
      }
      total += weights[i];
    }
    if (!(total > 0)) {
      return absl::InvalidArgumentError(StrCat(what, ": sample weights sum to 0"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckBinaryLabels(std::string_view what, std::span<const double> labels) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] != 0.0 && labels[i] != 1.0) {
      return absl::InvalidArgumentError(
          StrCat(what, ": label at row ", i, " is ", labels[i], " (binary labels must be 0 or 1)"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckProbabilities(std::string_view what, std::span<const double> probs) {
  for (size_t i = 0; i < probs.size(); ++i) {
    if (!(probs[i] >= 0.0 && probs[i] <= 1.0)) {
      return absl::InvalidArgumentError(StrCat(what, ": probability at row ", i, " is ",
                                               probs[i], " (must be within [0, 1])"));
    }
  }
  return absl::OkStatus();
}

}  // namespace lepton::ml::internal
