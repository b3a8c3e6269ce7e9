#include "lepton/ml/torch/torchscript.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::ml {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A numeric CSV without header, one vector per line.
std::vector<std::vector<double>> ReadCsv(const std::filesystem::path& path) {
  std::vector<std::vector<double>> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<double> row;
    for (std::string_view field : Split(line, ',')) {
      row.push_back(std::strtod(std::string(field).c_str(), nullptr));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// Runs testdata/export_torchscript.py once per test binary with Debian's python3 (python3-torch)
// into a temporary folder; the tests skip when that python cannot import torch.
class TorchScriptTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::system(LEPTON_PYTHON3 " -c 'import torch' >/dev/null 2>&1") != 0) {
      skip_reason_ = new std::string(LEPTON_PYTHON3 " cannot import torch (python3-torch)");
      return;
    }
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     StrCat("lepton_torchscript_test_", getpid()));
    std::filesystem::create_directories(*dir_);
    const std::string command =
        StrCat(LEPTON_PYTHON3, " ", LEPTON_TORCH_EXPORT_SCRIPT, " ", dir_->string(), " >/dev/null");
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr) std::filesystem::remove_all(*dir_);
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (skip_reason_ != nullptr) GTEST_SKIP() << *skip_reason_;
    ASSERT_NE(dir_, nullptr);
  }

  static std::string Model(std::string_view name) { return ReadFile(*dir_ / StrCat(name, ".pt")); }
  static std::vector<std::vector<double>> Expected(std::string_view name) {
    return ReadCsv(*dir_ / StrCat(name, ".csv"));
  }
  // input.csv as a dense matrix with columns f0..f3.
  static features::FeatureMatrix Input() {
    features::FeatureMatrix x;
    x.columns = {"f0", "f1", "f2", "f3"};
    std::ifstream in(*dir_ / "input.csv");
    std::string line;
    while (std::getline(in, line)) {
      for (std::string_view field : Split(line, ',')) {
        x.values.push_back(std::strtof(std::string(field).c_str(), nullptr));
      }
      ++x.rows;
    }
    return x;
  }
  static TorchScriptSignature Signature(TorchScriptOutput output) {
    TorchScriptSignature s;
    s.num_features = 4;
    s.output = output;
    return s;
  }

  // Imports `name` with `output` and checks every prediction against PyTorch's within 1e-6.
  static void ExpectMatchesPyTorch(std::string_view name, TorchScriptOutput output, Task task) {
    LEPTON_ASSERT_OK_AND_ASSIGN(auto model,
                                TorchScriptLearner::Load(Model(name), Signature(output)));
    EXPECT_EQ(model->task(), task);
    const features::FeatureMatrix x = Input();
    ASSERT_EQ(x.rows, 64);
    LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p, model->Predict(x));
    const std::vector<std::vector<double>> expected = Expected(name);
    ASSERT_EQ(expected.size(), 64u);
    const size_t k = expected[0].size();
    ASSERT_EQ(p.size(), 64 * k);
    for (size_t r = 0; r < expected.size(); ++r) {
      for (size_t c = 0; c < k; ++c) {
        EXPECT_NEAR(p[r * k + c], expected[r][c], 1e-6) << name << " row " << r << " col " << c;
      }
    }
  }

  static std::string* skip_reason_;
  static std::filesystem::path* dir_;
};

std::string* TorchScriptTest::skip_reason_ = nullptr;
std::filesystem::path* TorchScriptTest::dir_ = nullptr;

TEST_F(TorchScriptTest, ScriptedBinaryProbabilityMatchesPyTorch) {
  ExpectMatchesPyTorch("binary_prob", TorchScriptOutput::kProbability, Task::kBinary);
}

TEST_F(TorchScriptTest, TracedLogitGetsSigmoidAndMatchesPyTorch) {
  ExpectMatchesPyTorch("logit", TorchScriptOutput::kLogit, Task::kBinary);
}

TEST_F(TorchScriptTest, MulticlassProbabilitiesMatchPyTorch) {
  ExpectMatchesPyTorch("multiclass", TorchScriptOutput::kProbabilities, Task::kMulticlass);
  LEPTON_ASSERT_OK_AND_ASSIGN(
      auto model,
      TorchScriptLearner::Load(Model("multiclass"), Signature(TorchScriptOutput::kProbabilities)));
  EXPECT_EQ(model->num_classes(), 3);
}

TEST_F(TorchScriptTest, RegressionValueMatchesPyTorch) {
  ExpectMatchesPyTorch("regression", TorchScriptOutput::kValue, Task::kRegression);
}

TEST_F(TorchScriptTest, SaveLoadPredictsBitIdentically) {
  TorchScriptSignature sig = Signature(TorchScriptOutput::kProbabilities);
  sig.feature_names = {"f0", "f1", "f2", "f3"};
  LEPTON_ASSERT_OK_AND_ASSIGN(auto model, TorchScriptLearner::Load(Model("multiclass"), sig));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string saved, model->Save());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto loaded, TorchScriptLearner::Load(saved));
  EXPECT_EQ(loaded->signature().ToJson(), model->signature().ToJson());
  EXPECT_EQ(loaded->Params(), model->Params());
  const features::FeatureMatrix x = Input();
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> a, model->Predict(x));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> b, loaded->Predict(x));
  EXPECT_EQ(a, b);  // exact
}

TEST_F(TorchScriptTest, WrongFeatureCountIsRejectedAtImport) {
  TorchScriptSignature sig = Signature(TorchScriptOutput::kProbability);
  sig.num_features = 5;
  EXPECT_THAT(
      TorchScriptLearner::Load(Model("binary_prob"), sig),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("[2, 5] float32 batch failed"), HasSubstr("declares 5 features"))));
}

TEST_F(TorchScriptTest, WrongOutputKindIsRejectedWithExpectedAndActualShape) {
  EXPECT_THAT(
      TorchScriptLearner::Load(Model("binary_prob"), Signature(TorchScriptOutput::kProbabilities)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("declared \"probabilities\" expects shape [2, K >= 2]"),
                     HasSubstr("returned [2, 1]"))));
  EXPECT_THAT(
      TorchScriptLearner::Load(Model("multiclass"), Signature(TorchScriptOutput::kProbability)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("expects shape [2] or [2, 1]"), HasSubstr("returned [2, 3]"))));
  TorchScriptSignature four_classes = Signature(TorchScriptOutput::kProbabilities);
  four_classes.num_classes = 4;
  EXPECT_THAT(TorchScriptLearner::Load(Model("multiclass"), four_classes),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("returned [2, 3]")));
  // Log-odds declared as a probability: the dummy batch gives values outside [0, 1].
  EXPECT_THAT(TorchScriptLearner::Load(Model("logit"), Signature(TorchScriptOutput::kProbability)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("declare \"logit\"")));
  // A regression value declared as probabilities.
  EXPECT_THAT(
      TorchScriptLearner::Load(Model("regression"), Signature(TorchScriptOutput::kProbabilities)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("returned [2]")));
}

TEST_F(TorchScriptTest, CorruptedBytesAreInvalidArgumentNeverACrash) {
  const std::string good = Model("binary_prob");
  const TorchScriptSignature sig = Signature(TorchScriptOutput::kProbability);
  EXPECT_THAT(TorchScriptLearner::Load("", sig), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TorchScriptLearner::Load("definitely not a model", sig),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TorchScriptLearner::Load(good.substr(0, good.size() / 2), sig),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TorchScriptLearner::Load(good.substr(0, good.size() - 10), sig),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Byte flips across the archive: each either fails with InvalidArgument or (where the zip
  // format does not notice, e.g. in a file comment) loads and still predicts like PyTorch.
  int rejected = 0;
  for (size_t pos = 0; pos < good.size(); pos += 97) {
    std::string bad = good;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x5a);
    absl::StatusOr<std::unique_ptr<TorchScriptLearner>> m = TorchScriptLearner::Load(bad, sig);
    if (!m.ok()) {
      EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << m.status();
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
  // A corrupted saved container.
  LEPTON_ASSERT_OK_AND_ASSIGN(auto model, TorchScriptLearner::Load(good, sig));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string saved, model->Save());
  EXPECT_THAT(TorchScriptLearner::Load(saved.substr(0, saved.size() - 1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
  EXPECT_THAT(TorchScriptLearner::Load(std::string_view(good)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad magic")));
}

TEST_F(TorchScriptTest, PredictChecksColumnsAndInput) {
  TorchScriptSignature sig = Signature(TorchScriptOutput::kProbability);
  sig.feature_names = {"f0", "f1", "f2", "f3"};
  LEPTON_ASSERT_OK_AND_ASSIGN(auto model, TorchScriptLearner::Load(Model("binary_prob"), sig));
  features::FeatureMatrix x = Input();
  x.columns[2] = "other";
  EXPECT_THAT(model->Predict(x),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("column 2 is \"other\"")));
  features::FeatureMatrix nan = Input();
  nan.values[5] = std::nanf("");
  EXPECT_THAT(model->Predict(nan), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NaN")));
  features::FeatureMatrix three;
  three.rows = 1;
  three.columns = {"a", "b", "c"};
  three.values = {1, 2, 3};
  LEPTON_ASSERT_OK_AND_ASSIGN(
      auto unnamed,
      TorchScriptLearner::Load(Model("binary_prob"), Signature(TorchScriptOutput::kProbability)));
  EXPECT_THAT(unnamed->Predict(three),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("3 columns")));
  // CSR input is densified and predicts as the dense matrix does.
  const features::FeatureMatrix dense = Input();
  features::FeatureMatrix csr;
  csr.rows = dense.rows;
  csr.columns = dense.columns;
  csr.sparse = true;
  csr.row_offsets.push_back(0);
  for (int64_t r = 0; r < dense.rows; ++r) {
    for (int64_t c = 0; c < dense.cols(); ++c) {
      if (c != 1) {  // leave column 1 absent (0)
        csr.values.push_back(dense.At(r, c));
        csr.col_indices.push_back(static_cast<uint32_t>(c));
      }
    }
    csr.row_offsets.push_back(static_cast<int64_t>(csr.values.size()));
  }
  features::FeatureMatrix zeroed = dense;
  for (int64_t r = 0; r < dense.rows; ++r) zeroed.values[r * 4 + 1] = 0;
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> from_csr, model->Predict(csr));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> from_dense, model->Predict(zeroed));
  EXPECT_EQ(from_csr, from_dense);
}

TEST_F(TorchScriptTest, FitIsFailedPrecondition) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      auto model,
      TorchScriptLearner::Load(Model("regression"), Signature(TorchScriptOutput::kValue)));
  const features::FeatureMatrix x = Input();
  std::vector<double> y(64, 1.0);
  EXPECT_THAT(model->Fit({&x, y, {}}, nullptr, FitContext{}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("torchscript models are imported, not trained")));
}

TEST_F(TorchScriptTest, ConcurrentPredictMatchesSingleThreaded) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      auto model,
      TorchScriptLearner::Load(Model("multiclass"), Signature(TorchScriptOutput::kProbabilities)));
  const features::FeatureMatrix x = Input();
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::vector<double> expected, model->Predict(x));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        absl::StatusOr<std::vector<double>> p = model->Predict(x);
        if (!p.ok() || *p != expected) ++mismatches[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(TorchScriptSignatureTest, FromJsonValidatesAndRoundTrips) {
  LEPTON_ASSERT_OK_AND_ASSIGN(TorchScriptSignature s,
                              TorchScriptSignature::FromJson(Json{{"num_features", 2},
                                                                  {"feature_names", {"a", "b"}},
                                                                  {"output", "probabilities"},
                                                                  {"num_classes", 3}}));
  EXPECT_EQ(s.num_features, 2);
  EXPECT_EQ(s.output, TorchScriptOutput::kProbabilities);
  EXPECT_EQ(s.num_classes, 3);
  LEPTON_ASSERT_OK_AND_ASSIGN(TorchScriptSignature again,
                              TorchScriptSignature::FromJson(s.ToJson()));
  EXPECT_EQ(again.ToJson(), s.ToJson());

  EXPECT_THAT(TorchScriptSignature::FromJson(Json{{"num_features", 2}, {"output", "score"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signature.output")));
  EXPECT_THAT(TorchScriptSignature::FromJson(Json{{"output", "value"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("num_features")));
  EXPECT_THAT(
      TorchScriptSignature::FromJson(Json{{"num_features", 2}, {"output", "value"}, {"extra", 1}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("extra")));
  EXPECT_THAT(TorchScriptSignature::FromJson(
                  Json{{"num_features", 2}, {"output", "value"}, {"dtype", "float64"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signature.dtype")));
  EXPECT_THAT(TorchScriptSignature::FromJson(
                  Json{{"num_features", 3}, {"feature_names", {"a"}}, {"output", "value"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 names for 3")));
  EXPECT_THAT(TorchScriptSignature::FromJson(
                  Json{{"num_features", 3}, {"output", "value"}, {"num_classes", 3}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signature.num_classes")));
}

}  // namespace
}  // namespace lepton::ml
