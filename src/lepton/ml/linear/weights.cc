#include "lepton/ml/linear/weights.h"

#include <cmath>

#include "lepton/base/strings.h"

namespace lepton::ml {

absl::StatusOr<ClassWeight> ParseClassWeight(const Json& value, std::string_view path) {
  ClassWeight out;
  if (value.is_null()) return out;
  if (value.is_string()) {
    if (value.get<std::string>() == "balanced") {
      out.balanced = true;
      return out;
    }
  } else if (value.is_object()) {
    for (const auto& [key, w] : value.items()) {
      int64_t cls = 0;
      if (!ParseInt(key, &cls) || cls < 0 || cls > 1000000) {
        return absl::InvalidArgumentError(
            StrCat(path, ": class \"", key, "\" is not a class index (0, 1, ...)"));
      }
      if (!w.is_number() || !std::isfinite(w.get<double>()) || w.get<double>() < 0) {
        return absl::InvalidArgumentError(
            StrCat(path, ".", key, ": expected a non-negative number"));
      }
      out.explicit_weights[static_cast<int>(cls)] = w.get<double>();
    }
    return out;
  }
  return absl::InvalidArgumentError(
      StrCat(path, ": expected \"balanced\" or an object of class index -> weight"));
}

Json ClassWeightToJson(const ClassWeight& weight) {
  if (weight.balanced) return "balanced";
  if (weight.explicit_weights.empty()) return nullptr;
  Json out = Json::object();
  for (const auto& [cls, w] : weight.explicit_weights) out[std::to_string(cls)] = w;
  return out;
}

absl::Status ValidateLabels(std::span<const double> labels, std::span<const double> weights,
                            int64_t rows, int num_classes, std::string_view what) {
  if (rows == 0) return absl::InvalidArgumentError(StrCat(what, ": no rows"));
  if (static_cast<int64_t>(labels.size()) != rows) {
    return absl::InvalidArgumentError(
        StrCat(what, ": ", labels.size(), " labels for ", rows, " rows"));
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    const double y = labels[i];
    if (!std::isfinite(y)) {
      return absl::InvalidArgumentError(StrCat(what, ": label of row ", i, " is not finite"));
    }
    if (num_classes > 0 && (y != std::floor(y) || y < 0 || y >= num_classes)) {
      return absl::InvalidArgumentError(
          StrCat(what, ": label of row ", i, " is ", y, "; expected ",
                 num_classes == 2 ? "0 or 1" : StrCat("an integer in [0, ", num_classes, ")")));
    }
  }
  if (!weights.empty()) {
    if (weights.size() != labels.size()) {
      return absl::InvalidArgumentError(
          StrCat(what, ": ", weights.size(), " sample weights for ", rows, " rows"));
    }
    double total = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
      if (!std::isfinite(weights[i]) || weights[i] < 0) {
        return absl::InvalidArgumentError(
            StrCat(what, ": sample weight of row ", i, " is ", weights[i],
                   "; expected a finite non-negative number"));
      }
      total += weights[i];
    }
    if (total <= 0) return absl::InvalidArgumentError(StrCat(what, ": all sample weights are 0"));
  }
  return absl::OkStatus();
}

std::vector<double> EffectiveWeights(std::span<const double> labels,
                                     std::span<const double> weights, int num_classes,
                                     const ClassWeight& class_weight) {
  std::vector<double> out(labels.size(), 1.0);
  if (!weights.empty()) out.assign(weights.begin(), weights.end());
  if (num_classes <= 0 || class_weight.empty()) return out;
  std::vector<double> per_class(static_cast<size_t>(num_classes), 1.0);
  if (class_weight.balanced) {
    std::vector<int64_t> counts(static_cast<size_t>(num_classes), 0);
    for (double y : labels) ++counts[static_cast<size_t>(y)];
    // scikit-learn: n_samples / (n_classes * bincount(y)), over the classes present.
    int64_t present = 0;
    for (int64_t c : counts) present += c > 0 ? 1 : 0;
    for (size_t k = 0; k < counts.size(); ++k) {
      if (counts[k] > 0) {
        per_class[k] = static_cast<double>(labels.size()) /
                       (static_cast<double>(present) * static_cast<double>(counts[k]));
      }
    }
  } else {
    for (const auto& [cls, w] : class_weight.explicit_weights) {
      if (cls < num_classes) per_class[static_cast<size_t>(cls)] = w;
    }
  }
  for (size_t i = 0; i < out.size(); ++i) out[i] *= per_class[static_cast<size_t>(labels[i])];
  return out;
}

}  // namespace lepton::ml
