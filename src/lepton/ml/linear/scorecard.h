#pragma once
// Credit scorecard from a fitted binary logistic model whose inputs are WOE-encoded features
// (one model column per original feature, holding the weight of evidence of the row's bin).
//
// Scaling (Siddiqi, "Credit Risk Scorecards", 2006, ch. 10): a score of `base_score` at
// good:bad odds of `base_odds`, and `pdo` more points each time those odds double:
//
//   Factor = pdo / ln(2)
//   Offset = base_score - Factor * ln(base_odds)
//   score  = Offset + Factor * ln(odds_good)
//
// The model's margin is the log-odds of its label 1. With `positive_class_is_bad` (the usual
// default label, 1 = defaulted) ln(odds_good) = -margin, otherwise +margin; write sgn = -1 or +1
// accordingly, margin = intercept + sum_j coef_j * woe_j. Then
//
//   score = Offset + sgn * Factor * (intercept + sum_j coef_j * woe_j)
//
// and, in Siddiqi's form where the intercept and offset are spread evenly over the n features
// (`distribute_intercept`, the default), the points of bin b of feature j are
//
//   points_jb = sgn * Factor * (coef_j * woe_b + intercept / n) + Offset / n,  base_points = 0;
//
// otherwise the intercept stays in a separate base:
//
//   points_jb = sgn * Factor * coef_j * woe_b,  base_points = Offset + sgn * Factor * intercept.
//
// Either way a row's score is base_points plus the points of its bins. Points are not rounded.
// The input bins are a plain struct so any WOE transformer can fill them.
//
// Thread-safety: a built `Scorecard` is immutable; its const methods may run concurrently.

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/features/matrix.h"
#include "lepton/ml/linear/logistic.h"

namespace lepton::ml {

// One bin of a WOE-encoded feature: its label (e.g. "[25, 40)", "missing") and WOE value.
struct WoeBin {
  std::string label;
  double woe = 0;
};
// The bins of one feature; `name` is the model column that holds the feature's WOE.
struct WoeFeature {
  std::string name;
  std::vector<WoeBin> bins;
};

struct ScorecardScaling {
  double base_score = 600;
  double base_odds = 50;  // good:bad odds at base_score, > 0
  double pdo = 20;        // points to double the odds, != 0
  bool positive_class_is_bad = true;
  bool distribute_intercept = true;
};

struct ScorecardBin {
  std::string label;
  double woe = 0;
  double points = 0;
};
struct ScorecardFeature {
  std::string name;
  double coef = 0;
  std::vector<ScorecardBin> bins;
};

class Scorecard {
 public:
  // Builds the points table. InvalidArgument when `model` is not a fitted binary model, when
  // the features do not name the model's columns one to one (each column exactly one
  // feature), when a feature has no bins, or for a scaling with base_odds <= 0 or pdo == 0.
  static absl::StatusOr<Scorecard> Build(const LogisticRegression& model,
                                         std::span<const WoeFeature> features,
                                         const ScorecardScaling& scaling);

  double factor() const { return factor_; }
  double offset() const { return offset_; }
  double base_points() const { return base_points_; }
  // In the model's column order.
  const std::vector<ScorecardFeature>& features() const { return features_; }

  // The score of a margin (log-odds of label 1).
  double ScoreFromMargin(double margin) const;
  // Per row of WOE-encoded `x` (the model's columns): the score. InvalidArgument for another
  // column count or non-finite values.
  absl::StatusOr<std::vector<double>> Score(const features::FeatureMatrix& x) const;
  // rows * features points: for each row, the points of each feature at the row's WOE value
  // (equal to the bin's points when the value is the bin's WOE). base_points() plus a row's
  // points is its score. Errors as `Score`.
  absl::StatusOr<std::vector<double>> Points(const features::FeatureMatrix& x) const;

  // {"factor", "offset", "base_points", "scaling": {...}, "features": [{"name", "coef",
  // "bins": [{"label", "woe", "points"}]}]} for reports.
  Json ToJson() const;

 private:
  double PointsOf(size_t feature, double woe) const;

  ScorecardScaling scaling_;
  double factor_ = 0;
  double offset_ = 0;
  double sign_ = -1;
  double intercept_ = 0;
  double base_points_ = 0;
  std::vector<ScorecardFeature> features_;
};

}  // namespace lepton::ml
