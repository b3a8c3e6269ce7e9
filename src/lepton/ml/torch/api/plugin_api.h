#pragma once
// The interface of the libtorch plugin (liblepton_torch_plugin.so, built from ml/torch/): one
// `extern "C"` entry point returning a table of functions that create the torch learners.
//
// Why a plugin: loading libtorch's shared libraries and running its static initialisers costs
// 1-1.5 s at process start, which every `lepton` command would pay if the binary linked it. The
// host (train/torch_plugin.h) dlopens the plugin the first time an "mlp" or "torchscript"
// learner is needed, and only then.
//
// The boundary passes C++ types (Json, absl::StatusOr, std::unique_ptr<Learner>) because host
// and plugin are built together by one build. A plugin from another build is refused before
// any of them is touched: the table starts with C-layout fields (`abi_version`, `abi`) that the
// host compares with its own `kTorchPluginAbiVersion` and `TorchPluginAbi()`.
//
// Rules on both sides:
//   - Learners made by the plugin are destroyed through `Learner`'s virtual destructor, i.e. by
//     the plugin's own code; the host never dlcloses the plugin (learners may outlive any scope).
//   - The plugin links its own copy of lepton::base/features/ml (static libraries, symbols kept
//     local by a version script): no mutable global of those is shared with the host. Such
//     globals (e.g. the log level of lepton/base/logging.h) keep their defaults in the plugin.
//   - No exception crosses the boundary (the learners catch libtorch's and return Status).
//
// Thread-safety: the table is immutable; each function is as thread-safe as the learner
// constructor or loader it wraps (all may be called concurrently).

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/ml/learner.h"

namespace lepton::ml {

// Bump whenever `TorchPluginApi`, or a type that crosses it, changes layout or meaning.
inline constexpr int kTorchPluginAbiVersion = 1;

// The name of the entry point, for dlsym.
inline constexpr char kTorchPluginEntryPoint[] = "lepton_torch_plugin_api";

struct TorchPluginApi {
  // C-layout prefix, read and checked before any other field.
  int abi_version;  // kTorchPluginAbiVersion of the plugin's build
  const char* abi;  // TorchPluginAbi() of the plugin's build; static storage

  // An unfitted MLP from its hyperparameters (see ml/torch/mlp.h; InvalidArgument naming
  // "mlp.<key>" for a bad one).
  absl::StatusOr<std::unique_ptr<Learner>> (*create_mlp)(const Json& params);
  // A fitted MLP from `MlpLearner::Save` bytes. InvalidArgument for other bytes.
  absl::StatusOr<std::unique_ptr<Learner>> (*load_mlp)(std::string_view bytes);
  // A TorchScript learner from `TorchScriptLearner::Save` bytes. InvalidArgument for other bytes.
  absl::StatusOr<std::unique_ptr<Learner>> (*load_torchscript)(std::string_view saved);
  // Imports a TorchScript archive (the file `torch.jit.save` wrote) declared by `signature`
  // (the JSON of ml/torch/torchscript.h's TorchScriptSignature). InvalidArgument for a bad
  // signature, unreadable bytes, or a model the signature's dummy run contradicts.
  absl::StatusOr<std::unique_ptr<Learner>> (*import_torchscript)(std::string_view torchscript,
                                                                 const Json& signature);
};

// The entry point's type: returns the plugin's table (static storage, never null).
using TorchPluginEntry = const TorchPluginApi* (*)();

// What must match between host and plugin for the C++ types above to be compatible: our ABI
// version and project version, the compiler and its version, the C++ standard, libstdc++'s
// string ABI, and the Abseil and nlohmann/json versions, e.g.
//   "lepton-torch-plugin/1 lepton 0.1.0; g++ 12.2.0; c++ 202002; cxx11-abi 1; absl 20220623;
//    nlohmann_json 3.11.2"
// Static storage (the pointer stays valid for the process).
const char* TorchPluginAbi();

}  // namespace lepton::ml

// Defined by the plugin (ml/torch/plugin.cc), looked up by the host with dlsym.
extern "C" const lepton::ml::TorchPluginApi* lepton_torch_plugin_api();
