#include "lepton/train/import.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/features/pipeline.h"
#include "lepton/ml/xgboost/xgboost.h"
#include "lepton/train/learner_factory.h"

namespace lepton::train {
namespace {

constexpr char kPath[] = "signature";

bool IsNumeric(lake::DataType type) {
  switch (type) {
    case lake::DataType::kBool:
    case lake::DataType::kInt32:
    case lake::DataType::kInt64:
    case lake::DataType::kFloat:
    case lake::DataType::kDouble:
      return true;
    case lake::DataType::kString:
    case lake::DataType::kDate:
    case lake::DataType::kTimestamp:
      return false;
  }
  return false;
}

// The TorchScript outputs that fit `task`; the first is the default.
std::vector<std::string_view> OutputsFor(ml::Task task) {
  switch (task) {
    case ml::Task::kBinary:
      return {"probability", "logit"};
    case ml::Task::kMulticlass:
      return {"probabilities"};
    case ml::Task::kRegression:
      return {"value"};
  }
  return {};
}

// Numeric columns passed through as they are: a chain without steps (docs/features.md).
absl::StatusOr<features::Pipeline> PassThroughPipeline(const std::vector<lake::Field>& inputs) {
  Json columns = Json::array();
  for (const lake::Field& f : inputs)
    columns.push_back({{"name", f.name}, {"steps", Json::array()}});
  LEPTON_ASSIGN_OR_RETURN(features::Pipeline pipeline,
                          features::Pipeline::Create({{"columns", columns}}, kPath));
  // Nothing is learned from rows; fitting on an empty batch of the declared schema records the
  // input signature and output columns.
  LEPTON_RETURN_IF_ERROR(pipeline.Fit(lake::RecordBatch(lake::Schema(inputs)), {}));
  return pipeline;
}

absl::StatusOr<std::unique_ptr<ml::Learner>> ImportLearner(std::string_view flavor,
                                                           std::string_view bytes,
                                                           const ImportSignature& signature) {
  std::vector<std::string> names;
  for (const lake::Field& f : signature.inputs) names.push_back(f.name);
  const auto num_classes = static_cast<int>(signature.classes.size());
  if (flavor == "xgboost") {
    if (!signature.output.empty()) {
      return absl::InvalidArgumentError(
          StrCat(kPath,
                 ".output: only for torchscript models (an xgboost model's output "
                 "follows from its objective)"));
    }
    LEPTON_ASSIGN_OR_RETURN(
        std::unique_ptr<ml::XGBoostLearner> learner,
        ml::XGBoostLearner::Import(bytes, signature.task, num_classes, std::move(names)));
    return std::unique_ptr<ml::Learner>(std::move(learner));
  }
  const std::string output =
      signature.output.empty() ? std::string(OutputsFor(signature.task).front()) : signature.output;
  Json torch_signature = {
      {"num_features", names.size()}, {"feature_names", names}, {"output", output}};
  if (signature.task == ml::Task::kMulticlass) torch_signature["num_classes"] = num_classes;
  LEPTON_ASSIGN_OR_RETURN(std::unique_ptr<ml::Learner> learner,
                          ImportTorchScript(bytes, torch_signature));
  if (learner->task() != signature.task) {
    return absl::InternalError(StrCat("imported torchscript model is ",
                                      ml::TaskName(learner->task()), ", declared ",
                                      ml::TaskName(signature.task)));
  }
  return learner;
}

}  // namespace

absl::StatusOr<ImportSignature> ImportSignature::FromJson(const Json& json) {
  JsonFields f(json, kPath);
  ImportSignature s;
  const std::optional<Json> inputs = f.OptionalValue("inputs");
  const std::string task = f.String("task");
  s.classes = f.OptionalStringArray("classes").value_or(std::vector<std::string>{});
  const std::optional<Json> threshold = f.OptionalValue("threshold");
  s.target = f.OptionalString("target").value_or("");
  s.output = f.OptionalString("output").value_or("");
  LEPTON_RETURN_IF_ERROR(f.Finish());
  if (!inputs.has_value()) {
    return absl::InvalidArgumentError(StrCat(kPath, ".inputs: required field is missing"));
  }
  if (!inputs->is_array()) {
    return absl::InvalidArgumentError(
        StrCat(kPath, ".inputs: expected an array of {\"name\", \"type\"} objects"));
  }
  for (size_t i = 0; i < inputs->size(); ++i) {
    const std::string path = StrCat(kPath, ".inputs[", i, "]");
    JsonFields input((*inputs)[i], path);
    lake::Field field;
    field.name = input.String("name");
    const std::string type = input.String("type");
    LEPTON_RETURN_IF_ERROR(input.Finish());
    absl::StatusOr<lake::DataType> parsed = lake::ParseDataType(type);
    if (!parsed.ok()) return Annotate(parsed.status(), StrCat(path, ".type"));
    field.type = *parsed;
    s.inputs.push_back(std::move(field));
  }
  absl::StatusOr<ml::Task> parsed_task = ml::ParseTask(task);
  if (!parsed_task.ok()) return Annotate(parsed_task.status(), StrCat(kPath, ".task"));
  s.task = *parsed_task;
  if (threshold.has_value()) {
    if (!threshold->is_number()) {
      return absl::InvalidArgumentError(
          StrCat(kPath, ".threshold: expected a number, got ", threshold->type_name()));
    }
    s.threshold = threshold->get<double>();
  }
  LEPTON_RETURN_IF_ERROR(s.Validate());
  return s;
}

Json ImportSignature::ToJson() const {
  Json in = Json::array();
  for (const lake::Field& f : inputs)
    in.push_back({{"name", f.name}, {"type", lake::DataTypeName(f.type)}});
  Json j = {{"inputs", in},
            {"task", ml::TaskName(task)},
            {"classes", classes},
            {"threshold", threshold},
            {"target", target}};
  if (!output.empty()) j["output"] = output;
  return j;
}

absl::Status ImportSignature::Validate() const {
  if (inputs.empty()) {
    return absl::InvalidArgumentError(StrCat(kPath, ".inputs: at least one input is required"));
  }
  std::set<std::string, std::less<>> seen;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const lake::Field& f = inputs[i];
    const std::string path = StrCat(kPath, ".inputs[", i, "]");
    if (f.name.empty()) return absl::InvalidArgumentError(StrCat(path, ".name: must not be empty"));
    if (!seen.insert(f.name).second) {
      return absl::InvalidArgumentError(
          StrCat(path, ".name: \"", f.name, "\" is declared more than once"));
    }
    if (!IsNumeric(f.type)) {
      return absl::InvalidArgumentError(
          StrCat(path, ".type: \"", lake::DataTypeName(f.type), "\" (input \"", f.name,
                 "\") is not numeric; imported models take bool, int32, int64, float or "
                 "double inputs"));
    }
  }
  const std::string classes_path = StrCat(kPath, ".classes");
  switch (task) {
    case ml::Task::kBinary:
      if (classes.size() != 2) {
        return absl::InvalidArgumentError(
            StrCat(classes_path, ": a binary model needs 2 classes [negative, positive], got ",
                   classes.size()));
      }
      break;
    case ml::Task::kMulticlass:
      if (classes.size() < 2) {
        return absl::InvalidArgumentError(StrCat(
            classes_path, ": a multiclass model needs at least 2 classes, got ", classes.size()));
      }
      break;
    case ml::Task::kRegression:
      if (!classes.empty()) {
        return absl::InvalidArgumentError(
            StrCat(classes_path, ": a regression model has no classes, got ", classes.size()));
      }
      break;
  }
  std::set<std::string, std::less<>> class_names;
  for (size_t i = 0; i < classes.size(); ++i) {
    if (classes[i].empty()) {
      return absl::InvalidArgumentError(StrCat(classes_path, "[", i, "]: must not be empty"));
    }
    if (!class_names.insert(classes[i]).second) {
      return absl::InvalidArgumentError(
          StrCat(classes_path, "[", i, "]: \"", classes[i], "\" is listed more than once"));
    }
  }
  if (!(threshold >= 0 && threshold <= 1)) {
    return absl::InvalidArgumentError(
        StrCat(kPath, ".threshold: expected a number in [0, 1], got ", threshold));
  }
  if (!output.empty()) {
    const std::vector<std::string_view> fits = OutputsFor(task);
    if (std::find(fits.begin(), fits.end(), output) == fits.end()) {
      return absl::InvalidArgumentError(StrCat(kPath, ".output: \"", output, "\" does not fit a ",
                                               ml::TaskName(task), " model (expected ",
                                               StrJoin(fits, " or "), ")"));
    }
  }
  return absl::OkStatus();
}

const std::vector<std::string>& ImportFlavors() {
  static const auto* flavors = new std::vector<std::string>{"xgboost", "torchscript"};
  return *flavors;
}

absl::StatusOr<Model> ImportModel(std::string_view flavor, std::string_view bytes,
                                  const ImportSignature& signature) {
  const std::vector<std::string>& flavors = ImportFlavors();
  if (std::find(flavors.begin(), flavors.end(), flavor) == flavors.end()) {
    return absl::InvalidArgumentError(StrCat("import flavor \"", flavor, "\": expected one of \"",
                                             StrJoin(flavors, "\", \""), "\""));
  }
  LEPTON_RETURN_IF_ERROR(signature.Validate());
  LEPTON_ASSIGN_OR_RETURN(features::Pipeline pipeline, PassThroughPipeline(signature.inputs));
  LEPTON_ASSIGN_OR_RETURN(std::unique_ptr<ml::Learner> learner,
                          ImportLearner(flavor, bytes, signature));
  Lineage lineage;
  lineage.split = {{"source", "import"}};
  return Model::Make(std::move(pipeline), std::move(learner), signature.classes, signature.target,
                     signature.threshold, Json::object(), std::move(lineage),
                     /*scaling=*/std::nullopt, /*run_id=*/"");
}

}  // namespace lepton::train
