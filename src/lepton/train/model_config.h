#pragma once
// `model_config.json`: what to train, on which data, and how — the one document behind
// `ModelBuilder`, `POST /api/v1/training-jobs` and `lepton train -f`. The full reference with a
// complete credit-scoring example is docs/model-config.md; in short:
//
//   {
//     "dataset": {"name": "credit/german_credit",   // "ns/name" in the lake (required)
//                 "version": 0,                       // or "as_of": "2024-05-01T00:00:00Z";
//                                                     // neither: the latest version
//                 "where": [{"column": "age", "op": ">=", "value": 18}]},  // optional scan filter
//     "target": {"column": "class", "positive_class": "bad"},
//                 // "task": "binary" (default) | "multiclass" | "regression";
//                 // binary needs "positive_class" unless the column is bool or 0/1 numbers;
//                 // multiclass may pin the class order with "classes": [...]
//     "id_columns": ["customer_id"],                 // never features
//     "features": {"columns": "auto",                // or a list of input columns
//                  "pipeline": {…}},                  // the features module's spec (pipeline.h)
//     "split": {"method": "stratified", "test_fraction": 0.3, "seed": 42},
//                 // method: random | stratified | time (needs "time_column")
//     "learner": {"flavor": "logistic", "params": {"C": 1.0}},
//                 // flavor: logistic | linear | xgboost | mlp (torchscript: import only)
//     "search": {…},                                  // optional: select/search.h's config; its
//                                                     // space overrides learner.params keys
//     "cv": {"folds": 5, "stratified": true, "seed": 42},   // optional; default 5 with a search
//     "metrics": {"report": ["auc", "ks"], "selection": "auc"},
//     "threshold": 0.5,                               // binary: label cut-off for Predict
//     "early_stopping": {"rounds": 20, "validation_fraction": 0.1},   // learners that have it
//     "experiment": {"name": "credit/scorecard", "run_name": "woe-logit", "tags": {"team": "risk"}},
//     "scorecard": {"base_score": 600, "base_odds": 50, "pdo": 20},   // logistic + WOE only
//     "fairness_slices": ["foreign_worker", {"column": "age", "bins": [25, 35, 50]}],
//     "seed": 42, "threads": 0
//   }
//
// Validation (`FromJson`) is strict: every problem is InvalidArgument naming the JSON path and
// what was expected, e.g. `split.test_fraction: expected a number in (0, 1), got 1.5` or
// `learner.flavor: expected one of "logistic", "linear", "xgboost", got "svm"`; unknown fields
// are errors at every level. Checks that need the data (does the column exist, is it numeric)
// happen in `ModelBuilder` and name the same paths.
//
// Value types; thread-compatible.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lepton/base/json.h"
#include "lepton/lake/table.h"
#include "lepton/ml/learner.h"
#include "lepton/ml/linear/scorecard.h"
#include "lepton/ml/select/search.h"

namespace lepton::train {

// Which lake data to train on.
struct DatasetSpec {
  std::string ns;
  std::string name;
  std::optional<int64_t> version;
  std::optional<absl::Time> as_of;
  std::vector<lake::Predicate> where;  // AND-ed; empty: every row
  std::string full_name() const { return ns + "/" + name; }
};

struct TargetSpec {
  std::string column;
  ml::Task task = ml::Task::kBinary;
  // Binary: the value that becomes label 1, as text ("bad", "1", "true"). Absent: the column
  // must be bool or hold only 0/1 numbers.
  std::optional<std::string> positive_class;
  // Multiclass: the class order (class i = index i); empty: the sorted distinct training values.
  std::vector<std::string> classes;
};

enum class SplitMethod { kRandom, kStratified, kTime };
std::string_view SplitMethodName(SplitMethod method);

struct SplitSpec {
  SplitMethod method = SplitMethod::kStratified;  // kRandom for regression
  double test_fraction = 0.25;
  uint64_t seed = 42;
  std::string time_column;  // kTime only
};

struct LearnerSpec {
  std::string flavor;
  Json params = Json::object();
};

struct CvSpec {
  int folds = 5;
  bool stratified = true;  // classification only
  uint64_t seed = 42;
};

struct EarlyStoppingSpec {
  int rounds = 0;  // 0: off
  double validation_fraction = 0.1;
};

// Permutation importance of the raw input columns on the test part (train/importance.h).
struct ImportanceSpec {
  bool enabled = true;
  int repeats = 5;
  int64_t max_rows = 2000;
};

// Bootstrap confidence intervals of the binary test metrics (ml/metrics/bootstrap.h).
struct BootstrapSpec {
  bool enabled = true;
  int resamples = 1000;
  double confidence = 0.95;
};

struct ExperimentSpec {
  std::string name = "default";
  std::string run_name;  // "" → tracking's default
  std::map<std::string, std::string> tags;
};

// A fairness slice: rows grouped by the value of `column` (strings, bools, integers), or, with
// `bins`, by the band of a numeric column: "<b0", "[b0, b1)", …, ">=bn"; missing → "missing".
struct SliceSpec {
  std::string column;
  std::vector<double> bins;  // ascending
};

struct ModelConfig {
  Json raw;  // the document as given
  DatasetSpec dataset;
  TargetSpec target;
  std::vector<std::string> id_columns;
  bool auto_features = true;
  std::vector<std::string> feature_columns;  // when !auto_features
  // The features module's spec. Absent in the document: impute (median) + standardize for
  // numbers, one-hot for strings, date parts for dates — over the selected columns.
  Json pipeline_spec;
  SplitSpec split;
  LearnerSpec learner;
  std::optional<ml::SearchConfig> search;
  std::optional<CvSpec> cv;
  std::vector<std::string> report_metrics;  // empty: every scalar metric of the task
  std::string selection_metric;             // for search/CV; default by task
  double threshold = 0.5;
  std::optional<EarlyStoppingSpec> early_stopping;
  ImportanceSpec permutation_importance;
  BootstrapSpec bootstrap;
  ExperimentSpec experiment;
  std::optional<ml::ScorecardScaling> scorecard;
  std::vector<SliceSpec> fairness_slices;
  uint64_t seed = 42;
  int threads = 0;

  // Validates `config` (see the file comment). InvalidArgument naming the JSON path.
  static absl::StatusOr<ModelConfig> FromJson(const Json& config);
  // Reads and validates the file at `path`. NotFound / InvalidArgument (naming the file).
  static absl::StatusOr<ModelConfig> Load(const std::string& path);
};

// The scalar metric names each task can report and select by: binary: auc, gini, ks, log_loss,
// brier, average_precision, accuracy, precision, recall, f1; multiclass: accuracy, macro_f1,
// micro_f1, weighted_f1, log_loss; regression: rmse, mae, r2, mape, explained_variance.
const std::vector<std::string>& MetricNames(ml::Task task);

// The config as flat "a.b[0].c" → value-text pairs, for tracking params (strings unquoted,
// everything else as compact JSON).
std::map<std::string, std::string> FlattenConfig(const Json& config);

}  // namespace lepton::train
