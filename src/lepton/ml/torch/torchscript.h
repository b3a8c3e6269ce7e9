#pragma once
// A TorchScript model exported from PyTorch (`torch.jit.script(m)` or `torch.jit.trace(m, x)`,
// then `.save(path)`), imported with a declared input signature and served behind the
// `Learner` interface. This header includes no torch header (pimpl); only torchscript.cc sees
// libtorch.
//
// Usage (e.g. from the learner factory in train/ or a model import):
//
//   LEPTON_ASSIGN_OR_RETURN(TorchScriptSignature sig, TorchScriptSignature::FromJson(
//       {{"num_features", 4}, {"output", "probability"}}));
//   LEPTON_ASSIGN_OR_RETURN(std::unique_ptr<TorchScriptLearner> m,
//                           TorchScriptLearner::Load(torchscript_file_bytes, sig));
//   LEPTON_ASSIGN_OR_RETURN(std::vector<double> p, m->Predict(x));
//   LEPTON_ASSIGN_OR_RETURN(std::string saved, m->Save());   // later: Load(saved)
//
// The model's `forward` takes one float32 tensor of shape [N, num_features] and returns one
// tensor (float32 or float64) whose meaning is the declared output kind:
//   "probability"    binary, P(label == 1); shape [N] or [N, 1]
//   "logit"          binary, the log-odds; shape [N] or [N, 1]; Lepton applies the sigmoid
//   "probabilities"  multiclass, [N, K] with K >= 2 (rows are passed through as given)
//   "value"          regression; shape [N] or [N, 1]
// Import validates the declaration by running a dummy batch (two rows: zeros and ones): a
// forward that fails (e.g. wrong feature count) or an output of the wrong shape or kind is an
// InvalidArgument naming what was expected and what the model returned.
//
// Save format: the container of ml/torch/internal/common.h with the signature in its JSON
// header and the unchanged TorchScript (zip) bytes as payload; `Load(saved)` re-imports it, so
// predictions are bit-identical.
//
// Execution: Predict runs `forward` under c10::InferenceMode with the JIT graph optimiser off
// (a thread-local guard), i.e. the saved graph is interpreted as exported, with no profiling-
// driven re-optimisation that could change results between calls. Thread-safety: `Fit` only
// fails; `Predict`, `Save`, `Params` and the accessors may run concurrently. Concurrent
// `forward` calls on one torch::jit::Module are safe for inference (the graph executor guards
// its plan cache with its own mutex; no module state is written) — the test runs predictions
// from several threads and compares them with the single-threaded result.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/features/matrix.h"
#include "lepton/ml/learner.h"

namespace lepton::ml {

enum class TorchScriptOutput { kProbability, kLogit, kProbabilities, kValue };

// The declared interface of an imported model. JSON form (the keys of the struct):
//   {"num_features": 4, "feature_names": ["a", "b", "c", "d"], "dtype": "float32",
//    "output": "probability", "num_classes": 3}
// `feature_names` (optional) must have `num_features` entries; when given, Predict also checks
// the matrix's column names against it. `dtype` (optional) must be "float32". `num_classes`
// (optional, "probabilities" only) must then equal the model's K; when absent K is taken from
// the dummy run.
struct TorchScriptSignature {
  int64_t num_features = 0;
  std::vector<std::string> feature_names;
  std::string dtype = "float32";
  TorchScriptOutput output = TorchScriptOutput::kProbability;
  int num_classes = 0;

  // InvalidArgument naming the field ("signature.output: …") for a missing, mistyped, unknown
  // or inconsistent field.
  static absl::StatusOr<TorchScriptSignature> FromJson(const Json& json);
  Json ToJson() const;
};

std::string_view TorchScriptOutputName(TorchScriptOutput output);

class TorchScriptLearner final : public Learner {
 public:
  // Imports TorchScript bytes (the file `.save` wrote) declared by `signature`. InvalidArgument
  // for bytes libtorch cannot load (corrupted, truncated, not TorchScript) and for a signature
  // the dummy run contradicts (see the file comment).
  static absl::StatusOr<std::unique_ptr<TorchScriptLearner>> Load(
      std::string_view torchscript, const TorchScriptSignature& signature);
  // A model from `Save` bytes. InvalidArgument as above, or for a malformed container.
  static absl::StatusOr<std::unique_ptr<TorchScriptLearner>> Load(std::string_view saved);

  ~TorchScriptLearner() override;

  std::string flavor() const override { return "torchscript"; }
  // binary for "probability" / "logit", multiclass for "probabilities", regression for "value".
  Task task() const override { return task_; }

  // Always FailedPrecondition: "torchscript models are imported, not trained".
  absl::Status Fit(const LabeledData& train, const LabeledData* valid,
                   const FitContext& context) override;
  // InvalidArgument for a column count (or, with declared names, column names) other than the
  // signature's, non-finite input (see ml/torch/internal/common.h for CSR input), or an output
  // the model produces at this batch that breaks the declared shape. Internal for another
  // libtorch error during `forward` (its message included).
  absl::StatusOr<std::vector<double>> Predict(const features::FeatureMatrix& x) const override;
  // {"signature": …, "num_classes": K}.
  Json Params() const override;
  absl::StatusOr<std::string> Save() const override;

  const TorchScriptSignature& signature() const { return signature_; }
  int num_classes() const { return num_classes_; }

 private:
  struct State;  // the torch::jit::Module; see torchscript.cc

  TorchScriptLearner(TorchScriptSignature signature, std::string torchscript,
                     std::unique_ptr<State> state);

  TorchScriptSignature signature_;
  Task task_ = Task::kBinary;
  int num_classes_ = 2;
  std::string torchscript_;  // the imported bytes, for Save
  std::unique_ptr<State> state_;
};

}  // namespace lepton::ml
