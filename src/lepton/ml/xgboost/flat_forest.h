#pragma once
// A fitted XGBoost tree ensemble compiled into one flat array of nodes, for serving: evaluating
// it needs no libxgboost, allocates nothing and costs under a microsecond per row for a
// 100-tree depth-4 model (libxgboost's own single-row in-place prediction costs tens of
// microseconds, mostly fixed overhead; bench/serve/README.md has the numbers).
//
// Equal to libxgboost 1.7: the compiled forest repeats XGBoost's CPU predictor operation by
// operation, so its outputs match `XGBoostLearner::Margins` / `Predict` (float32 inside
// XGBoost) to within 1e-6, and in the tests bit for bit:
//   - a split sends a row left when `x < split_condition` (float32 comparison); a missing value
//     (NaN in dense input, an absent entry in CSR input) follows the node's default direction;
//     infinities are values;
//   - each output starts at the model's base margin, the objective's ProbToMargin of the
//     stored `base_score` computed in float32 (logit for binary:logistic, binary:logitraw and
//     reg:logistic; log for reg:gamma, reg:tweedie and count:poisson; identity otherwise), and
//     adds the leaf values of its trees (grouped by `tree_info`, so multiclass and
//     num_parallel_tree forests both work; trees in tree-id order) with float32 additions, as
//     XGBoost does (double sums differ from XGBoost's by up to ~1e-5 on 100+ trees);
//   - the link is XGBoost's float32 code: sigmoid 1 / (1 + expf(-m)) for binary:logistic and
//     reg:logistic; softmax (max-shifted, expf, the sum in double) for multi:softprob and
//     multi:softmax (served as probabilities, as `XGBoostLearner` serves it); expf for
//     reg:gamma, reg:tweedie and count:poisson; identity for binary:logitraw and the other
//     reg:* objectives (squarederror, squaredlogerror, pseudohubererror, absoluteerror).
// Results are float32 values widened to double.
//
// Layout: each tree's reachable nodes breadth-first, root first and the two children of a
// split side by side (right = left + 1), one tree after another in one array of 12-byte nodes
// {split feature, threshold, left child index | default-left bit}; leaf values in a parallel
// array. A leaf steps to itself (see `Node`), so a tree is walked branch-free for exactly its
// depth. A single row walks tree after tree; a batch goes tree-at-a-time over blocks of 64
// rows, all rows of a block one level down at a time, so that a tree's nodes stay in cache and
// the rows' independent loads overlap. Rows without NaN take a cheaper step that skips the
// default direction.
//
// Not supported (Unimplemented, naming the reason): gblinear and dart boosters, categorical
// splits, vector-leaf (multi-target) trees, other objectives.
//
// Thread-safety: immutable after `Compile`; every const method may be called concurrently.
// Copyable and movable.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/features/matrix.h"
#include "lepton/ml/xgboost/xgboost.h"

namespace lepton::ml {

class FlatForest {
 public:
  // What turns margins into predictions (see the file comment).
  enum class Link { kIdentity, kSigmoid, kSoftmax, kExp };

  // Compiles a fitted learner's booster (read through `learner.Save()`, so the forest is
  // exactly the trees the learner predicts with). FailedPrecondition when the learner is not
  // fitted; Unimplemented for what the file comment lists as not supported; InvalidArgument
  // (naming the place) for a model whose structure does not check out.
  static absl::StatusOr<FlatForest> Compile(const XGBoostLearner& learner);
  // The same from an XGBoost model document (its JSON, or UBJSON parsed into `Json`), for
  // boosters not held by a learner. Errors as `Compile`.
  static absl::StatusOr<FlatForest> FromModelJson(const Json& model);

  FlatForest(const FlatForest&) = default;
  FlatForest& operator=(const FlatForest&) = default;
  FlatForest(FlatForest&&) = default;
  FlatForest& operator=(FlatForest&&) = default;

  // Input width: every row has this many features.
  int num_features() const { return num_features_; }
  // Values per row: 1, or the class count of a multiclass model.
  int num_outputs() const { return num_outputs_; }
  int num_trees() const { return static_cast<int>(trees_.size()); }
  // Nodes kept (the reachable ones).
  size_t num_nodes() const { return nodes_.size(); }
  Link link() const { return link_; }
  // The model's objective name, e.g. "binary:logistic".
  const std::string& objective() const { return objective_; }
  // The float32 margin every output starts from (ProbToMargin of base_score).
  float base_margin() const { return base_margin_; }

  // Raw margins of `rows` rows of `num_features()` float32 values each, row-major, at `x`
  // (NaN = missing): `out` gets rows * num_outputs() values, row-major. Allocation-free; `x`
  // and `out` must hold that many values (not checked). `rows` may be 0.
  void PredictMargin(const float* x, size_t rows, double* out) const;
  // As `PredictMargin`, then the link: what `XGBoostLearner::Predict` returns (P(label == 1)
  // for binary, class probabilities for multiclass, the value for regression).
  void Predict(const float* x, size_t rows, double* out) const;

  // Predictions for a feature matrix, laid out as `Learner::Predict`'s. CSR rows treat absent
  // entries as missing (XGBoost's sparse convention, as `XGBoostLearner` does). InvalidArgument
  // for a column count other than `num_features()` and for a malformed matrix (value count,
  // CSR offsets or column indices); zero rows give an empty result.
  absl::StatusOr<std::vector<double>> Predict(const features::FeatureMatrix& x) const;
  // The same as raw margins.
  absl::StatusOr<std::vector<double>> PredictMargin(const features::FeatureMatrix& x) const;

 private:
  // One node; a tree's children are adjacent, so only the left child's index is kept. A leaf
  // is a node that steps to itself whatever the input (feature 0, threshold NaN, missing goes
  // left, left child = itself: `x >= NaN` is false for every x), so that every tree is walked
  // branch-free for exactly its depth; its value is in `leaf_values_`.
  struct Node {
    int32_t feature;  // split feature (0 for a leaf)
    float threshold;  // go left when x < threshold (NaN for a leaf)
    uint32_t left;    // index of the left child in `nodes_`; the top bit: missing goes left
  };
  struct Tree {
    uint32_t root;   // index of the root in `nodes_`
    uint32_t depth;  // steps from the root to the deepest leaf
    uint32_t group;  // output it adds to (tree_info)
  };

  FlatForest() = default;

  // Margins of one row, with float32 accumulation, into `out` (num_outputs_ values).
  template <bool kMayBeMissing>
  void MarginRow(const float* row, double* out) const;
  // Margins of `n` (at most 64) rows, tree-at-a-time: row `r` at `rows[r]`, its outputs at
  // `outs[r]`.
  template <bool kMayBeMissing>
  void MarginBlock(const float* const* rows, double* const* outs, size_t n) const;
  // Applies the link in place to `rows` rows of margins.
  void Transform(size_t rows, double* out) const;
  absl::StatusOr<std::vector<double>> PredictMatrix(const features::FeatureMatrix& x,
                                                    bool margin) const;

  std::vector<Node> nodes_;
  std::vector<float> leaf_values_;  // per node: its value if it is a leaf
  std::vector<Tree> trees_;         // in XGBoost's tree order (tree id)
  int num_features_ = 0;
  int num_outputs_ = 1;
  float base_margin_ = 0;
  Link link_ = Link::kIdentity;
  std::string objective_;
};

}  // namespace lepton::ml
