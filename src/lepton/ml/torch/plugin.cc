// The entry point of liblepton_torch_plugin.so (see ml/torch/api/plugin_api.h): wraps the
// MLP and TorchScript learners' factories in the plugin's function table. The version script
// plugin.map exports this symbol only.

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/base/status.h"
#include "lepton/ml/learner.h"
#include "lepton/ml/torch/api/plugin_api.h"
#include "lepton/ml/torch/mlp.h"
#include "lepton/ml/torch/torchscript.h"

namespace lepton::ml {
namespace {

template <typename T>
absl::StatusOr<std::unique_ptr<Learner>> Up(absl::StatusOr<std::unique_ptr<T>> learner) {
  if (!learner.ok()) return learner.status();
  return std::unique_ptr<Learner>(std::move(*learner));
}

absl::StatusOr<std::unique_ptr<Learner>> CreateMlp(const Json& params) {
  return Up(MlpLearner::Create(params));
}

absl::StatusOr<std::unique_ptr<Learner>> LoadMlp(std::string_view bytes) {
  return Up(MlpLearner::Load(bytes));
}

absl::StatusOr<std::unique_ptr<Learner>> LoadTorchScript(std::string_view saved) {
  return Up(TorchScriptLearner::Load(saved));
}

absl::StatusOr<std::unique_ptr<Learner>> ImportTorchScript(std::string_view torchscript,
                                                           const Json& signature) {
  LEPTON_ASSIGN_OR_RETURN(TorchScriptSignature sig, TorchScriptSignature::FromJson(signature));
  return Up(TorchScriptLearner::Load(torchscript, sig));
}

}  // namespace
}  // namespace lepton::ml

extern "C" const lepton::ml::TorchPluginApi* lepton_torch_plugin_api() {
  // Constant-initialised (TorchPluginAbi() aside): nothing here runs before the host asks.
  static const lepton::ml::TorchPluginApi api = {
      .abi_version = lepton::ml::kTorchPluginAbiVersion,
      .abi = lepton::ml::TorchPluginAbi(),
      .create_mlp = &lepton::ml::CreateMlp,
      .load_mlp = &lepton::ml::LoadMlp,
      .load_torchscript = &lepton::ml::LoadTorchScript,
      .import_torchscript = &lepton::ml::ImportTorchScript,
  };
  return &api;
}
