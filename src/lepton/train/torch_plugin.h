#pragma once
// Finds and loads the libtorch plugin (liblepton_torch_plugin.so, ml/torch/api/plugin_api.h)
// the first time a torch learner ("mlp", "torchscript") is needed. The `lepton` binary and this
// library do not link libtorch: loading it costs 1-1.5 s, which only commands that use a torch
// learner should pay.
//
// Where the plugin is looked for, in order:
//   1. the path in the environment variable LEPTON_TORCH_PLUGIN (when set, only there);
//   2. <directory of /proc/self/exe>/../lib/liblepton_torch_plugin.so (the build and install
//      layout: bin/lepton and lib/liblepton_torch_plugin.so);
//   3. <directory of /proc/self/exe>/liblepton_torch_plugin.so.
//
// The plugin is opened with RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE and never closed: learners it
// made run its code until they are destroyed, and libtorch does not support being unloaded.
// Before any C++ type of the table is used, its ABI string must equal the host's
// (`ml::TorchPluginAbi()`); a plugin of another build is refused with FailedPrecondition.
//
// Thread-safety: all functions may be called concurrently. `GetTorchPlugin` loads once per
// process (std::call_once); its result, success or error, is then fixed for the process.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/ml/torch/api/plugin_api.h"

namespace lepton::train {

inline constexpr char kTorchPluginEnv[] = "LEPTON_TORCH_PLUGIN";
inline constexpr char kTorchPluginFileName[] = "liblepton_torch_plugin.so";

// The process's plugin, loaded on the first call. FailedPrecondition "the libtorch plugin could
// not be loaded: <reason>" when no candidate path exists (the paths tried are listed), dlopen
// or dlsym fails (dlerror's message) or the plugin's ABI differs from the host's.
absl::StatusOr<const ml::TorchPluginApi*> GetTorchPlugin();

// Whether `GetTorchPlugin` has loaded the plugin successfully (does not load it).
bool TorchPluginLoaded();

// The candidate paths in lookup order (see the file comment), given the environment.
std::vector<std::string> TorchPluginCandidates();

// Loads the plugin at exactly `path`, uncached (dlopen reference-counts, so a path loaded twice
// is one library). Errors as for `GetTorchPlugin`. Exposed for tests (e.g. a mismatched plugin).
absl::StatusOr<const ml::TorchPluginApi*> LoadTorchPluginFrom(const std::string& path);

}  // namespace lepton::train
