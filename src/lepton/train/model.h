#pragma once
// `Model`: what `ModelBuilder::build_and_train` returns — the fitted feature pipeline and
// learner, the class list, the evaluation metrics, the credit scorecard (logistic + WOE), the
// training lineage and the tracking run id — and its on-disk form.
//
// Saved layout (`Save(dir)`), every file checksummed in the manifest:
//   pipeline.json     the fitted pipeline (features::Pipeline::ToJson)
//   model.ubj | model.json | model.mlp | model.pt   the learner's `Save` bytes (XGBoost UBJSON;
//                     linear learners JSON; MLP and TorchScript through the libtorch plugin)
//   metrics.json      {"test": report, "cv": cross-validation (when run), "slices": {...}}
//   scorecard.json    points per bin (logistic + WOE with a scorecard only)
//   reference.json    the training data's profile per input column and of the score, for drift
//                     monitoring (train/reference.h); absent for imported models
//   manifest.json     {"format": "lepton.model/1", "flavor", "task", "target", "classes",
//                      "positive_class", "threshold", "input_signature": [{"name", "type"}],
//                      "output": {...}, "metrics": {scalar test metrics}, "lineage": {...},
//                      "run_id", "scorecard_scaling", "params", "created_by", "created_at",
//                      "example_input": one input row as JSON (null when withheld, e.g. for
//                      sensitive training data or imported models),
//                      "files": {"pipeline.json": "<sha256>", …}}
// `Load` verifies every checksum (DataLoss naming the file on a mismatch), that the manifest's
// input signature is the pipeline's (InvalidArgument otherwise), and predicts bit-identically
// to the saved model.
//
// Thread-safety: a built or loaded `Model` is immutable; `Predict`, `Save` and the accessors
// may run concurrently.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/features/pipeline.h"
#include "lepton/lake/column.h"
#include "lepton/ml/learner.h"
#include "lepton/ml/linear/scorecard.h"

namespace lepton::train {

// Where the training data came from and what it looked like.
struct Lineage {
  std::string dataset;    // "ns/name"
  int64_t version = -1;   // lake table version; -1 when trained on an in-memory batch
  std::string digest;     // SHA-256 of the rows used (see `BatchDigest`)
  int64_t rows = 0;       // rows with a target value
  int64_t dropped_rows = 0;  // rows without one (not used)
  int64_t train_rows = 0;    // the training part (including the early-stopping slice)
  int64_t validation_rows = 0;  // carved from the training part for early stopping
  int64_t test_rows = 0;
  Json split = Json::object();          // {"method", "test_fraction", "seed", "time_column"}
  Json label_balance = Json::object();  // {"train": {class: rows}, "test": {...}}; regression:
                                        // {"train": {"mean", "min", "max"}, …}
  Json ToJson() const;
  static absl::StatusOr<Lineage> FromJson(const Json& j);
};

// Predictions for a batch of rows, in row order.
struct Predictions {
  ml::Task task = ml::Task::kBinary;
  int num_classes = 2;
  // Binary: P(positive class) per row; multiclass: num_classes probabilities per row
  // (row-major); regression: the predicted value.
  std::vector<double> scores;
  // Classification: the predicted class per row (binary: the positive class when
  // score >= threshold). Empty for regression.
  std::vector<std::string> labels;
  // Logistic + WOE scorecards: the credit score per row (higher = lower risk). Else empty.
  std::vector<double> credit_scores;
};

class Model {
 public:
  // Assembles a model. `classes`: binary [negative, positive]; multiclass the class order;
  // empty for regression. InvalidArgument when `learner` is null or the pieces disagree.
  static absl::StatusOr<Model> Make(features::Pipeline pipeline,
                                    std::unique_ptr<ml::Learner> learner,
                                    std::vector<std::string> classes, std::string target,
                                    double threshold, Json metrics, Lineage lineage,
                                    std::optional<ml::ScorecardScaling> scaling,
                                    std::string run_id);

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  // Transforms `batch` with the pipeline (extra columns ignored, the target need not be
  // there) and predicts. InvalidArgument naming a missing or mistyped input column.
  absl::StatusOr<Predictions> Predict(const lake::RecordBatch& batch) const;

  // Writes the files listed at the top into `dir` (created when missing; existing files of
  // the same names are replaced atomically).
  absl::Status Save(const std::string& dir) const;
  // The same files as name → bytes (manifest.json included), e.g. for run artifacts.
  absl::StatusOr<std::map<std::string, std::string>> Files() const;
  // Reads a saved model. NotFound for a missing file; DataLoss when a file's SHA-256 differs
  // from the manifest's; InvalidArgument for a malformed manifest or model.
  static absl::StatusOr<Model> Load(const std::string& dir);

  const features::Pipeline& pipeline() const { return pipeline_; }
  const ml::Learner& learner() const { return *learner_; }
  std::string flavor() const { return learner_->flavor(); }
  ml::Task task() const { return learner_->task(); }
  const std::vector<std::string>& classes() const { return classes_; }
  const std::string& target() const { return target_; }
  double threshold() const { return threshold_; }
  // {"test": …, "cv": …, "slices": …} as listed at the top; "summary": the scalar test metrics.
  const Json& metrics() const { return metrics_; }
  const std::optional<ml::Scorecard>& scorecard() const { return scorecard_; }
  const Lineage& lineage() const { return lineage_; }
  const std::string& run_id() const { return run_id_; }
  void set_run_id(std::string run_id) { run_id_ = std::move(run_id); }
  // Who made the model and when (RFC 3339), for the manifest.
  const std::string& created_by() const { return created_by_; }
  const std::string& created_at() const { return created_at_; }
  void set_created(std::string by, std::string at) {
    created_by_ = std::move(by);
    created_at_ = std::move(at);
  }
  // One input row as JSON ({column: value}, train/json_rows.h types), or null.
  const Json& example_input() const { return example_input_; }
  void set_example_input(Json row) { example_input_ = std::move(row); }
  // The reference profile (train/reference.h), or null.
  const Json& reference() const { return reference_; }
  void set_reference(Json reference) { reference_ = std::move(reference); }

 private:
  Model(features::Pipeline pipeline, std::unique_ptr<ml::Learner> learner);

  features::Pipeline pipeline_;
  std::unique_ptr<ml::Learner> learner_;
  std::vector<std::string> classes_;
  std::string target_;
  double threshold_ = 0.5;
  Json metrics_ = Json::object();
  Lineage lineage_;
  std::optional<ml::ScorecardScaling> scaling_;
  std::optional<ml::Scorecard> scorecard_;
  std::string run_id_;
  std::string created_by_;
  std::string created_at_;
  Json example_input_ = nullptr;
  Json reference_ = nullptr;
};

// Builds a scorecard from a logistic model over WOE-only features. InvalidArgument naming the
// first model column that is not a WOE output, or when `learner` is not logistic.
absl::StatusOr<ml::Scorecard> BuildScorecard(const features::Pipeline& pipeline,
                                             const ml::Learner& learner,
                                             const ml::ScorecardScaling& scaling);

// SHA-256 (hex) over the schema and every value of `batch`: equal batches, equal digests.
std::string BatchDigest(const lake::RecordBatch& batch);

}  // namespace lepton::train
