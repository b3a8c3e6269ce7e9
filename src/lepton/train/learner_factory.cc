#include "lepton/train/learner_factory.h"

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/linear/linear_regression.h"
#include "lepton/ml/linear/logistic.h"
#include "lepton/ml/torch/api/plugin_api.h"
#include "lepton/ml/xgboost/xgboost.h"
#include "lepton/train/torch_plugin.h"

namespace lepton::train {
namespace {

absl::Status Unknown(std::string_view flavor) {
  return absl::InvalidArgumentError(StrCat(
      "flavor \"", flavor,
      "\": expected one of \"logistic\", \"linear\", \"xgboost\", \"mlp\", \"torchscript\""));
}

template <typename T>
absl::StatusOr<std::unique_ptr<ml::Learner>> Up(absl::StatusOr<std::unique_ptr<T>> l) {
  if (!l.ok()) return l.status();
  return std::unique_ptr<ml::Learner>(std::move(*l));
}

// The plugin, loading it on first use; errors name the flavor that needed it.
absl::StatusOr<const ml::TorchPluginApi*> Torch(std::string_view flavor) {
  absl::StatusOr<const ml::TorchPluginApi*> api = GetTorchPlugin();
  if (!api.ok()) {
    return absl::Status(api.status().code(),
                        StrCat("flavor ", flavor, ": ", api.status().message()));
  }
  return api;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ml::Learner>> MakeLearner(std::string_view flavor,
                                                         const Json& params) {
  if (flavor == "logistic") return Up(ml::LogisticRegression::Create(params));
  if (flavor == "linear") return Up(ml::LinearRegression::Create(params));
  if (flavor == "xgboost") return Up(ml::XGBoostLearner::Create(params));
  if (flavor == "mlp") {
    LEPTON_ASSIGN_OR_RETURN(const ml::TorchPluginApi* torch, Torch(flavor));
    return torch->create_mlp(params);
  }
  if (flavor == "torchscript") {
    return absl::InvalidArgumentError("torchscript models are imported, not trained");
  }
  return Unknown(flavor);
}

absl::StatusOr<std::unique_ptr<ml::Learner>> LoadLearner(std::string_view flavor,
                                                         std::string_view bytes) {
  if (flavor == "logistic") return Up(ml::LogisticRegression::Load(bytes));
  if (flavor == "linear") return Up(ml::LinearRegression::Load(bytes));
  if (flavor == "xgboost") return Up(ml::XGBoostLearner::Load(bytes));
  if (flavor == "mlp") {
    LEPTON_ASSIGN_OR_RETURN(const ml::TorchPluginApi* torch, Torch(flavor));
    return torch->load_mlp(bytes);
  }
  if (flavor == "torchscript") {
    LEPTON_ASSIGN_OR_RETURN(const ml::TorchPluginApi* torch, Torch(flavor));
    return torch->load_torchscript(bytes);
  }
  return Unknown(flavor);
}

absl::StatusOr<std::unique_ptr<ml::Learner>> ImportTorchScript(std::string_view torchscript,
                                                               const Json& signature) {
  LEPTON_ASSIGN_OR_RETURN(const ml::TorchPluginApi* torch, Torch("torchscript"));
  return torch->import_torchscript(torchscript, signature);
}

std::string ModelFileName(std::string_view flavor) {
  if (flavor == "xgboost") return "model.ubj";
  if (flavor == "mlp") return "model.mlp";
  if (flavor == "torchscript") return "model.pt";
  return "model.json";
}

std::string_view EarlyStoppingParam(std::string_view flavor) {
  if (flavor == "xgboost") return "early_stopping_rounds";
  if (flavor == "mlp") return "patience";
  return "";
}

bool SupportsEarlyStopping(std::string_view flavor) { return !EarlyStoppingParam(flavor).empty(); }

}  // namespace lepton::train
