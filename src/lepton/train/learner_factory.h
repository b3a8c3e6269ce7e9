#pragma once
// The one place that knows every learner flavor: creates an unfitted learner from its
// hyperparameters, and restores a fitted one from its `Learner::Save` bytes. Training, model
// loading and (later) serving go through here so that adding a flavor is a change in one file.
//
// Flavors: "logistic" (ml/linear/logistic.h), "linear" (ml/linear/linear_regression.h),
// "xgboost" (ml/xgboost/xgboost.h). "mlp" and "torchscript" (libtorch) are not available in
// this build and give InvalidArgument saying so. Thread-safe (stateless).

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/ml/learner.h"

namespace lepton::train {

// An unfitted learner of `flavor` with `params` (the flavor's own JSON options; unknown keys
// are InvalidArgument naming them). InvalidArgument for an unknown or unavailable flavor.
absl::StatusOr<std::unique_ptr<ml::Learner>> MakeLearner(std::string_view flavor,
                                                         const Json& params);

// A fitted learner of `flavor` from `bytes` written by its `Save`. InvalidArgument for an
// unknown flavor or bytes the flavor cannot read.
absl::StatusOr<std::unique_ptr<ml::Learner>> LoadLearner(std::string_view flavor,
                                                         std::string_view bytes);

// The file name of a saved model of `flavor`: "model.ubj" for xgboost (UBJSON, loadable by
// Python's xgboost), "model.json" for the linear learners.
std::string ModelFileName(std::string_view flavor);

// Whether the flavor uses a validation set for early stopping.
bool SupportsEarlyStopping(std::string_view flavor);

}  // namespace lepton::train
