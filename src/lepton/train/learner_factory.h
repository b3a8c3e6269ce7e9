#pragma once
// The one place that knows every learner flavor: creates an unfitted learner from its
// hyperparameters, and restores a fitted one from its `Learner::Save` bytes. Training, model
// loading and (later) serving go through here so that adding a flavor is a change in one file.
//
// Flavors: "logistic" (ml/linear/logistic.h), "linear" (ml/linear/linear_regression.h),
// "xgboost" (ml/xgboost/xgboost.h), and the libtorch learners "mlp" (ml/torch/mlp.h) and
// "torchscript" (ml/torch/torchscript.h, imported, never trained). The libtorch ones come from
// a plugin loaded on their first use (train/torch_plugin.h), so that no other program or
// command pays libtorch's start-up cost; when it cannot be loaded they fail with
// FailedPrecondition "flavor mlp: the libtorch plugin could not be loaded: <reason>".
// Thread-safe (stateless apart from the once-loaded plugin).

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/ml/learner.h"

namespace lepton::train {

// An unfitted learner of `flavor` with `params` (the flavor's own JSON options; unknown keys
// are InvalidArgument naming them). InvalidArgument for an unknown flavor and for
// "torchscript" (imported with `ImportTorchScript`, not trained). FailedPrecondition when the
// libtorch plugin is needed and cannot be loaded.
absl::StatusOr<std::unique_ptr<ml::Learner>> MakeLearner(std::string_view flavor,
                                                         const Json& params);

// A fitted learner of `flavor` from `bytes` written by its `Save`. InvalidArgument for an
// unknown flavor or bytes the flavor cannot read. FailedPrecondition as for `MakeLearner`.
absl::StatusOr<std::unique_ptr<ml::Learner>> LoadLearner(std::string_view flavor,
                                                         std::string_view bytes);

// A "torchscript" learner from a TorchScript archive (the file `torch.jit.save` wrote) and its
// declared input `signature` (JSON of ml/torch/torchscript.h's TorchScriptSignature). Its
// `Save` bytes load back with LoadLearner("torchscript", ...). InvalidArgument for a bad
// signature or archive; FailedPrecondition when the plugin cannot be loaded.
absl::StatusOr<std::unique_ptr<ml::Learner>> ImportTorchScript(std::string_view torchscript,
                                                               const Json& signature);

// The file name of a saved model of `flavor`: "model.ubj" for xgboost (UBJSON, loadable by
// Python's xgboost), "model.mlp" for mlp and "model.pt" for torchscript (the containers of
// ml/torch/internal/common.h), "model.json" for the linear learners.
std::string ModelFileName(std::string_view flavor);

// Whether the flavor uses a validation set for early stopping (xgboost, mlp). Needs no plugin.
bool SupportsEarlyStopping(std::string_view flavor);
// The learner parameter that holds the config's `early_stopping.rounds` ("early_stopping_rounds"
// for xgboost, "patience" in epochs for mlp); "" where there is none.
std::string_view EarlyStoppingParam(std::string_view flavor);

}  // namespace lepton::train
