#pragma once
// Importing models trained elsewhere into Lepton's model bundle, so that the registry can
// register "an XGBoost JSON/UBJ model or a TorchScript file with a declared signature" and
// serving can run it like a model Lepton trained.
//
// An imported `Model` has:
//   - a feature pipeline that passes the declared numeric inputs through unchanged, in the
//     declared order (the spec {"columns": [{"name": <input>, "steps": []}, …]}, fitted on no
//     rows: a chain without steps learns nothing); values reach the learner as float32, as in
//     every Lepton model;
//   - the learner: flavor "xgboost" (ml/xgboost/xgboost.h `XGBoostLearner::Import`) or
//     "torchscript" (ml/torch/torchscript.h, through the libtorch plugin);
//   - the declared classes, threshold and target, empty metrics ({}), no scorecard, no run id,
//     and a lineage with no data set: dataset "", version -1, zero row counts and
//     split {"source": "import"} (`Lineage` has no field of its own for a model's origin).
// `Model::Save` / `Model::Files` then give a normal bundle, which `Model::Load` reads back and
// which predicts bit-identically.
//
// Example:
//   LEPTON_ASSIGN_OR_RETURN(ImportSignature sig, ImportSignature::FromJson(ParseJson(R"({
//       "inputs": [{"name": "age", "type": "double"}, {"name": "income", "type": "double"}],
//       "task": "binary", "classes": ["good", "bad"], "threshold": 0.4, "target": "risk"})")));
//   LEPTON_ASSIGN_OR_RETURN(Model model, ImportModel("xgboost", model_json_bytes, sig));
//   LEPTON_RETURN_IF_ERROR(model.Save(dir));
//
// Thread-safety: stateless; the functions may run concurrently (the libtorch plugin is loaded
// once per process, see train/torch_plugin.h).

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/lake/column.h"
#include "lepton/ml/learner.h"
#include "lepton/train/model.h"

namespace lepton::train {

// The declared interface of an imported model. JSON form:
//   {"inputs": [{"name": "a", "type": "double"}, …], "task": "binary",
//    "classes": ["no", "yes"], "threshold": 0.5, "target": "y", "output": "logit"}
// "inputs" and "task" are required; the rest optional (defaults below). Unknown keys are
// refused.
struct ImportSignature {
  // One numeric column (bool, int32, int64, float, double) per model input, in the model's
  // feature order; names unique and non-empty. `nullable` is not part of the JSON form.
  std::vector<lake::Field> inputs;
  ml::Task task = ml::Task::kBinary;
  // Binary: [negative, positive]; multiclass: the classes in the model's output order (at
  // least 2); regression: empty. Unique, non-empty names.
  std::vector<std::string> classes;
  // Binary only: the positive class is predicted when P(positive) >= threshold, in [0, 1].
  double threshold = 0.5;
  // What the model predicts, for people and the manifest; may be empty.
  std::string target;
  // TorchScript only: what `forward` returns (ml/torch/torchscript.h): "probability" or
  // "logit" for binary, "probabilities" for multiclass, "value" for regression. Empty: the
  // task's default ("probability", "probabilities", "value"). Must be empty for xgboost.
  std::string output;

  // InvalidArgument naming the JSON path ("signature.inputs[1].type: …") for a missing,
  // mistyped or unknown field, a non-numeric or unknown input type, a duplicate input, a bad
  // task, a class count that does not fit the task, or a threshold outside [0, 1].
  static absl::StatusOr<ImportSignature> FromJson(const Json& json);
  // The JSON form above (FromJson(ToJson()) gives an equal signature).
  Json ToJson() const;
  // The checks of `FromJson` on a signature built in code; InvalidArgument as there.
  absl::Status Validate() const;
};

// The flavors `ImportModel` accepts: "xgboost", "torchscript".
const std::vector<std::string>& ImportFlavors();

// Builds a `Model` (see the file comment) from a model file trained elsewhere:
//   "xgboost"      `bytes` is an XGBoost JSON or UBJSON model file (`Booster.save_model` to a
//                  .json or .ubj name); objectives binary:logistic, multi:softprob /
//                  multi:softmax, reg:* (see `XGBoostLearner::Import`);
//   "torchscript"  `bytes` is the file `torch.jit.save` / `ScriptModule.save` wrote.
// InvalidArgument (the message names the problem): an unknown flavor (listing the valid ones);
// a signature `Validate` refuses; bytes that are not a model of the flavor; an input count
// other than the model's feature count; an objective or model output that does not fit the
// task; a class count other than the model's. FailedPrecondition for "torchscript" when the
// libtorch plugin cannot be loaded.
absl::StatusOr<Model> ImportModel(std::string_view flavor, std::string_view bytes,
                                  const ImportSignature& signature);

}  // namespace lepton::train
