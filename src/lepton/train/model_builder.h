#pragma once
// `ModelBuilder`: the seed's programming model for training, driven by `model_config.json`
// (model_config.h, docs/model-config.md):
//
//   lepton::DataLake lake("data_lake_config.json");
//   auto df = lake.get_data("customer_data");                  // a lake::RecordBatch
//   lepton::ModelBuilder builder("model_config.json");
//   absl::StatusOr<lepton::train::Model> model = builder.build_and_train(*df);
//
// What `build_and_train` does, in order:
//   1. resolves the target into labels: binary → 1 for the positive class, else 0; multiclass →
//      the index in a stable class list (the config's, else the sorted distinct values);
//      regression → the value. Rows without a target value are dropped (counted in lineage);
//   2. selects the feature columns (listed, or every column but the target and id columns) and
//      splits the rows into training and test parts (random / stratified / time, seeded);
//   3. with a search or "cv": k-fold cross-validation over the training part where EACH FOLD
//      FITS ITS OWN PIPELINE AND LEARNER ON THAT FOLD'S TRAINING ROWS ONLY (nothing learnt from
//      a fold's validation rows, or from the test part, reaches the model scored on them), and
//      picks the candidate with the best mean selection metric. With `threads` T >= 2 (0: all
//      cores) several folds are fitted at once — min(T, candidates x folds) of them, each
//      learner with T / that many threads; the mlp learners stay one fold at a time. The folds
//      and the result are deterministic for a given `threads`, but XGBoost's metrics may differ
//      in the last digits between `threads` settings (its sums depend on its thread count);
//   4. fits the final pipeline and learner on the whole training part — minus a seeded
//      validation slice for early stopping when configured (the pipeline is not fitted on it);
//   5. evaluates on the test part (binary: the full report with curves, lift, calibration and
//      best-F1 threshold, plus per-slice fairness metrics; multiclass; regression), and builds
//      the credit scorecard for logistic + WOE when "scorecard" is configured;
//   6. with a `TrackingService` (BuildOptions::tracking), records everything in a run of the
//      configured experiment (created when missing): the flattened config and the chosen
//      params, test metrics, per-fold CV metrics (step = fold), per-round training metrics
//      (step = round), the dataset input (ns/name, version, digest), tags and artifacts (ROC
//      and PR curve points, feature importance, confusion matrix, IV report, scorecard,
//      metrics, the CV results, and the model files under "model/"). The run ends "finished",
//      "failed" (tag "lepton.error" holds the reason) or "killed" (cancelled). Without a
//      tracking service the build runs untracked and `Model::run_id()` is "".
//
// Errors: InvalidArgument for a bad config (at construction; `status()`) or for data that does
// not fit it, naming the config path and column (e.g. `target.column: no column "klass" in the
// data`); Cancelled when the progress callback returned false; a learner's or tracking's error
// otherwise.
//
// Thread-compatible: one `build_and_train` at a time per builder; builders are independent.
// During parallel cross-validation the `BuildOptions` callbacks (progress, on_fold_fit) may be
// called from threads other than the caller's, but never concurrently with each other.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/features/pipeline.h"
#include "lepton/lake/column.h"
#include "lepton/lake/lake.h"
#include "lepton/tracking/tracking_service.h"
#include "lepton/train/model.h"
#include "lepton/train/model_config.h"

namespace lepton::train {

// Where a build is. `fraction` grows monotonically from 0 to 1 over the whole build.
struct TrainProgress {
  std::string phase;  // "load", "cv", "fit", "evaluate", "importance", "log", "done"
  int fold = 0;       // 1-based during "cv"
  int folds = 0;
  int candidate = 0;  // 1-based during "cv"
  int candidates = 0;
  int64_t round = 0;  // learner iterations of the current fit (boosting rounds, solver steps)
  int64_t rounds = 0;
  double fraction = 0;
  std::string run_id;  // once the tracking run exists
  // {"phase", "fold", "folds", "candidate", "candidates", "round", "rounds", "fraction",
  //  "run_id"}
  Json ToJson() const;
};
// Returning false cancels the build (Cancelled).
using TrainProgressFn = std::function<bool(const TrainProgress&)>;

// Reported after each cross-validation fold's pipeline and learner are fitted: which rows of
// the input batch they were fitted on (ascending) and which they are scored on.
struct FoldFit {
  int candidate = 0;  // 0-based
  int fold = 0;       // 0-based
  std::span<const int64_t> train_rows;
  std::span<const int64_t> valid_rows;
  const features::Pipeline* pipeline = nullptr;
};

struct BuildOptions {
  // Tracks the build in a run when set; must outlive the builder.
  tracking::TrackingService* tracking = nullptr;
  // The lake `build_and_train()` (no batch) reads the configured dataset from.
  lake::Lake* lake = nullptr;
  std::string user = "local";
  std::string source = "ModelBuilder";  // run source
  std::string job_id;                   // recorded on the run
  TrainProgressFn progress;             // may be empty
  std::function<void(const std::string&)> log;  // human-readable log lines; may be empty
  std::function<void(const FoldFit&)> on_fold_fit;  // may be empty
  // Keep real rows out of the bundle: no `example_input` in the manifest. Set by
  // `build_and_train()` for datasets the lake marks sensitive.
  bool withhold_example_input = false;
};

class ModelBuilder {
 public:
  // Reads and validates the config file; a problem is kept in `status()` and returned by
  // every `build_and_train`.
  explicit ModelBuilder(const std::string& config_path, BuildOptions options = {});
  ModelBuilder(ModelConfig config, BuildOptions options);

  const absl::Status& status() const { return status_; }
  const ModelConfig& config() const { return config_; }

  // Trains on `df` (every row; the config's dataset.where is not applied). The dataset name
  // goes into lineage and tracking with version -1 (unknown) unless `version` is given.
  absl::StatusOr<Model> build_and_train(const lake::RecordBatch& df, int64_t version = -1);
  // Reads the configured dataset (version / as_of, where) from `BuildOptions::lake` and trains.
  // FailedPrecondition without a lake; NotFound for an unknown dataset or version.
  absl::StatusOr<Model> build_and_train();

 private:
  class Build;
  ModelConfig config_;
  BuildOptions options_;
  absl::Status status_;
};

// Reads `spec`'s dataset from `lake` into one batch. Returns the batch and the version read.
absl::StatusOr<std::pair<lake::RecordBatch, int64_t>> ReadDataset(lake::Lake& lake,
                                                                  const DatasetSpec& spec);

// The rows of `batch` at `rows` (any order, repeats allowed), as a new batch.
lake::RecordBatch TakeRows(const lake::RecordBatch& batch, std::span<const int64_t> rows);

}  // namespace lepton::train

namespace lepton {
// The seed's spelling: `lepton::ModelBuilder builder("model_config.json");`.
using ModelBuilder = train::ModelBuilder;
}  // namespace lepton
