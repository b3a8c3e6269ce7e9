#pragma once
// Explanations of a trained `Model` in terms of its INPUT columns (what a caller sent), not the
// feature matrix the pipeline made of them, for the registry and for serving:
//
//   - `ExplainRows`: per-row additive contributions in margin units (log-odds for binary,
//     the predicted value's units for regression) — TreeSHAP for XGBoost (pred_contribs),
//     coefficient x transformed value for linear models. The contributions of all the feature
//     columns one input column produced (a one-hot block, a WOE column, a "<col>:missing"
//     indicator, TF-IDF or hashed terms) are summed into that input column, so
//     `base + sum(contributions) == margin` still holds. For scorecards (logistic + WOE) the
//     row's points per input column too, which add up to its credit score.
//   - `GlobalImportance`: the learner's own importance (XGBoost total gain, |coefficient|)
//     summed per input column, next to the permutation importance the build computed.
//
// Learners without per-row contributions (MLP, TorchScript) and multiclass models get
// Unimplemented from `ExplainRows`; permutation importance (train/importance.h, stored in
// `Model::metrics()["permutation_importance"]`) explains them globally.
//
// Thread-safety: free functions over a const `Model`; safe to call concurrently (XGBoost
// serialises its contribution predictions internally).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/lake/column.h"
#include "lepton/train/model.h"

namespace lepton::train {

struct ExplainOptions {
  // Keep only the `top_k` input columns with the largest |contribution| per row; 0 keeps all.
  // Negative is InvalidArgument.
  int top_k = 0;
};

// The explanation of one row.
struct RowExplanation {
  // The bias / expected value in margin units (log-odds for binary models).
  double base = 0;
  // base + the contributions of EVERY input column (also when `top_k` dropped some). Equals the
  // model's margin: logit(score) for binary, the score for regression (up to float rounding of
  // XGBoost's float32 contributions).
  double margin = 0;
  // The model's prediction for the row, as `Model::Predict` gives it: P(positive class) for
  // binary, the predicted value for regression.
  double score = 0;
  // (input column, contribution in margin units), largest |value| first (ties in input
  // order); positive values push towards the positive class / a larger value.
  std::vector<std::pair<std::string, double>> contributions;

  // Scorecards only (`Model::scorecard()` set), else nullopt / empty / 0: the base points and
  // the row's points per input column in the pipeline's input order (never cut by `top_k`),
  // which add up to `credit_score` (higher = lower risk). With the intercept distributed over
  // the features (the default scaling) the base points are 0.
  std::optional<double> base_points;
  std::vector<std::pair<std::string, double>> points;
  double credit_score = 0;
};

// Explains every row of `rows` (transformed by the model's pipeline; extra columns ignored).
// Errors: InvalidArgument for a negative `top_k` or for rows the pipeline rejects (naming the
// missing or mistyped column); Unimplemented for a multiclass model, or for a learner without
// per-row contributions (MLP, TorchScript: the message says to use permutation importance);
// a learner's own error otherwise. An empty batch gives an empty vector.
absl::StatusOr<std::vector<RowExplanation>> ExplainRows(const Model& model,
                                                        const lake::RecordBatch& rows,
                                                        const ExplainOptions& options = {});

// One JSON object per row: {"base", "margin", "score", "contributions": [{"column", "value"}]}
// plus, for scorecards, "base_points", "points": [{"column", "points"}] and "credit_score".
// Arrays keep the orders described in `RowExplanation`.
Json ExplanationsToJson(const std::vector<RowExplanation>& rows);

// Global importance of the model's input columns:
//   {"model": [{"column", "importance"}] — the learner's `Importance()` per feature column,
//             summed per input column; every input column, largest first (ties in input
//             order; 0 for a column the model never uses). Empty for learners without one.
//    "model_kind": "gain" (XGBoost total gain) | "coefficient" (sum of |coefficient| over the
//             column's features; depends on the features' scales) | "learner" (another
//             learner's own measure) | "none",
//    "permutation": `metrics()["permutation_importance"]` — present only when the build
//             computed it (see train/importance.h; it covers every learner)}.
Json GlobalImportance(const Model& model);

}  // namespace lepton::train
