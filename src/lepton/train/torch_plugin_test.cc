#include "lepton/train/torch_plugin.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/features/matrix.h"
#include "lepton/train/learner_factory.h"

namespace lepton::train {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Whether a libtorch library is mapped into this process.
bool TorchMapped() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find("libtorch") != std::string::npos) return true;
  }
  return false;
}

// Taken during static initialisation, i.e. before any test ran, whatever their order: what the
// executable and the libraries it links (lepton::train included) map by themselves.
const bool kTorchMappedAtStart = TorchMapped();

// Test binaries are not in bin/, so they name the plugin of this build (unless the environment
// already names one).
void UseThisBuildsPlugin() { setenv(kTorchPluginEnv, LEPTON_TORCH_PLUGIN_PATH, /*overwrite=*/0); }

// Must stay the first test of this file (gtest runs them in order): it checks that nothing
// before the first torch learner loads libtorch.
TEST(TorchPluginTest, LibtorchIsMappedOnlyWhenTheFirstTorchLearnerIsMade) {
  EXPECT_FALSE(kTorchMappedAtStart);
  ASSERT_FALSE(TorchPluginLoaded()) << "another test loaded the plugin first";
  UseThisBuildsPlugin();

  // Everything that needs no torch code leaves it unloaded.
  LEPTON_ASSERT_OK_AND_ASSIGN(auto xgb, MakeLearner("xgboost", Json::object()));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto logistic, MakeLearner("logistic", Json::object()));
  EXPECT_EQ(ModelFileName("mlp"), "model.mlp");
  EXPECT_EQ(ModelFileName("torchscript"), "model.pt");
  EXPECT_TRUE(SupportsEarlyStopping("mlp"));
  EXPECT_THAT(MakeLearner("torchscript", Json::object()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("torchscript models are imported, not trained")));
  EXPECT_FALSE(TorchPluginLoaded());
  EXPECT_FALSE(TorchMapped());

  const auto start = std::chrono::steady_clock::now();
  LEPTON_ASSERT_OK_AND_ASSIGN(auto mlp, MakeLearner("mlp", {{"hidden_layers", {8}}}));
  const double load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "first MakeLearner(\"mlp\") (plugin + libtorch load): " << load_ms << " ms\n";
  EXPECT_EQ(mlp->flavor(), "mlp");
  EXPECT_EQ(mlp->Params()["hidden_layers"], Json::array({8}));
  EXPECT_TRUE(TorchPluginLoaded());
  EXPECT_TRUE(TorchMapped());
}

TEST(TorchPluginTest, CandidatesAreTheEnvironmentOrBesideTheExecutable) {
  const char* old = std::getenv(kTorchPluginEnv);
  const std::string saved = old != nullptr ? old : "";
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe");

  unsetenv(kTorchPluginEnv);
  EXPECT_THAT(TorchPluginCandidates(),
              ElementsAre((exe.parent_path().parent_path() / "lib" / kTorchPluginFileName).string(),
                          (exe.parent_path() / kTorchPluginFileName).string()));
  setenv(kTorchPluginEnv, "/opt/x/liblepton_torch_plugin.so", 1);
  EXPECT_THAT(TorchPluginCandidates(), ElementsAre("/opt/x/liblepton_torch_plugin.so"));

  if (old != nullptr) {
    setenv(kTorchPluginEnv, saved.c_str(), 1);
  } else {
    unsetenv(kTorchPluginEnv);
  }
}

TEST(TorchPluginTest, AMissingPluginIsFailedPreconditionWithDlopensReason) {
  EXPECT_THAT(LoadTorchPluginFrom("/nonexistent/liblepton_torch_plugin.so"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("the libtorch plugin could not be loaded: "),
                             HasSubstr("/nonexistent/liblepton_torch_plugin.so"),
                             HasSubstr("cannot open shared object file"))));
  // A library without the entry point.
  EXPECT_THAT(LoadTorchPluginFrom("libc.so.6"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("undefined symbol: lepton_torch_plugin_api")));
}

TEST(TorchPluginTest, APluginOfAnotherBuildIsRefusedBeforeItsTableIsUsed) {
  // The stand-in's table has null functions: using it would crash instead of failing.
  EXPECT_THAT(LoadTorchPluginFrom(LEPTON_WRONG_ABI_PLUGIN_PATH),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("was built for another ABI"), HasSubstr("another build"),
                             HasSubstr(ml::TorchPluginAbi()), HasSubstr("rebuild the plugin"))));
}

TEST(TorchPluginTest, ThePluginOfThisBuildHasThisBuildsAbi) {
  UseThisBuildsPlugin();
  LEPTON_ASSERT_OK_AND_ASSIGN(const ml::TorchPluginApi* api,
                              LoadTorchPluginFrom(LEPTON_TORCH_PLUGIN_PATH));
  EXPECT_EQ(api->abi_version, ml::kTorchPluginAbiVersion);
  EXPECT_STREQ(api->abi, ml::TorchPluginAbi());
  EXPECT_THAT(std::string(api->abi),
              HasSubstr(StrCat("lepton-torch-plugin/", ml::kTorchPluginAbiVersion)));
  // dlopen of the same file again is the same library, hence the same table.
  LEPTON_ASSERT_OK_AND_ASSIGN(const ml::TorchPluginApi* process_api, GetTorchPlugin());
  EXPECT_EQ(api, process_api);
}

TEST(TorchPluginTest, PluginErrorsCrossTheBoundaryAsStatus) {
  UseThisBuildsPlugin();
  EXPECT_THAT(MakeLearner("mlp", {{"hiden_layers", {8}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mlp.hiden_layers")));
  EXPECT_THAT(LoadLearner("mlp", "not a model"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LoadLearner("torchscript", "not a model"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// input.csv of export_torchscript.py as a dense matrix with columns f0..f3.
features::FeatureMatrix ReadInput(const std::filesystem::path& path) {
  features::FeatureMatrix x;
  x.columns = {"f0", "f1", "f2", "f3"};
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    for (std::string_view field : Split(line, ',')) {
      x.values.push_back(std::strtof(std::string(field).c_str(), nullptr));
    }
    ++x.rows;
  }
  return x;
}

std::vector<double> ReadColumn(const std::filesystem::path& path) {
  std::vector<double> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) out.push_back(std::strtod(line.c_str(), nullptr));
  return out;
}

TEST(TorchPluginTest, TorchScriptExportedByPyTorchImportsSavesAndLoadsThroughThePlugin) {
  if (std::system(LEPTON_PYTHON3 " -c 'import torch' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << LEPTON_PYTHON3 " cannot import torch (python3-torch)";
  }
  UseThisBuildsPlugin();
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    StrCat("lepton_torch_plugin_test_", getpid());
  std::filesystem::create_directories(dir);
  const std::string command =
      StrCat(LEPTON_PYTHON3, " ", LEPTON_TORCH_EXPORT_SCRIPT, " ", dir.string(), " >/dev/null");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string archive, ReadFile((dir / "binary_prob.pt").string()));
  const features::FeatureMatrix x = ReadInput(dir / "input.csv");
  const std::vector<double> expected = ReadColumn(dir / "binary_prob.csv");
  std::filesystem::remove_all(dir);
  ASSERT_EQ(x.rows, 64);
  ASSERT_EQ(expected.size(), 64u);

  LEPTON_ASSERT_OK_AND_ASSIGN(
      auto imported, ImportTorchScript(archive, {{"num_features", 4}, {"output", "probability"}}));
  EXPECT_EQ(imported->flavor(), "torchscript");
  EXPECT_EQ(imported->task(), ml::Task::kBinary);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string saved, imported->Save());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto loaded, LoadLearner("torchscript", saved));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p_imported, imported->Predict(x));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p, loaded->Predict(x));
  EXPECT_EQ(p, p_imported);  // bit-identical after Save/LoadLearner
  ASSERT_EQ(p.size(), 64u);
  for (size_t r = 0; r < p.size(); ++r) EXPECT_NEAR(p[r], expected[r], 1e-6) << "row " << r;

  // The raw archive is not the saved format, and a wrong signature is refused by the dummy run.
  EXPECT_THAT(LoadLearner("torchscript", archive), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ImportTorchScript(archive, {{"num_features", 5}, {"output", "probability"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Run by the ctest `train_torch_plugin_missing_test` with LEPTON_TORCH_PLUGIN naming a file that
// does not exist (skipped otherwise, as this process loads the real plugin).
TEST(TorchPluginMissingTest, TorchFlavorsSayThePluginCouldNotBeLoaded) {
  const char* env = std::getenv(kTorchPluginEnv);
  if (env == nullptr || std::string(env) != "/nonexistent/liblepton_torch_plugin.so") {
    GTEST_SKIP() << "needs LEPTON_TORCH_PLUGIN=/nonexistent/liblepton_torch_plugin.so";
  }
  EXPECT_THAT(MakeLearner("mlp", Json::object()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("flavor mlp: the libtorch plugin could not be loaded: "
                                 "/nonexistent/liblepton_torch_plugin.so: cannot open shared "
                                 "object file")));
  EXPECT_THAT(LoadLearner("torchscript", "x"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("flavor torchscript: the libtorch plugin could not be loaded")));
  // The other flavors do not need it.
  EXPECT_OK(MakeLearner("xgboost", Json::object()).status());
  EXPECT_FALSE(TorchPluginLoaded());
  EXPECT_FALSE(TorchMapped());
}

}  // namespace
}  // namespace lepton::train
