#include "lepton/ml/torch/api/plugin_api.h"

#include <string>

#include "absl/base/config.h"
#include "lepton/base/strings.h"

namespace lepton::ml {

const char* TorchPluginAbi() {
  // Built from the macros of the translation unit compiling this file, so the host's and the
  // plugin's copies each describe their own build.
  static const std::string* const abi = new std::string(StrCat(
      "lepton-torch-plugin/", kTorchPluginAbiVersion, " lepton ",
      LEPTON_TORCH_PLUGIN_PROJECT_VERSION,
#if defined(__clang__)
      "; clang++ ",
#else
      "; g++ ",
#endif
      __VERSION__, "; c++ ", __cplusplus, "; cxx11-abi ", _GLIBCXX_USE_CXX11_ABI, "; absl ",
      ABSL_LTS_RELEASE_VERSION, "; nlohmann_json ", NLOHMANN_JSON_VERSION_MAJOR, ".",
      NLOHMANN_JSON_VERSION_MINOR, ".", NLOHMANN_JSON_VERSION_PATCH));
  return abi->c_str();
}

}  // namespace lepton::ml
