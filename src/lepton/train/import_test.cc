#include "lepton/train/import.h"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/train/torch_plugin.h"

namespace lepton::train {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

// Debian's interpreter, with python3-xgboost and python3-torch (scripts/install-deps.sh).
constexpr char kPython3[] = "/usr/bin/python3";

// Trains small boosters with Python's xgboost and writes, to argv[1]:
//   <name>.json, <name>.ubj   the booster (Booster.save_model)
//   expected.json             {<name>: {"x": rows, "p": Booster.predict(rows)}}
// binary: 200 x 4, 20 trees; multiclass (softprob) and softmax: 150 x 3, 3 classes, 10 rounds
// each (softmax's expected values are softprob's, from the same trees); regression: 100 x 3,
// 10 trees; named: binary with feature names a, b, c, d; logitraw, poisson: other objectives;
// legacy.bin: the binary model in XGBoost's deprecated binary format.
constexpr char kXGBoostScript[] = R"py(
import json, sys
import numpy as np
import xgboost as xgb

out = sys.argv[1]
rng = np.random.default_rng(7)
expected = {}

def rows(n, k):
    return rng.standard_normal((n, k)).astype(np.float32)

def train(name, params, x, y, rounds, **dmatrix):
    params = dict(params, max_depth=3, eta=0.3, nthread=1, seed=0)
    booster = xgb.train(params, xgb.DMatrix(x, label=y, **dmatrix), rounds)
    booster.save_model(f"{out}/{name}.json")
    booster.save_model(f"{out}/{name}.ubj")
    return booster

def record(name, booster, x):
    expected[name] = {"x": x.tolist(), "p": booster.predict(xgb.DMatrix(x)).tolist()}

x = rows(200, 4)
y = ((x[:, 0] + x[:, 1] * x[:, 2]) > 0).astype(np.float32)
binary = train("binary", {"objective": "binary:logistic"}, x, y, 20)
record("binary", binary, x)
with open(f"{out}/legacy.bin", "wb") as f:
    f.write(binary.save_raw(raw_format="deprecated"))
train("named", {"objective": "binary:logistic"}, x, y, 5, feature_names=["a", "b", "c", "d"])
train("logitraw", {"objective": "binary:logitraw"}, x, y, 3)

x = rows(150, 3)
y = np.argmax(x + rng.standard_normal((150, 3)).astype(np.float32) * 0.5, axis=1)
multiclass = train("multiclass", {"objective": "multi:softprob", "num_class": 3}, x, y, 10)
record("multiclass", multiclass, x)
softmax = train("softmax", {"objective": "multi:softmax", "num_class": 3}, x, y, 10)
softmax.set_param({"objective": "multi:softprob"})
record("softmax", softmax, x)

x = rows(100, 3)
y = 3 * x[:, 0] - 2 * x[:, 1] * x[:, 2] + 1
record("regression", train("regression", {"objective": "reg:squarederror"}, x, y, 10), x)
train("poisson", {"objective": "count:poisson"}, x, np.abs(np.round(y)), 3)

with open(f"{out}/expected.json", "w") as f:
    json.dump(expected, f)
)py";

// The files a Python script wrote into a fresh temporary folder (read into memory, folder
// removed), or why they are not there.
struct PythonOutput {
  std::string skip_reason;  // non-empty: skip (the module is not installed)
  std::string error;        // non-empty: the script failed
  std::map<std::string, std::string> files;
};

PythonOutput RunPython(std::string_view module, std::string_view tag,
                       const std::string& script_path_or_empty, std::string_view script) {
  PythonOutput out;
  if (std::system(StrCat(kPython3, " -c 'import ", module, "' >/dev/null 2>&1").c_str()) != 0) {
    out.skip_reason = StrCat(kPython3, " cannot import ", module, " (python3-", module, ")");
    return out;
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / StrCat("lepton_import_test_", tag, "_", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string script_path = script_path_or_empty;
  if (script_path.empty()) {
    script_path = (dir / "script.py").string();
    const absl::Status written = WriteFileAtomically(script_path, script);
    LEPTON_CHECK_OK(written);
  }
  const std::string command = StrCat(kPython3, " ", script_path, " ", dir.string(), " >/dev/null");
  if (std::system(command.c_str()) != 0) {
    out.error = StrCat("failed: ", command);
  } else {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      absl::StatusOr<std::string> bytes = ReadFile(entry.path().string());
      LEPTON_CHECK_OK(bytes.status());
      out.files[entry.path().filename().string()] = std::move(*bytes);
    }
  }
  std::filesystem::remove_all(dir);
  return out;
}

// Run once per process, shared by the tests (training in Python takes a few seconds).
const PythonOutput& XGBoostModels() {
  static const PythonOutput* out =
      new PythonOutput(RunPython("xgboost", "xgb", "", kXGBoostScript));
  return *out;
}

// ml/torch/testdata/export_torchscript.py's models and PyTorch's outputs (see its docstring).
const PythonOutput& TorchModels() {
  static const PythonOutput* out = new PythonOutput(RunPython(
      "torch", "torch",
      StrCat(LEPTON_SOURCE_DIR, "/src/lepton/ml/torch/testdata/export_torchscript.py"), ""));
  return *out;
}

#define LEPTON_REQUIRE_PYTHON(output)                                        \
  do {                                                                       \
    if (!(output).skip_reason.empty()) GTEST_SKIP() << (output).skip_reason; \
    ASSERT_TRUE((output).error.empty()) << (output).error;                   \
  } while (0)

const std::string& File(const PythonOutput& output, const std::string& name) {
  static const std::string* missing = new std::string;
  auto it = output.files.find(name);
  EXPECT_NE(it, output.files.end()) << name << " was not written";
  return it == output.files.end() ? *missing : it->second;
}

std::vector<lake::Field> DoubleInputs(const std::vector<std::string>& names) {
  std::vector<lake::Field> fields;
  for (const std::string& n : names) fields.push_back({n, lake::DataType::kDouble, true});
  return fields;
}

ImportSignature Signature(std::vector<lake::Field> inputs, ml::Task task,
                          std::vector<std::string> classes) {
  ImportSignature s;
  s.inputs = std::move(inputs);
  s.task = task;
  s.classes = std::move(classes);
  s.target = "y";
  return s;
}

// A batch of double columns named after `signature`'s inputs, one row per entry of `rows`.
lake::RecordBatch Batch(const ImportSignature& signature,
                        const std::vector<std::vector<double>>& rows) {
  std::vector<lake::Field> fields = signature.inputs;
  std::vector<lake::Column> columns;
  for (lake::Field& f : fields) {
    f.type = lake::DataType::kDouble;
    columns.emplace_back(lake::DataType::kDouble);
  }
  for (const std::vector<double>& row : rows) {
    LEPTON_CHECK(row.size() == columns.size());
    for (size_t c = 0; c < row.size(); ++c) columns[c].AppendDouble(row[c]);
  }
  absl::StatusOr<lake::RecordBatch> batch =
      lake::RecordBatch::Make(lake::Schema(std::move(fields)), std::move(columns));
  LEPTON_CHECK_OK(batch.status());
  return std::move(*batch);
}

std::vector<std::vector<double>> Rows(const Json& x) {
  return x.get<std::vector<std::vector<double>>>();
}

// Every value of `actual` within 1e-6 of `expected`; returns how many are bit-identical.
size_t ExpectClose(const std::vector<double>& actual, const std::vector<double>& expected) {
  EXPECT_EQ(actual.size(), expected.size());
  size_t identical = 0;
  for (size_t i = 0; i < std::min(actual.size(), expected.size()); ++i) {
    EXPECT_NEAR(actual[i], expected[i], 1e-6) << "value " << i;
    identical += std::bit_cast<uint64_t>(actual[i]) == std::bit_cast<uint64_t>(expected[i]);
  }
  return identical;
}

std::string TempDir(std::string_view name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / StrCat("lepton_import_test_", name, "_", getpid());
  std::filesystem::remove_all(dir);
  return dir.string();
}

// Saves `model`, loads it back and checks that the bundle and the predictions on `batch` are
// bit-identical.
void ExpectSaveLoadRoundTrip(const Model& model, const lake::RecordBatch& batch,
                             std::string_view name) {
  const std::string dir = TempDir(name);
  ASSERT_OK(model.Save(dir));
  absl::StatusOr<Model> loaded = Model::Load(dir);
  std::filesystem::remove_all(dir);
  ASSERT_OK(loaded.status());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto files, model.Files());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto loaded_files, loaded->Files());
  EXPECT_EQ(loaded_files, files);
  LEPTON_ASSERT_OK_AND_ASSIGN(Predictions before, model.Predict(batch));
  LEPTON_ASSERT_OK_AND_ASSIGN(Predictions after, loaded->Predict(batch));
  ASSERT_EQ(before.scores.size(), after.scores.size());
  for (size_t i = 0; i < before.scores.size(); ++i) {
    ASSERT_EQ(std::bit_cast<uint64_t>(before.scores[i]), std::bit_cast<uint64_t>(after.scores[i]))
        << i;
  }
  EXPECT_EQ(before.labels, after.labels);
}

// --- The signature. ---

TEST(ImportSignatureTest, FromJsonReadsEveryFieldAndRoundTrips) {
  const Json j = {
      {"inputs", {{{"name", "age"}, {"type", "int64"}}, {{"name", "income"}, {"type", "double"}}}},
      {"task", "binary"},
      {"classes", {"good", "bad"}},
      {"threshold", 0.3},
      {"target", "risk"},
      {"output", "logit"}};
  LEPTON_ASSERT_OK_AND_ASSIGN(ImportSignature s, ImportSignature::FromJson(j));
  ASSERT_EQ(s.inputs.size(), 2u);
  EXPECT_EQ(s.inputs[0].name, "age");
  EXPECT_EQ(s.inputs[0].type, lake::DataType::kInt64);
  EXPECT_EQ(s.inputs[1].type, lake::DataType::kDouble);
  EXPECT_EQ(s.task, ml::Task::kBinary);
  EXPECT_EQ(s.classes, (std::vector<std::string>{"good", "bad"}));
  EXPECT_EQ(s.threshold, 0.3);
  EXPECT_EQ(s.target, "risk");
  EXPECT_EQ(s.output, "logit");
  EXPECT_EQ(s.ToJson(), j);

  LEPTON_ASSERT_OK_AND_ASSIGN(
      ImportSignature minimal,
      ImportSignature::FromJson(
          {{"inputs", {{{"name", "v"}, {"type", "float"}}}}, {"task", "regression"}}));
  EXPECT_EQ(minimal.threshold, 0.5);
  EXPECT_TRUE(minimal.classes.empty());
  EXPECT_TRUE(minimal.output.empty());
}

TEST(ImportSignatureTest, ErrorsNameTheJsonPath) {
  const Json good = {
      {"inputs", {{{"name", "a"}, {"type", "double"}}, {{"name", "b"}, {"type", "int32"}}}},
      {"task", "binary"},
      {"classes", {"no", "yes"}}};
  ASSERT_OK(ImportSignature::FromJson(good).status());
  auto refused = [&](const std::function<void(Json&)>& change, const std::string& message) {
    Json j = good;
    change(j);
    EXPECT_THAT(ImportSignature::FromJson(j),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << j.dump();
  };
  refused([](Json& j) { j.erase("inputs"); }, "signature.inputs: required field is missing");
  refused([](Json& j) { j["inputs"] = "a,b"; }, "signature.inputs: expected an array");
  refused([](Json& j) { j["inputs"] = Json::array(); },
          "signature.inputs: at least one input is required");
  refused([](Json& j) { j["inputs"][1].erase("name"); },
          "signature.inputs[1].name: required field is missing");
  refused([](Json& j) { j["inputs"][1]["type"] = "decimal"; }, "signature.inputs[1].type");
  refused([](Json& j) { j["inputs"][1]["type"] = "string"; },
          "signature.inputs[1].type: \"string\" (input \"b\") is not numeric");
  refused([](Json& j) { j["inputs"][1]["type"] = "timestamp"; }, "is not numeric");
  refused([](Json& j) { j["inputs"][1]["name"] = "a"; },
          "signature.inputs[1].name: \"a\" is declared more than once");
  refused([](Json& j) { j["inputs"][0]["width"] = 3; }, "signature.inputs[0]");
  refused([](Json& j) { j["task"] = "ranking"; }, "signature.task");
  refused([](Json& j) { j["threshold"] = "high"; }, "signature.threshold: expected a number");
  refused([](Json& j) { j["threshold"] = 1.5; },
          "signature.threshold: expected a number in [0, 1]");
  refused([](Json& j) { j["classes"] = {"yes"}; },
          "signature.classes: a binary model needs 2 classes [negative, positive], got 1");
  refused(
      [](Json& j) {
        j["classes"] = {"x", "x"};
      },
      "signature.classes[1]: \"x\" is listed more than once");
  refused(
      [](Json& j) {
        j["task"] = "multiclass";
        j["classes"] = {"only"};
      },
      "signature.classes: a multiclass model needs at least 2 classes, got 1");
  refused([](Json& j) { j["task"] = "regression"; },
          "signature.classes: a regression model has no classes, got 2");
  refused([](Json& j) { j["output"] = "value"; },
          "signature.output: \"value\" does not fit a binary model (expected probability or "
          "logit)");
  refused([](Json& j) { j["extra"] = 1; }, "extra");
  EXPECT_THAT(ImportSignature::FromJson(Json::array()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("signature")));
}

// --- XGBoost models trained by Python's xgboost. ---

TEST(ImportModelXGBoostTest, BinaryJsonAndUbjPredictLikePythonAndSaveAsABundle) {
  LEPTON_REQUIRE_PYTHON(XGBoostModels());
  LEPTON_ASSERT_OK_AND_ASSIGN(Json expected, ParseJson(File(XGBoostModels(), "expected.json")));
  ImportSignature sig =
      Signature(DoubleInputs({"x0", "x1", "x2", "x3"}), ml::Task::kBinary, {"no", "yes"});
  sig.threshold = 0.4;
  const lake::RecordBatch batch = Batch(sig, Rows(expected["binary"]["x"]));
  const std::vector<double> p = expected["binary"]["p"].get<std::vector<double>>();
  ASSERT_EQ(p.size(), 200u);
  for (const std::string file : {"binary.json", "binary.ubj"}) {
    SCOPED_TRACE(file);
    LEPTON_ASSERT_OK_AND_ASSIGN(Model model,
                                ImportModel("xgboost", File(XGBoostModels(), file), sig));
    EXPECT_EQ(model.flavor(), "xgboost");
    EXPECT_EQ(model.task(), ml::Task::kBinary);
    EXPECT_EQ(model.classes(), (std::vector<std::string>{"no", "yes"}));
    EXPECT_EQ(model.threshold(), 0.4);
    EXPECT_EQ(model.target(), "y");
    EXPECT_EQ(model.metrics(), Json::object());
    EXPECT_EQ(model.lineage().split, (Json{{"source", "import"}}));
    EXPECT_EQ(model.lineage().rows, 0);
    EXPECT_EQ(model.run_id(), "");
    EXPECT_EQ(model.pipeline().output_columns(),
              (std::vector<std::string>{"x0", "x1", "x2", "x3"}));
    EXPECT_EQ(model.learner().Params()["boosted_rounds"], 20);
    LEPTON_ASSERT_OK_AND_ASSIGN(Predictions out, model.Predict(batch));
    const size_t identical = ExpectClose(out.scores, p);
    EXPECT_EQ(identical, p.size()) << "predictions not bit-identical to Python's";
    ASSERT_EQ(out.labels.size(), p.size());
    for (size_t r = 0; r < p.size(); ++r) {
      EXPECT_EQ(out.labels[r], p[r] >= 0.4 ? "yes" : "no") << r;
    }
    LEPTON_ASSERT_OK_AND_ASSIGN(auto files, model.Files());
    EXPECT_TRUE(files.contains("model.ubj"));
    LEPTON_ASSERT_OK_AND_ASSIGN(Json manifest, ParseJson(files["manifest.json"]));
    EXPECT_EQ(manifest["input_signature"], (Json{{{"name", "x0"}, {"type", "double"}},
                                                 {{"name", "x1"}, {"type", "double"}},
                                                 {{"name", "x2"}, {"type", "double"}},
                                                 {{"name", "x3"}, {"type", "double"}}}));
    EXPECT_EQ(manifest["lineage"]["split"], (Json{{"source", "import"}}));
    EXPECT_EQ(manifest["params"]["imported"], true);
    ExpectSaveLoadRoundTrip(model, batch, "binary");
  }
}

TEST(ImportModelXGBoostTest, MulticlassSoftprobAndSoftmaxPredictLikePython) {
  LEPTON_REQUIRE_PYTHON(XGBoostModels());
  LEPTON_ASSERT_OK_AND_ASSIGN(Json expected, ParseJson(File(XGBoostModels(), "expected.json")));
  const ImportSignature sig =
      Signature(DoubleInputs({"u", "v", "w"}), ml::Task::kMulticlass, {"red", "green", "blue"});
  for (const std::string name : {"multiclass", "softmax"}) {
    SCOPED_TRACE(name);
    const lake::RecordBatch batch = Batch(sig, Rows(expected[name]["x"]));
    // Python's predict gives [rows, 3]; ours is row-major.
    std::vector<double> p;
    for (const Json& row : expected[name]["p"]) {
      for (const Json& v : row) p.push_back(v.get<double>());
    }
    ASSERT_EQ(p.size(), 450u);
    for (const std::string ext : {".json", ".ubj"}) {
      LEPTON_ASSERT_OK_AND_ASSIGN(Model model,
                                  ImportModel("xgboost", File(XGBoostModels(), name + ext), sig));
      LEPTON_ASSERT_OK_AND_ASSIGN(Predictions out, model.Predict(batch));
      EXPECT_EQ(out.num_classes, 3);
      EXPECT_EQ(ExpectClose(out.scores, p), p.size()) << "predictions not bit-identical";
      ASSERT_EQ(out.labels.size(), 150u);
      for (size_t r = 0; r < 150; ++r) {
        const auto* row = &p[r * 3];
        const size_t best = std::max_element(row, row + 3) - row;
        EXPECT_EQ(out.labels[r], sig.classes[best]) << r;
      }
      ExpectSaveLoadRoundTrip(model, batch, name);
    }
  }
}

TEST(ImportModelXGBoostTest, RegressionPredictsLikePython) {
  LEPTON_REQUIRE_PYTHON(XGBoostModels());
  LEPTON_ASSERT_OK_AND_ASSIGN(Json expected, ParseJson(File(XGBoostModels(), "expected.json")));
  ImportSignature sig = Signature({{"a", lake::DataType::kDouble, true},
                                   {"b", lake::DataType::kFloat, true},
                                   {"c", lake::DataType::kDouble, true}},
                                  ml::Task::kRegression, {});
  const lake::RecordBatch batch = Batch(sig, Rows(expected["regression"]["x"]));
  const std::vector<double> p = expected["regression"]["p"].get<std::vector<double>>();
  LEPTON_ASSERT_OK_AND_ASSIGN(Model model,
                              ImportModel("xgboost", File(XGBoostModels(), "regression.ubj"), sig));
  EXPECT_EQ(model.task(), ml::Task::kRegression);
  LEPTON_ASSERT_OK_AND_ASSIGN(Predictions out, model.Predict(batch));
  EXPECT_EQ(ExpectClose(out.scores, p), p.size()) << "predictions not bit-identical";
  EXPECT_TRUE(out.labels.empty());
  ExpectSaveLoadRoundTrip(model, batch, "regression");
}

TEST(ImportModelXGBoostTest, RefusesModelsThatDoNotFitTheSignature) {
  LEPTON_REQUIRE_PYTHON(XGBoostModels());
  const std::string& binary = File(XGBoostModels(), "binary.json");
  const ImportSignature good =
      Signature(DoubleInputs({"x0", "x1", "x2", "x3"}), ml::Task::kBinary, {"no", "yes"});
  ASSERT_OK(ImportModel("xgboost", binary, good).status());

  EXPECT_THAT(ImportModel("onnx", binary, good),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("import flavor \"onnx\": expected one of \"xgboost\", "
                                 "\"torchscript\"")));
  // Not a model.
  EXPECT_THAT(ImportModel("xgboost", "hello", good),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not an XGBoost JSON or UBJSON model")));
  EXPECT_THAT(ImportModel("xgboost", File(XGBoostModels(), "legacy.bin"), good),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the legacy binary format is not supported")));
  EXPECT_THAT(ImportModel("xgboost", File(XGBoostModels(), "expected.json"), good),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("xgboost model: learner: expected an object")));
  const std::string& ubj = File(XGBoostModels(), "binary.ubj");
  EXPECT_THAT(ImportModel("xgboost", ubj.substr(0, ubj.size() / 2), good),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a well-formed XGBoost UBJSON model")));
  // Inputs that are not the model's.
  EXPECT_THAT(
      ImportModel("xgboost", binary,
                  Signature(DoubleInputs({"x0", "x1", "x2"}), ml::Task::kBinary, {"no", "yes"})),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("the model has 4 features but 3 inputs are declared")));
  ImportSignature text = good;
  text.inputs[2].type = lake::DataType::kString;
  EXPECT_THAT(ImportModel("xgboost", binary, text),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("signature.inputs[2].type: \"string\" (input \"x2\") is not "
                                 "numeric")));
  EXPECT_THAT(
      ImportModel("xgboost", File(XGBoostModels(), "named.json"),
                  Signature(DoubleInputs({"a", "c", "b", "d"}), ml::Task::kBinary, {"no", "yes"})),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("the model's feature 1 is named \"b\" but input 1 is declared "
                         "as \"c\"")));
  ASSERT_OK(
      ImportModel("xgboost", File(XGBoostModels(), "named.ubj"),
                  Signature(DoubleInputs({"a", "b", "c", "d"}), ml::Task::kBinary, {"no", "yes"}))
          .status());
  // Objectives that do not fit the task.
  EXPECT_THAT(
      ImportModel("xgboost", binary,
                  Signature(DoubleInputs({"x0", "x1", "x2", "x3"}), ml::Task::kRegression, {})),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("objective \"binary:logistic\" does not fit a regression model")));
  EXPECT_THAT(ImportModel("xgboost", File(XGBoostModels(), "logitraw.json"), good),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("objective \"binary:logitraw\" does not fit a binary model "
                                 "(expected binary:logistic)")));
  EXPECT_THAT(ImportModel("xgboost", File(XGBoostModels(), "poisson.json"),
                          Signature(DoubleInputs({"a", "b", "c"}), ml::Task::kRegression, {})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("objective \"count:poisson\" does not fit a regression model")));
  EXPECT_THAT(
      ImportModel("xgboost", File(XGBoostModels(), "multiclass.json"),
                  Signature(DoubleInputs({"a", "b", "c"}), ml::Task::kBinary, {"no", "yes"})),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("objective \"multi:softprob\" does not fit a binary model")));
  // Class counts that do not fit the task or the model.
  EXPECT_THAT(
      ImportModel(
          "xgboost", binary,
          Signature(DoubleInputs({"x0", "x1", "x2", "x3"}), ml::Task::kBinary, {"a", "b", "c"})),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a binary model needs 2 classes")));
  EXPECT_THAT(ImportModel("xgboost", File(XGBoostModels(), "multiclass.ubj"),
                          Signature(DoubleInputs({"a", "b", "c"}), ml::Task::kMulticlass,
                                    {"w", "x", "y", "z"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the model has 3 classes but 4 are declared")));
  EXPECT_THAT(
      ImportModel("xgboost", File(XGBoostModels(), "regression.json"),
                  Signature(DoubleInputs({"a", "b", "c"}), ml::Task::kRegression, {"low", "high"})),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("a regression model has no classes, got 2")));
  ImportSignature with_output = good;
  with_output.output = "logit";
  EXPECT_THAT(ImportModel("xgboost", binary, with_output),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("signature.output: only for torchscript models")));
}

// --- TorchScript exported by PyTorch. ---

void UseThisBuildsTorchPlugin() {
  setenv(kTorchPluginEnv, LEPTON_TORCH_PLUGIN_PATH, /*overwrite=*/0);
}

std::vector<std::vector<double>> ReadCsv(const std::string& text) {
  std::vector<std::vector<double>> rows;
  std::istringstream in(text);
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

TEST(ImportModelTorchScriptTest, PredictsLikePyTorchAndSavesAsABundle) {
  LEPTON_REQUIRE_PYTHON(TorchModels());
  UseThisBuildsTorchPlugin();
  const std::vector<std::vector<double>> x = ReadCsv(File(TorchModels(), "input.csv"));
  ASSERT_EQ(x.size(), 64u);
  struct Case {
    std::string name;
    ml::Task task;
    std::vector<std::string> classes;
    std::string output;
  };
  for (const Case& c : {Case{"binary_prob", ml::Task::kBinary, {"neg", "pos"}, ""},
                        Case{"logit", ml::Task::kBinary, {"neg", "pos"}, "logit"},
                        Case{"multiclass", ml::Task::kMulticlass, {"a", "b", "c"}, ""},
                        Case{"regression", ml::Task::kRegression, {}, ""}}) {
    SCOPED_TRACE(c.name);
    ImportSignature sig = Signature(DoubleInputs({"f0", "f1", "f2", "f3"}), c.task, c.classes);
    sig.output = c.output;
    LEPTON_ASSERT_OK_AND_ASSIGN(
        Model model, ImportModel("torchscript", File(TorchModels(), c.name + ".pt"), sig));
    EXPECT_EQ(model.flavor(), "torchscript");
    EXPECT_EQ(model.task(), c.task);
    const lake::RecordBatch batch = Batch(sig, x);
    std::vector<double> expected;
    for (const std::vector<double>& row : ReadCsv(File(TorchModels(), c.name + ".csv"))) {
      expected.insert(expected.end(), row.begin(), row.end());
    }
    LEPTON_ASSERT_OK_AND_ASSIGN(Predictions out, model.Predict(batch));
    ExpectClose(out.scores, expected);
    LEPTON_ASSERT_OK_AND_ASSIGN(auto files, model.Files());
    EXPECT_TRUE(files.contains("model.pt"));
    ExpectSaveLoadRoundTrip(model, batch, c.name);
  }
}

TEST(ImportModelTorchScriptTest, RefusesModelsThatDoNotFitTheSignature) {
  LEPTON_REQUIRE_PYTHON(TorchModels());
  UseThisBuildsTorchPlugin();
  const std::string& binary = File(TorchModels(), "binary_prob.pt");
  const ImportSignature good =
      Signature(DoubleInputs({"f0", "f1", "f2", "f3"}), ml::Task::kBinary, {"neg", "pos"});
  ASSERT_OK(ImportModel("torchscript", binary, good).status());
  EXPECT_THAT(ImportModel("torchscript", "not a zip", good),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a TorchScript archive")));
  EXPECT_THAT(ImportModel("torchscript", binary.substr(0, binary.size() / 2), good),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ImportModel("torchscript", std::string("PK\x03\x04") + std::string(100, 'x'), good),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("libtorch cannot load it")));
  // Five inputs for a model of four: the dummy run fails.
  EXPECT_THAT(ImportModel("torchscript", binary,
                          Signature(DoubleInputs({"f0", "f1", "f2", "f3", "f4"}), ml::Task::kBinary,
                                    {"neg", "pos"})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A three-class model declared with two classes.
  EXPECT_THAT(ImportModel("torchscript", File(TorchModels(), "multiclass.pt"),
                          Signature(DoubleInputs({"f0", "f1", "f2", "f3"}), ml::Task::kMulticlass,
                                    {"a", "b"})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ImportSignature wrong_output = good;
  wrong_output.output = "probabilities";
  EXPECT_THAT(ImportModel("torchscript", binary, wrong_output),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("signature.output: \"probabilities\" does not fit a binary "
                                 "model")));
  ImportSignature dates = good;
  dates.inputs[0].type = lake::DataType::kDate;
  EXPECT_THAT(ImportModel("torchscript", binary, dates),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not numeric")));
}

}  // namespace
}  // namespace lepton::train
