#pragma once
// Logistic regression: binary (sigmoid) and multinomial (softmax over K classes) with L2, L1,
// elastic-net or no penalty, class and sample weights. Minimises scikit-learn's objective
//
//   C * sum_i s_i * logloss_i  +  (1 - l1_ratio) / 2 * ||W||^2  +  l1_ratio * ||W||_1
//
// (l1_ratio = 0 for "l2", 1 for "l1"; no penalty terms for "none"), where s_i is the sample
// weight times the class weight and the intercepts are not penalised, so the optimum is the one
// scikit-learn's LogisticRegression(penalty, C, l1_ratio, class_weight) reaches with any solver
// (lbfgs / saga). Binary models have one coefficient vector (the margin is the log-odds of
// class 1); multiclass models have K (scikit-learn's multinomial form).
//
// Solver: OWL-QN (internal/owlqn.h) on the objective divided by C * sum_i s_i, which is
// deterministic, handles the L1 part exactly (coefficients become exactly 0) and needs only
// gradients, so dense and CSR matrices (2^18 hashed text columns) go through the same code.
// It stops when the largest pseudo-gradient component of that normalised objective is at most
// `tol`, or after `max_iter` iterations (then `converged()` is false; not an error).
//
// Inputs must be finite: NaN is InvalidArgument (impute first). Inputs are used as given (no
// internal standardisation), again as scikit-learn does; standardise in the feature pipeline.
//
// Thread-safety: `Fit` must not run concurrently with anything else; `Predict`,
// `Contributions`, `Margins`, `Save` and the accessors are const and safe to call concurrently.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/features/matrix.h"
#include "lepton/ml/learner.h"
#include "lepton/ml/linear/internal/linear_model.h"
#include "lepton/ml/linear/weights.h"

namespace lepton::ml {

enum class Penalty { kNone, kL2, kL1, kElasticNet };

struct LogisticOptions {
  Penalty penalty = Penalty::kL2;
  double c = 1.0;         // inverse regularisation strength, > 0
  double l1_ratio = 0.5;  // elastic net only, in [0, 1]
  bool fit_intercept = true;
  ClassWeight class_weight;
  int max_iter = 1000;
  double tol = 1e-6;
};

class LogisticRegression final : public Learner {
 public:
  // Hyperparameters from JSON, every key optional: {"penalty": "l2"|"l1"|"elasticnet"|"none",
  // "C": 1.0, "l1_ratio": 0.5, "fit_intercept": true, "class_weight": null|"balanced"|
  // {"0": w0, "1": w1}, "max_iter": 1000, "tol": 1e-6}. InvalidArgument naming the field for an
  // unknown key, a wrong type or a value out of range.
  static absl::StatusOr<LogisticOptions> ParseOptions(const Json& params);
  static absl::StatusOr<std::unique_ptr<LogisticRegression>> Create(const Json& params);
  // A fitted model from `Save` bytes. InvalidArgument for bytes `Save` did not produce.
  static absl::StatusOr<std::unique_ptr<LogisticRegression>> Load(std::string_view bytes);

  explicit LogisticRegression(LogisticOptions options) : options_(std::move(options)) {}

  std::string flavor() const override { return "logistic"; }
  Task task() const override { return task_; }

  // InvalidArgument for a regression task, fewer than 2 classes, labels out of range, a single
  // class present in the labels, NaN/infinite features, or a `valid` matrix whose columns
  // differ. Cancelled when `context.progress` returns false (reported after each solver
  // iteration with {"train_objective": value}); the learner then stays unfitted.
  absl::Status Fit(const LabeledData& train, const LabeledData* valid,
                   const FitContext& context) override;
  absl::StatusOr<std::vector<double>> Predict(const features::FeatureMatrix& x) const override;
  // Binary only (Unimplemented for multiclass): coef_j * x_j per column, then the intercept.
  absl::StatusOr<std::vector<double>> Contributions(
      const features::FeatureMatrix& x) const override;
  // |coef| per column (summed over classes for multiclass); zero coefficients are omitted.
  Json Importance() const override;
  // The options in effect plus {"solver": "owlqn"}.
  Json Params() const override;
  // JSON with every double in exact hexadecimal form (bit-identical predictions after Load).
  absl::StatusOr<std::string> Save() const override;

  // The margins (log-odds; K per row for multiclass). Errors as `Predict`.
  absl::StatusOr<std::vector<double>> Margins(const features::FeatureMatrix& x) const;

  // Fitted state (empty before Fit/Load). `coef` is outputs * columns, row-major by output
  // (1 output for binary, K for multiclass).
  bool fitted() const { return fitted_; }
  const LogisticOptions& options() const { return options_; }
  const std::vector<std::string>& columns() const { return model_.columns; }
  std::span<const double> coef() const { return model_.coef; }
  std::span<const double> intercept() const { return model_.intercept; }
  int num_classes() const { return num_classes_; }
  int iterations() const { return iterations_; }
  bool converged() const { return converged_; }

 private:
  absl::Status CheckFitted() const;

  LogisticOptions options_;
  bool fitted_ = false;
  Task task_ = Task::kBinary;
  int num_classes_ = 2;
  internal::LinearModel model_;
  int iterations_ = 0;
  bool converged_ = false;
};

// "l2", "l1", "elasticnet", "none"; and back (InvalidArgument for anything else).
std::string_view PenaltyName(Penalty penalty);
absl::StatusOr<Penalty> ParsePenalty(std::string_view name);

}  // namespace lepton::ml
