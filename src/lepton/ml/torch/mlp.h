#pragma once
// A multilayer perceptron trained in C++ with libtorch (Debian libtorch 1.13), behind the
// `Learner` interface. This header includes no torch header (the module lives behind a pimpl),
// so targets that use it compile at normal speed; only mlp.cc sees libtorch.
//
// Usage (e.g. from the learner factory in train/):
//
//   LEPTON_ASSIGN_OR_RETURN(std::unique_ptr<MlpLearner> mlp,
//                           MlpLearner::Create({{"hidden_layers", {64, 32}}, {"epochs", 50}}));
//   LEPTON_RETURN_IF_ERROR(mlp->Fit(train, &valid, context));   // context.task, seed, threads
//   LEPTON_ASSIGN_OR_RETURN(std::vector<double> p, mlp->Predict(x));
//   LEPTON_ASSIGN_OR_RETURN(std::string bytes, mlp->Save());
//   LEPTON_ASSIGN_OR_RETURN(std::unique_ptr<MlpLearner> again, MlpLearner::Load(bytes));
//
// Model: Linear → activation → Dropout for each hidden layer, then a Linear output layer of one
// logit (binary: sigmoid, trained with binary cross-entropy), `num_classes` logits (multiclass:
// softmax, cross-entropy) or one value (regression: mean squared error on the target
// standardised with its training mean and standard deviation; predictions are mapped back).
// Sample weights weight the per-row losses. Adam optimiser with (L2) weight decay.
//
// Input: float32 features must be finite (NaN → InvalidArgument: impute first). Dense matrices
// are used in place (torch::from_blob over the FeatureMatrix's buffer, no copy for prediction;
// training gathers each mini-batch). CSR matrices are expanded to dense when they have at most
// 2^26 cells, and rejected with InvalidArgument otherwise (hashed text at 2^18 columns is not
// MLP input; reduce it first). Inputs are not scaled: standardise them in the pipeline.
//
// Determinism: a fit seeds libtorch (torch::manual_seed(seed): initial weights, dropout) and
// shuffles rows with its own Fisher–Yates over mt19937_64(seed), so equal data, params, seed and
// thread count give bit-identical models. Because libtorch's RNG and thread count are
// process-wide, fits of MlpLearner are serialised by a process-wide mutex, and a fit sets
// torch's intra-op thread count (FitContext::threads, 0: all cores) for the whole process.
// The progress callback runs under that mutex: it must not start another MLP fit or Load.
//
// Early stopping: with a `valid` set, the (weighted) validation loss is computed after every
// epoch; with `patience` > 0 the fit stops after that many epochs without improvement, and in
// every case with a `valid` set the weights of the best epoch are restored at the end.
//
// Save/Load: a small container (ml/torch/internal/common.h: magic, JSON header with the task,
// columns, options and parameter names and shapes, then the parameters as raw little-endian
// float32). Load rebuilds the module from the header and copies the values back, so predictions
// after Load are bit-identical. The module always predicts in eval mode (no dropout).
//
// Thread-safety: `Fit` is exclusive (no other call on the same learner meanwhile). `Predict`,
// `Save`, `Params` and the accessors are const and may run concurrently (inference only reads
// the parameters, under a thread-local InferenceMode guard).

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

struct MlpOptions {
  std::vector<int> hidden_layers = {64, 32};  // units per hidden layer; may be empty (linear)
  std::string activation = "relu";            // "relu" or "tanh"
  double dropout = 0.0;                       // after each hidden layer, in [0, 1)
  double weight_decay = 0.0;                  // Adam's L2 penalty
  double learning_rate = 1e-3;
  int batch_size = 64;
  int epochs = 50;
  int patience = 10;  // early stopping epochs without improvement on `valid`; 0: off
};

class MlpLearner final : public Learner {
 public:
  // Hyperparameters from JSON (null or an object), every key optional, names as in MlpOptions.
  // InvalidArgument naming "mlp.<key>" for an unknown key, a wrong type or a value out of range.
  static absl::StatusOr<MlpOptions> ParseOptions(const Json& params);
  static absl::StatusOr<std::unique_ptr<MlpLearner>> Create(const Json& params);
  // A fitted model from `Save` bytes. InvalidArgument for bytes that are not a saved MLP
  // (truncated, corrupted, another flavor) — never a crash.
  static absl::StatusOr<std::unique_ptr<MlpLearner>> Load(std::string_view bytes);

  explicit MlpLearner(MlpOptions options);
  ~MlpLearner() override;

  std::string flavor() const override { return "mlp"; }
  Task task() const override { return task_; }

  // InvalidArgument naming the problem: no rows or columns, NaN/infinite features, labels out
  // of range (binary 0/1, multiclass 0..num_classes-1 integers, regression finite), weights of
  // the wrong size, negative or all zero, a `valid` set with another column count, num_classes
  // < 2 for multiclass. Reports progress after every epoch with {"train_loss": l} plus
  // {"valid_loss": l} with a valid set (regression losses in the target's units); returning
  // false cancels with Cancelled and leaves the learner as it was. Internal for an unexpected
  // libtorch error (its message included).
  absl::Status Fit(const LabeledData& train, const LabeledData* valid,
                   const FitContext& context) override;
  // FailedPrecondition before Fit/Load; InvalidArgument as `DenseInput` (column count, NaN,
  // malformed or too-large input).
  absl::StatusOr<std::vector<double>> Predict(const features::FeatureMatrix& x) const override;
  // The options in effect plus "seed", "threads", "epochs_trained" and "best_epoch".
  Json Params() const override;
  // FailedPrecondition before Fit/Load.
  absl::StatusOr<std::string> Save() const override;

  bool fitted() const { return state_ != nullptr; }
  const MlpOptions& options() const { return options_; }
  const std::vector<std::string>& columns() const { return columns_; }
  int num_classes() const { return num_classes_; }
  // Epochs run by the last fit (fewer than `epochs` when early stopping triggered).
  int epochs_trained() const { return epochs_trained_; }
  // 0-based epoch whose weights the model holds (the best on `valid`; the last without one).
  int best_epoch() const { return best_epoch_; }

 private:
  struct State;  // the torch module and the regression target scaling; see mlp.cc

  MlpOptions options_;
  Task task_ = Task::kBinary;
  int num_classes_ = 2;
  uint64_t seed_ = 42;
  int threads_ = 0;
  std::vector<std::string> columns_;
  int epochs_trained_ = 0;
  int best_epoch_ = -1;
  std::unique_ptr<State> state_;  // null until fitted or loaded
};

}  // namespace lepton::ml
