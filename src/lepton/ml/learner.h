#pragma once
// The one interface every learner implements (logistic / linear regression, XGBoost, MLP,
// TorchScript), so that selection, evaluation, tracking, the registry and serving never care
// which one they hold. Third-party libraries stay behind it: XGBoost only in ml/xgboost/,
// libtorch only in ml/torch/.
//
// Contracts:
//   - `Fit` is deterministic for a given `seed` (and thread count, for XGBoost).
//   - `Predict` returns, per row: binary → P(label == 1); multiclass → `num_classes`
//     probabilities (row-major); regression → the predicted value.
//   - `Save` then `Load` (each implementation's static `Load(bytes)`) predicts bit-identically.
//   - `Predict`, `Contributions` and `Save` are const and may run concurrently; `Fit` may not.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/features/matrix.h"

namespace lepton::ml {

enum class Task { kBinary, kMulticlass, kRegression };

// "binary", "multiclass", "regression"; and back (InvalidArgument for anything else).
std::string_view TaskName(Task task);
absl::StatusOr<Task> ParseTask(std::string_view name);

// Rows to learn from. Labels: 0/1 for binary, 0..num_classes-1 for multiclass, any value for
// regression. `weights` is empty (all 1) or one per row.
struct LabeledData {
  const features::FeatureMatrix* x = nullptr;
  std::span<const double> y;
  std::span<const double> weights;
};

// Progress of a fit: called after each iteration (epoch, boosting round, solver iteration) with
// the iteration, the planned total and the metrics known then (e.g. {"valid_logloss": 0.41}).
// Returning false cancels the fit, which then returns Cancelled.
using FitProgress = std::function<bool(int64_t step, int64_t total, const Json& metrics)>;

struct FitContext {
  Task task = Task::kBinary;
  int num_classes = 2;  // multiclass only
  uint64_t seed = 42;
  int threads = 0;      // 0: all cores
  FitProgress progress;  // may be empty
};

class Learner {
 public:
  virtual ~Learner() = default;

  // "logistic", "linear", "xgboost", "mlp", "torchscript".
  virtual std::string flavor() const = 0;
  virtual Task task() const = 0;

  // Learns from `train`; `valid` (may be null) drives early stopping where the learner has it.
  // InvalidArgument for data that does not fit the task (labels out of range, no rows, a
  // matrix whose columns differ from `valid`'s).
  virtual absl::Status Fit(const LabeledData& train, const LabeledData* valid,
                           const FitContext& context) = 0;

  // See the file comment for the layout. FailedPrecondition before Fit/Load; InvalidArgument
  // when `x` has a different number of columns than the training data.
  virtual absl::StatusOr<std::vector<double>> Predict(const features::FeatureMatrix& x) const = 0;

  // Per-row additive contributions in margin (log-odds / raw) units: rows * (cols + 1) values,
  // the last of each row the bias, summing to the margin. Binary and regression only.
  // Unimplemented where the learner cannot explain itself.
  virtual absl::StatusOr<std::vector<double>> Contributions(
      const features::FeatureMatrix& x) const {
    (void)x;
    return absl::UnimplementedError(flavor() + " has no per-row contributions");
  }

  // Global importance per feature name (e.g. |coefficient| or XGBoost total gain).
  virtual Json Importance() const { return Json::object(); }

  // The hyperparameters in effect (defaults filled in), for tracking.
  virtual Json Params() const = 0;

  // The fitted model as bytes (the implementation's own format, e.g. XGBoost UBJSON).
  virtual absl::StatusOr<std::string> Save() const = 0;
};

}  // namespace lepton::ml
