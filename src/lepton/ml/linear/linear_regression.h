#pragma once
// Linear regression: ordinary least squares, or ridge with `alpha` > 0, with sample weights.
// Minimises scikit-learn's LinearRegression / Ridge objective
//
//   sum_i s_i * (y_i - x_i . w - b)^2  +  alpha * ||w||^2     (b not penalised)
//
// Solver: with at most `kMaxDirectColumns` columns, the weighted normal equations of the
// centred data (X_c' S X_c + alpha I) w = X_c' S y_c solved by Cholesky, b = mean(y) -
// mean(x) . w (exact; the dense data are centred explicitly, CSR data implicitly). Wider
// inputs (hashed text), or a singular OLS system, use L-BFGS (internal/owlqn.h) from zero,
// stopping when the largest gradient component of the objective divided by 2 * sum(s) is at
// most `tol`; a singular OLS system then yields one of its minimisers, not necessarily
// scikit-learn's minimum-norm one.
//
// Thread-safety: as every Learner (`Fit` exclusive; the const methods concurrently).

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

namespace lepton::ml {

struct LinearRegressionOptions {
  double alpha = 0.0;  // ridge strength, >= 0
  bool fit_intercept = true;
  int max_iter = 1000;  // iterative solver only
  double tol = 1e-8;    // iterative solver only
};

class LinearRegression final : public Learner {
 public:
  static constexpr int64_t kMaxDirectColumns = 2048;

  // {"alpha": 0.0, "fit_intercept": true, "max_iter": 1000, "tol": 1e-8}, every key optional.
  // InvalidArgument naming the field for an unknown key, a wrong type or a value out of range.
  static absl::StatusOr<LinearRegressionOptions> ParseOptions(const Json& params);
  static absl::StatusOr<std::unique_ptr<LinearRegression>> Create(const Json& params);
  // A fitted model from `Save` bytes. InvalidArgument for bytes `Save` did not produce.
  static absl::StatusOr<std::unique_ptr<LinearRegression>> Load(std::string_view bytes);

  explicit LinearRegression(LinearRegressionOptions options) : options_(options) {}

  std::string flavor() const override { return "linear"; }
  Task task() const override { return Task::kRegression; }

  // InvalidArgument for a non-regression task, non-finite labels or features, no rows, or a
  // `valid` matrix with other columns (`valid` is otherwise unused). Cancelled when
  // `context.progress` returns false (called once for the direct solver, per iteration for
  // L-BFGS).
  absl::Status Fit(const LabeledData& train, const LabeledData* valid,
                   const FitContext& context) override;
  // The predicted values. FailedPrecondition before Fit/Load; InvalidArgument for another
  // column count or non-finite values.
  absl::StatusOr<std::vector<double>> Predict(const features::FeatureMatrix& x) const override;
  // coef_j * x_j per column, then the intercept; each row sums to its prediction.
  absl::StatusOr<std::vector<double>> Contributions(
      const features::FeatureMatrix& x) const override;
  Json Importance() const override;
  // The options in effect plus the solver used ("cholesky" or "lbfgs"; "auto" before Fit).
  Json Params() const override;
  // JSON with every double in exact hexadecimal form.
  absl::StatusOr<std::string> Save() const override;

  const std::vector<std::string>& columns() const { return model_.columns; }
  std::span<const double> coef() const { return model_.coef; }
  double intercept() const { return model_.intercept.empty() ? 0.0 : model_.intercept[0]; }

 private:
  absl::Status CheckFitted() const;

  LinearRegressionOptions options_;
  bool fitted_ = false;
  std::string solver_ = "auto";
  internal::LinearModel model_;
};

}  // namespace lepton::ml
