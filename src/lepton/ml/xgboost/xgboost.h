#pragma once
// XGBoost gradient-boosted trees behind the `Learner` interface, through libxgboost's C API
// (Debian 1.7.4): binary (binary:logistic), multiclass (multi:softprob) and regression
// (reg:squarederror). This header exposes no XGBoost type; the C API stays in xgboost.cc.
//
// Data handover: dense matrices go to XGBoost as an __array_interface__ over the
// FeatureMatrix's float32 buffer (no row-wise copy on our side; XGBoost builds its own
// quantised copy for training and predicts in place from our buffer); CSR matrices likewise
// through their three arrays. NaN is "missing" in dense input. In CSR input XGBoost treats
// absent entries as missing (its sparse convention), not as 0: a model fitted on CSR data
// should be served CSR data.
//
// Early stopping: with a `valid` set and `early_stopping_rounds` > 0, the eval metric
// ("eval_metric", default the objective's: logloss / mlogloss / rmse; auc, aucpr, map, ndcg
// and pre are maximised, the rest minimised) is computed on `valid` after every round; the fit
// stops after that many rounds without improvement, and the booster is then sliced
// (XGBoosterSlice) to the rounds up to and including the best one, so the saved model, its
// predictions, contributions and importance all use the best iteration (as Python's
// `iteration_range=(0, best_iteration + 1)` would).
//
// Class weights become sample weights (multiplied into the given ones); `scale_pos_weight`
// is passed through. Determinism: equal data, params, seed and thread count give equal models.
//
// Save/Load: the booster in XGBoost's UBJSON format (loadable by Python's xgboost too), with
// Lepton's metadata (task, classes, column names, params, best iteration) in the booster
// attribute "lepton". Predictions after Load are bit-identical.
//
// Import: a booster trained elsewhere (Python's xgboost, R, the CLI) from its JSON or UBJSON
// model file, then served and saved like a fitted learner.
//
// Untrusted model bytes: libxgboost's loaders trust their input (a truncated UBJSON file, a
// tree child index out of range or a duplicate tree id crash the process). `Load` and `Import`
// therefore parse and check the whole model first, with bounded nesting: the JSON/UBJSON
// structure, the learner parameters, every tree (arrays of num_nodes entries, children and
// split features in range, each node reached once from the root, depth at most 1000,
// numerical splits only), tree ids and groups, gblinear weight counts; only then does
// XGBoost see the bytes. Models whose JSON text holds NaN or Infinity (not JSON) are refused.
//
// Thread-safety: `Fit` is exclusive. `Predict` (XGBoost's in-place prediction, which keeps its
// output buffers per thread and configures the booster under its own lock) may run from many
// threads at once; `Contributions` goes through a DMatrix prediction and is serialised by a
// mutex. `Save`, `Importance` and the accessors are safe concurrently.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "lepton/base/json.h"
#include "lepton/features/matrix.h"
#include "lepton/ml/learner.h"
#include "lepton/ml/linear/weights.h"

namespace lepton::ml {

class FlatForest;

struct XGBoostOptions {
  int n_estimators = 100;  // boosting rounds ("num_boost_round" is accepted as an alias)
  int max_depth = 6;
  double eta = 0.3;  // "learning_rate" alias
  double subsample = 1.0;
  double colsample_bytree = 1.0;
  double min_child_weight = 1.0;
  double lambda = 1.0;  // L2 on leaf weights
  double alpha = 0.0;   // L1 on leaf weights
  double gamma = 0.0;   // minimum loss reduction to split
  int max_bin = 256;
  std::string tree_method = "hist";  // hist, approx or exact
  double scale_pos_weight = 1.0;     // binary only
  ClassWeight class_weight;
  int early_stopping_rounds = 0;  // 0: off
  std::string eval_metric;        // "": the objective's default
  int nthread = 0;                // 0: FitContext::threads (0 there: all cores)
};

class XGBoostLearner final : public Learner {
 public:
  // Hyperparameters from JSON, every key optional, names as in XGBoostOptions (plus the
  // aliases). InvalidArgument naming "xgboost.<key>" for an unknown key, a wrong type or a
  // value out of range.
  static absl::StatusOr<XGBoostOptions> ParseOptions(const Json& params);
  static absl::StatusOr<std::unique_ptr<XGBoostLearner>> Create(const Json& params);
  // A fitted model from `Save` bytes. InvalidArgument for bytes XGBoost cannot load or that
  // lack Lepton's metadata.
  static absl::StatusOr<std::unique_ptr<XGBoostLearner>> Load(std::string_view bytes);
  // A booster trained elsewhere, from its XGBoost JSON or UBJSON model file (either is
  // detected; a "lepton" attribute in it is ignored), served for `task` with the input
  // `columns` in the model's feature order; `num_classes` is used for multiclass only.
  // Objectives: binary needs binary:logistic; multiclass multi:softprob or multi:softmax (the
  // latter is switched to softprob so that `Predict` returns probabilities; the trees are
  // unchanged); regression any reg:* (Predict returns what XGBoost predicts, e.g. exp(margin)
  // for reg:gamma). Every tree in the file is used: slice the booster first to serve an
  // early-stopping best iteration. InvalidArgument for: bytes that are not such a model (the
  // legacy binary format included) or that fail the checks in the file comment; a feature
  // count other than columns.size(); feature names stored in the model that differ from
  // `columns`; an objective that does not fit `task` (naming it); a class count other than
  // `num_classes`. The result is fitted: `Save` writes UBJSON with Lepton's metadata, `Load`
  // restores it bit-identically, and `Params()` is {"imported": true, "objective", "booster",
  // "boosted_rounds", "eval_metric", "nthread"} (an XGBoost model file keeps no training
  // hyperparameters).
  static absl::StatusOr<std::unique_ptr<XGBoostLearner>> Import(std::string_view bytes,
                                                                Task task, int num_classes,
                                                                std::vector<std::string> columns);

  explicit XGBoostLearner(XGBoostOptions options);
  ~XGBoostLearner() override;

  std::string flavor() const override { return "xgboost"; }
  Task task() const override { return task_; }

  // InvalidArgument naming the problem: no rows or columns, labels out of range or NaN,
  // weights of the wrong size or negative, malformed matrices, a `valid` set with other
  // columns. Reports progress after every round with {"train_<metric>": v, "valid_<metric>": v}
  // (valid only with a valid set); returning false cancels (Cancelled; the learner stays
  // unfitted). Internal for an unexpected XGBoost error (its message included).
  absl::Status Fit(const LabeledData& train, const LabeledData* valid,
                   const FitContext& context) override;
  absl::StatusOr<std::vector<double>> Predict(const features::FeatureMatrix& x) const override;
  // SHAP values (XGBoost's pred_contribs): rows * (cols + 1), the bias last; each row sums to
  // the margin. Binary and regression only (Unimplemented for multiclass).
  absl::StatusOr<std::vector<double>> Contributions(
      const features::FeatureMatrix& x) const override;
  // Total gain per column name (columns never used in a split are absent).
  Json Importance() const override;
  // The options in effect plus "objective", "eval_metric", "seed" and "nthread" (imported
  // models: see `Import`).
  Json Params() const override;
  // UBJSON bytes (see the file comment).
  absl::StatusOr<std::string> Save() const override;

  // Raw margins (log-odds for binary; K per row for multiclass). Errors as `Predict`.
  absl::StatusOr<std::vector<double>> Margins(const features::FeatureMatrix& x) const;
  // `Predict` / `Margins` through libxgboost itself, bypassing the compiled flat evaluator:
  // the reference the flat evaluator is tested and benchmarked against.
  absl::StatusOr<std::vector<double>> PredictWithLibxgboost(const features::FeatureMatrix& x, bool margin) const;
  // True when predictions use the compiled flat evaluator.
  bool compiled() const { return flat_ != nullptr; }

  bool fitted() const { return booster_ != nullptr; }
  // Whether the booster came from `Import` (also after Save/Load) rather than `Fit`.
  bool imported() const { return !imported_objective_.empty(); }
  // Rounds in the (possibly sliced) booster.
  int boosted_rounds() const { return boosted_rounds_; }
  // 0-based index of the best round under early stopping; boosted_rounds() - 1 otherwise.
  int best_iteration() const { return best_iteration_; }
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  struct BoosterDeleter {
    void operator()(void* handle) const;
  };
  using BoosterPtr = std::unique_ptr<void, BoosterDeleter>;

  absl::Status CheckInput(const features::FeatureMatrix& x) const;
  absl::StatusOr<std::vector<double>> PredictType(const features::FeatureMatrix& x,
                                                  int type) const;
  std::string Objective() const;
  std::string Metric() const;
  Json Metadata() const;

  XGBoostOptions options_;
  Task task_ = Task::kBinary;
  int num_classes_ = 2;
  uint64_t seed_ = 42;
  int nthread_ = 0;
  std::vector<std::string> columns_;
  int boosted_rounds_ = 0;
  int best_iteration_ = -1;
  // Set by `Import` (the model file's objective and booster: gbtree, dart, gblinear); empty
  // for a booster Lepton trained.
  std::string imported_objective_;
  std::string imported_booster_;
  BoosterPtr booster_;
  mutable absl::Mutex dmatrix_predict_mu_;  // serialises DMatrix predictions (contributions)
  // The booster compiled into a flat evaluator (flat_forest.h) after Fit, Load and Import:
  // `Predict` and `Margins` use it — bit-identical to libxgboost, ~30x cheaper per single row.
  // Null when the model cannot be compiled (dart, gblinear, categorical splits): libxgboost then.
  std::shared_ptr<const FlatForest> flat_;
  void CompileFlat();
};

}  // namespace lepton::ml
