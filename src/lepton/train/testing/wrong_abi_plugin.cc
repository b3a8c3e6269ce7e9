// A stand-in for liblepton_torch_plugin.so built with another ABI (train/torch_plugin_test.cc):
// the entry point's table names a different ABI string and has no functions, so a host that
// used it without checking would crash.

#include "lepton/ml/torch/api/plugin_api.h"

extern "C" const lepton::ml::TorchPluginApi* lepton_torch_plugin_api() {
  static const lepton::ml::TorchPluginApi api = {
      .abi_version = lepton::ml::kTorchPluginAbiVersion,
      .abi = "lepton-torch-plugin/1 lepton 0.0.0; g++ 0.0; another build",
      .create_mlp = nullptr,
      .load_mlp = nullptr,
      .load_torchscript = nullptr,
      .import_torchscript = nullptr,
  };
  return &api;
}
