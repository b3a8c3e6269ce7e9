#include "lepton/train/torch_plugin.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <system_error>

#include "lepton/base/strings.h"

namespace lepton::train {
namespace {

absl::Status NotLoaded(std::string_view reason) {
  return absl::FailedPreconditionError(
      StrCat("the libtorch plugin could not be loaded: ", reason));
}

std::string DlError() {
  const char* e = dlerror();
  return e != nullptr ? e : "unknown dlerror";
}

// The process-wide load. A singleton outside cli/ on purpose: a dlopened library is process
// state whatever we do, and every user of the factory must see the same one.
std::once_flag g_once;
absl::StatusOr<const ml::TorchPluginApi*>* g_plugin = nullptr;  // set once, never freed
std::atomic<bool> g_loaded{false};

}  // namespace

std::vector<std::string> TorchPluginCandidates() {
  if (const char* env = std::getenv(kTorchPluginEnv); env != nullptr && *env != '\0') {
    return {env};
  }
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const std::filesystem::path dir = exe.parent_path();
  return {(dir.parent_path() / "lib" / kTorchPluginFileName).string(),
          (dir / kTorchPluginFileName).string()};
}

absl::StatusOr<const ml::TorchPluginApi*> LoadTorchPluginFrom(const std::string& path) {
  // Never dlclosed (see the header), also not after a refused ABI: the library's initialisers
  // have run and unloading libtorch is not supported.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle == nullptr) return NotLoaded(DlError());
  void* entry = dlsym(handle, ml::kTorchPluginEntryPoint);
  if (entry == nullptr) return NotLoaded(StrCat(path, ": ", DlError()));
  const ml::TorchPluginApi* api = reinterpret_cast<ml::TorchPluginEntry>(entry)();
  // Only the C-layout prefix is read until the ABI strings agree.
  if (api == nullptr || api->abi == nullptr) {
    return NotLoaded(StrCat(path, ": the entry point returned no function table"));
  }
  const char* host_abi = ml::TorchPluginAbi();
  if (api->abi_version != ml::kTorchPluginAbiVersion || std::strcmp(api->abi, host_abi) != 0) {
    return NotLoaded(StrCat(path, " was built for another ABI (plugin: \"", api->abi,
                            "\"; this program: \"", host_abi,
                            "\"); rebuild the plugin together with this program"));
  }
  return api;
}

absl::StatusOr<const ml::TorchPluginApi*> GetTorchPlugin() {
  std::call_once(g_once, [] {
    const std::vector<std::string> candidates = TorchPluginCandidates();
    absl::StatusOr<const ml::TorchPluginApi*> result =
        NotLoaded("the path of this executable is unknown (/proc/self/exe)");
    const bool from_env = std::getenv(kTorchPluginEnv) != nullptr &&
                          *std::getenv(kTorchPluginEnv) != '\0';
    bool found = false;
    for (const std::string& path : candidates) {
      // An explicit path is always tried, so that its dlopen error is the one reported.
      std::error_code ec;
      if (!from_env && !std::filesystem::exists(path, ec)) continue;
      found = true;
      result = LoadTorchPluginFrom(path);
      break;
    }
    if (!found && !candidates.empty()) {
      result = NotLoaded(StrCat("no ", kTorchPluginFileName, " at ", StrJoin(candidates, " or "),
                                " (build the target lepton_torch_plugin, or set ",
                                kTorchPluginEnv, " to its path)"));
    }
    g_loaded = result.ok();
    g_plugin = new absl::StatusOr<const ml::TorchPluginApi*>(std::move(result));
  });
  return *g_plugin;
}

bool TorchPluginLoaded() { return g_loaded.load(); }

}  // namespace lepton::train
