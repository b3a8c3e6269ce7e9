#include "lepton/ml/linear/scorecard.h"

#include <cmath>
#include <map>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/linear/internal/linear_model.h"

namespace lepton::ml {

absl::StatusOr<Scorecard> Scorecard::Build(const LogisticRegression& model,
                                           std::span<const WoeFeature> features,
                                           const ScorecardScaling& scaling) {
  if (!model.fitted() || model.task() != Task::kBinary || model.coef().size() !=
                                                              model.columns().size()) {
    return absl::InvalidArgumentError("scorecard: needs a fitted binary logistic model");
  }
  if (!(scaling.base_odds > 0) || !std::isfinite(scaling.base_odds)) {
    return absl::InvalidArgumentError("scorecard: base_odds must be > 0");
  }
  if (scaling.pdo == 0 || !std::isfinite(scaling.pdo) || !std::isfinite(scaling.base_score)) {
    return absl::InvalidArgumentError("scorecard: pdo must be non-zero and the scaling finite");
  }
  std::map<std::string, const WoeFeature*> by_name;
  for (const WoeFeature& f : features) {
    if (!by_name.emplace(f.name, &f).second) {
      return absl::InvalidArgumentError(StrCat("scorecard: feature \"", f.name, "\" given twice"));
    }
  }
  const std::vector<std::string>& columns = model.columns();
  if (features.size() != columns.size()) {
    return absl::InvalidArgumentError(StrCat("scorecard: ", features.size(),
                                             " WOE features for a model of ", columns.size(),
                                             " columns (one feature per column)"));
  }
  Scorecard card;
  card.scaling_ = scaling;
  card.factor_ = scaling.pdo / std::log(2.0);
  card.offset_ = scaling.base_score - card.factor_ * std::log(scaling.base_odds);
  card.sign_ = scaling.positive_class_is_bad ? -1.0 : 1.0;
  card.intercept_ = model.intercept()[0];
  card.base_points_ =
      scaling.distribute_intercept ? 0.0 : card.offset_ + card.sign_ * card.factor_ * card.intercept_;
  for (size_t j = 0; j < columns.size(); ++j) {
    auto it = by_name.find(columns[j]);
    if (it == by_name.end()) {
      return absl::InvalidArgumentError(
          StrCat("scorecard: model column \"", columns[j], "\" has no WOE bins"));
    }
    if (it->second->bins.empty()) {
      return absl::InvalidArgumentError(
          StrCat("scorecard: feature \"", columns[j], "\" has no bins"));
    }
    ScorecardFeature out;
    out.name = columns[j];
    out.coef = model.coef()[j];
    for (const WoeBin& bin : it->second->bins) {
      if (!std::isfinite(bin.woe)) {
        return absl::InvalidArgumentError(StrCat("scorecard: feature \"", columns[j], "\" bin \"",
                                                 bin.label, "\" has a non-finite WOE"));
      }
      out.bins.push_back({bin.label, bin.woe, 0.0});
    }
    card.features_.push_back(std::move(out));
  }
  // Points need the final feature count (the intercept and offset shares).
  for (size_t j = 0; j < card.features_.size(); ++j) {
    for (ScorecardBin& bin : card.features_[j].bins) bin.points = card.PointsOf(j, bin.woe);
  }
  return card;
}

double Scorecard::PointsOf(size_t feature, double woe) const {
  const double coef = features_[feature].coef;
  if (!scaling_.distribute_intercept) return sign_ * factor_ * coef * woe;
  const auto n = static_cast<double>(features_.size());
  return sign_ * factor_ * (coef * woe + intercept_ / n) + offset_ / n;
}

double Scorecard::ScoreFromMargin(double margin) const {
  return offset_ + sign_ * factor_ * margin;
}

absl::StatusOr<std::vector<double>> Scorecard::Points(const features::FeatureMatrix& x) const {
  if (x.cols() != static_cast<int64_t>(features_.size())) {
    return absl::InvalidArgumentError(StrCat("scorecard: input has ", x.cols(),
                                             " columns, the scorecard ", features_.size()));
  }
  LEPTON_RETURN_IF_ERROR(internal::ValidateFiniteMatrix(x, "scorecard input"));
  const size_t p = features_.size();
  std::vector<double> out(static_cast<size_t>(x.rows) * p);
  for (int64_t r = 0; r < x.rows; ++r) {
    for (size_t j = 0; j < p; ++j) {
      out[static_cast<size_t>(r) * p + j] =
          PointsOf(j, static_cast<double>(x.At(r, static_cast<int64_t>(j))));
    }
  }
  return out;
}

absl::StatusOr<std::vector<double>> Scorecard::Score(const features::FeatureMatrix& x) const {
  LEPTON_ASSIGN_OR_RETURN(std::vector<double> points, Points(x));
  const size_t p = features_.size();
  std::vector<double> out(static_cast<size_t>(x.rows), base_points_);
  for (size_t r = 0; r < out.size(); ++r) {
    for (size_t j = 0; j < p; ++j) out[r] += points[r * p + j];
  }
  return out;
}

Json Scorecard::ToJson() const {
  Json features = Json::array();
  for (const ScorecardFeature& f : features_) {
    Json bins = Json::array();
    for (const ScorecardBin& b : f.bins) {
      bins.push_back(Json{{"label", b.label}, {"woe", b.woe}, {"points", b.points}});
    }
    features.push_back(Json{{"name", f.name}, {"coef", f.coef}, {"bins", std::move(bins)}});
  }
  return Json{{"factor", factor_},
              {"offset", offset_},
              {"base_points", base_points_},
              {"scaling",
               {{"base_score", scaling_.base_score},
                {"base_odds", scaling_.base_odds},
                {"pdo", scaling_.pdo},
                {"positive_class_is_bad", scaling_.positive_class_is_bad},
                {"distribute_intercept", scaling_.distribute_intercept}}},
              {"features", std::move(features)}};
}

}  // namespace lepton::ml
