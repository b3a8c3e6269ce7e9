#include "lepton/ml/xgboost/flat_forest.h"
#include "lepton/ml/xgboost/model_json.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <utility>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"

// Missing values and leaves rely on IEEE comparisons with NaN (see `Step`).
#ifdef __FAST_MATH__
#error "flat_forest.cc must not be compiled with -ffast-math"
#endif

namespace lepton::ml {
namespace {

// Rows per block in batch prediction: a block's rows go through one tree before the next tree.
constexpr size_t kBlockRows = 64;
// Node indices keep their top bit for the default direction.
constexpr int64_t kMaxNodes = int64_t{1} << 31;

using xgboost_json::Child;
using xgboost_json::IntParam;
using xgboost_json::Member;
using xgboost_json::ModelError;

// A float32 parameter, parsed straight to float as XGBoost does (no detour through double).
absl::StatusOr<float> FloatParam(const Json& object, const char* key, std::string_view path) {
  const Json* j = Member(object, key);
  if (j != nullptr && j->is_string()) {
    const std::string& text = j->get_ref<const std::string&>();
    char* end = nullptr;
    const float v = std::strtof(text.c_str(), &end);
    if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(v)) return v;
  }
  return ModelError(StrCat(path, ".", key), "expected a finite number as a string");
}

// `v` as an integer, or `fallback` when it is not one (or does not fit int64).
int64_t AsInt(const Json& v, int64_t fallback) {
  if (v.is_number_unsigned()) {
    return v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               ? fallback
               : static_cast<int64_t>(v.get<uint64_t>());
  }
  return v.is_number_integer() ? v.get<int64_t>() : fallback;
}

// How an objective maps base_score to a margin, and margins to predictions (XGBoost 1.7's
// ProbToMargin and PredTransform).
struct ObjectiveLink {
  enum class BaseScore { kIdentity, kLogit, kLog };
  BaseScore base_score;
  FlatForest::Link link;
};

absl::StatusOr<ObjectiveLink> LinkOf(std::string_view objective) {
  using B = ObjectiveLink::BaseScore;
  using L = FlatForest::Link;
  if (objective == "binary:logistic" || objective == "reg:logistic") {
    return ObjectiveLink{B::kLogit, L::kSigmoid};
  }
  if (objective == "binary:logitraw") return ObjectiveLink{B::kLogit, L::kIdentity};
  if (objective == "multi:softprob" || objective == "multi:softmax") {
    return ObjectiveLink{B::kIdentity, L::kSoftmax};
  }
  if (objective == "reg:squarederror" || objective == "reg:linear" ||
      objective == "reg:squaredlogerror" || objective == "reg:pseudohubererror" ||
      objective == "reg:absoluteerror") {
    return ObjectiveLink{B::kIdentity, L::kIdentity};
  }
  if (objective == "reg:gamma" || objective == "reg:tweedie" || objective == "count:poisson") {
    return ObjectiveLink{B::kLog, L::kExp};
  }
  return absl::UnimplementedError(StrCat(
      "flat forest: objective \"", objective,
      "\" is not supported (binary:logistic, binary:logitraw, multi:softprob, multi:softmax, "
      "reg:squarederror, reg:squaredlogerror, reg:pseudohubererror, reg:absoluteerror, "
      "reg:logistic, reg:gamma, reg:tweedie, count:poisson)"));
}

constexpr uint32_t kDefaultLeft = 0x80000000u;
constexpr uint32_t kIndexMask = 0x7fffffffu;

// One step down a tree: the left child when x < threshold, the right one otherwise; a missing
// (NaN) x takes the default direction. `x >= t` is false for NaN and `!(x < t)` true, so the
// two forms encode "missing goes left" and "missing goes right" without a NaN test. A leaf
// (threshold NaN, default left, left = itself) steps to itself, as `x >= NaN` is false. Rows
// without missing values need no default direction: `x >= t` alone (`kMayBeMissing` false).
template <bool kMayBeMissing, typename Node>
inline uint32_t Step(const Node& node, const float* row) {
  const float x = row[node.feature];
  bool right;
  if constexpr (kMayBeMissing) {
    right = (node.left & kDefaultLeft) != 0 ? x >= node.threshold : !(x < node.threshold);
  } else {
    right = x >= node.threshold;
  }
  return (node.left & kIndexMask) + static_cast<uint32_t>(right);
}

// Whether any of `n` values is NaN (branch-free, so that it vectorises).
inline bool AnyNan(const float* x, size_t n) {
  bool any = false;
  for (size_t i = 0; i < n; ++i) any |= std::isnan(x[i]);
  return any;
}

// XGBoost's float32 addition of a leaf into an output kept in a double slot (float -> double
// -> float is exact, so the slot holds the float accumulator losslessly).
inline void AddFloat(double* slot, float leaf) {
  *slot = static_cast<double>(static_cast<float>(*slot) + leaf);
}

}  // namespace

absl::StatusOr<FlatForest> FlatForest::Compile(const XGBoostLearner& learner) {
  if (!learner.fitted()) {
    return absl::FailedPreconditionError("flat forest: the xgboost model is not fitted");
  }
  LEPTON_ASSIGN_OR_RETURN(const std::string bytes, learner.Save());
  Json doc;
  try {
    doc = Json::from_ubjson(bytes, /*strict=*/true, /*allow_exceptions=*/false);
  } catch (const std::exception& e) {
    return absl::InternalError(StrCat("flat forest: reading the saved booster: ", e.what()));
  }
  if (doc.is_discarded()) {
    return absl::InternalError("flat forest: the saved booster is not well-formed UBJSON");
  }
  LEPTON_ASSIGN_OR_RETURN(FlatForest forest, FromModelJson(doc));
  if (forest.num_features_ != static_cast<int>(learner.columns().size()) ||
      (learner.task() == Task::kMulticlass) != (forest.num_outputs_ > 1)) {
    return absl::InternalError(StrCat("flat forest: the booster has ", forest.num_features_,
                                      " features and ", forest.num_outputs_,
                                      " outputs, the learner ", learner.columns().size(),
                                      " columns and task ", TaskName(learner.task())));
  }
  return forest;
}

absl::StatusOr<FlatForest> FlatForest::FromModelJson(const Json& doc) {
  LEPTON_ASSIGN_OR_RETURN(const Json* learner, Child(doc, "learner", ""));
  LEPTON_ASSIGN_OR_RETURN(const Json* param, Child(*learner, "learner_model_param", "learner"));
  const std::string param_path = "learner.learner_model_param";
  FlatForest out;
  LEPTON_ASSIGN_OR_RETURN(const int64_t num_feature,
                          IntParam(*param, "num_feature", param_path, 1, 100000000));
  LEPTON_ASSIGN_OR_RETURN(const int64_t num_class,
                          IntParam(*param, "num_class", param_path, 0, 1000000));
  if (Member(*param, "num_target") != nullptr) {
    absl::StatusOr<int64_t> targets = IntParam(*param, "num_target", param_path, 1, 1000000);
    if (!targets.ok()) return targets.status();
    if (*targets != 1) {
      return absl::UnimplementedError(
          StrCat("flat forest: multi-target models (", *targets, " targets) are not supported"));
    }
  }
  LEPTON_ASSIGN_OR_RETURN(const float base_score, FloatParam(*param, "base_score", param_path));
  out.num_features_ = static_cast<int>(num_feature);
  out.num_outputs_ = static_cast<int>(std::max<int64_t>(num_class, 1));

  LEPTON_ASSIGN_OR_RETURN(const Json* objective, Child(*learner, "objective", "learner"));
  const Json* objective_name = Member(*objective, "name");
  if (objective_name == nullptr || !objective_name->is_string()) {
    return ModelError("learner.objective.name", "expected a string");
  }
  out.objective_ = objective_name->get<std::string>();
  LEPTON_ASSIGN_OR_RETURN(const ObjectiveLink link, LinkOf(out.objective_));
  out.link_ = link.link;
  if ((link.link == Link::kSoftmax) != (num_class > 1)) {
    return ModelError(StrCat(param_path, ".num_class"),
                      StrCat(num_class, " classes do not fit objective ", out.objective_));
  }
  // ProbToMargin in float32, as XGBoost computes it.
  switch (link.base_score) {
    case ObjectiveLink::BaseScore::kIdentity:
      out.base_margin_ = base_score;
      break;
    case ObjectiveLink::BaseScore::kLogit:
      if (!(base_score > 0.0f && base_score < 1.0f)) {
        return ModelError(StrCat(param_path, ".base_score"),
                          StrCat("must be in (0, 1) for ", out.objective_));
      }
      out.base_margin_ = -std::log(1.0f / base_score - 1.0f);
      break;
    case ObjectiveLink::BaseScore::kLog:
      if (!(base_score > 0.0f)) {
        return ModelError(StrCat(param_path, ".base_score"),
                          StrCat("must be positive for ", out.objective_));
      }
      out.base_margin_ = std::log(base_score);
      break;
  }

  LEPTON_ASSIGN_OR_RETURN(const Json* gb, Child(*learner, "gradient_booster", "learner"));
  const Json* gb_name = Member(*gb, "name");
  if (gb_name == nullptr || !gb_name->is_string()) {
    return ModelError("learner.gradient_booster.name", "expected a string");
  }
  if (gb_name->get<std::string>() != "gbtree") {
    return absl::UnimplementedError(
        StrCat("flat forest: booster \"", gb_name->get<std::string>(),
               "\" is not supported (gbtree only: gblinear has no trees, and dart's tree "
               "weights are not compiled)"));
  }
  const std::string model_path = "learner.gradient_booster.model";
  LEPTON_ASSIGN_OR_RETURN(const Json* model, Child(*gb, "model", "learner.gradient_booster"));
  LEPTON_ASSIGN_OR_RETURN(const Json* model_param, Child(*model, "gbtree_model_param", model_path));
  LEPTON_ASSIGN_OR_RETURN(const int64_t num_trees,
                          IntParam(*model_param, "num_trees",
                                   StrCat(model_path, ".gbtree_model_param"), 0, kMaxNodes - 1));
  LEPTON_ASSIGN_OR_RETURN(const Json* trees, Child(*model, "trees", model_path, /*array=*/true));
  LEPTON_ASSIGN_OR_RETURN(const Json* tree_info,
                          Child(*model, "tree_info", model_path, /*array=*/true));
  if (static_cast<int64_t>(trees->size()) != num_trees ||
      static_cast<int64_t>(tree_info->size()) != num_trees) {
    return ModelError(model_path,
                      StrCat("num_trees is ", num_trees, " but there are ", trees->size(),
                             " trees and ", tree_info->size(), " tree_info entries"));
  }
  // XGBoost places each tree at its "id" and reads its group from tree_info[id].
  std::vector<const Json*> by_id(static_cast<size_t>(num_trees), nullptr);
  for (size_t t = 0; t < trees->size(); ++t) {
    const Json* id = Member((*trees)[t], "id");
    const int64_t tree_id = id != nullptr ? AsInt(*id, -1) : -1;
    if (tree_id < 0 || tree_id >= num_trees || by_id[static_cast<size_t>(tree_id)] != nullptr) {
      return ModelError(StrCat(model_path, ".trees[", t, "].id"),
                        StrCat("expected a tree id in [0, ", num_trees, ") used once"));
    }
    by_id[static_cast<size_t>(tree_id)] = &(*trees)[t];
  }

  std::vector<int64_t> order;   // BFS order of one tree's nodes (original indices)
  std::vector<uint32_t> level;  // depth of each entry of `order`
  std::vector<char> seen;
  for (size_t t = 0; t < by_id.size(); ++t) {
    const Json& tree = *by_id[t];
    const std::string path = StrCat(model_path, ".trees[id ", t, "]");
    const int64_t group = AsInt((*tree_info)[t], -1);
    if (group < 0 || group >= out.num_outputs_) {
      return ModelError(StrCat(model_path, ".tree_info[", t, "]"),
                        StrCat("expected an output group in [0, ", out.num_outputs_, ")"));
    }
    LEPTON_ASSIGN_OR_RETURN(const Json* tree_param, Child(tree, "tree_param", path));
    LEPTON_ASSIGN_OR_RETURN(
        const int64_t n,
        IntParam(*tree_param, "num_nodes", StrCat(path, ".tree_param"), 1, kMaxNodes - 1));
    if (const Json* leaf_vector = Member(*tree_param, "size_leaf_vector");
        leaf_vector != nullptr &&
        !(leaf_vector->is_string() && leaf_vector->get<std::string>() == "0")) {
      return absl::UnimplementedError(
          StrCat("flat forest: ", path, ": vector leaves (multi-target trees) are not supported"));
    }
    const auto size = static_cast<size_t>(n);
    for (const char* key :
         {"left_children", "right_children", "split_indices", "split_conditions", "default_left"}) {
      LEPTON_ASSIGN_OR_RETURN(const Json* a, Child(tree, key, path, /*array=*/true));
      if (a->size() != size) {
        return ModelError(StrCat(path, ".", key),
                          StrCat("has ", a->size(), " entries for ", n, " nodes"));
      }
    }
    if (const Json* types = Member(tree, "split_type"); types != nullptr) {
      if (!types->is_array() || types->size() != size) {
        return ModelError(StrCat(path, ".split_type"), StrCat("expected ", n, " entries"));
      }
      for (size_t i = 0; i < size; ++i) {
        if (AsInt((*types)[i], -1) != 0) {
          return absl::UnimplementedError(
              StrCat("flat forest: ", path, " node ", i, ": categorical splits are not supported"));
        }
      }
    }
    const Json& lefts = tree["left_children"];
    const Json& rights = tree["right_children"];
    const Json& features = tree["split_indices"];
    const Json& conditions = tree["split_conditions"];
    const Json& default_left = tree["default_left"];

    // Breadth-first from the root: children of a split get adjacent slots, unreachable
    // (deleted) nodes none; a node reached twice means the arrays are not a tree.
    order.assign(1, 0);
    level.assign(1, 0);
    seen.assign(size, 0);
    seen[0] = 1;
    const int64_t base = static_cast<int64_t>(out.nodes_.size());
    uint32_t depth = 0;
    for (size_t pos = 0; pos < order.size(); ++pos) {
      const auto i = static_cast<size_t>(order[pos]);
      auto node_error = [&](std::string_view what) {
        return ModelError(StrCat(path, " node ", i), what);
      };
      if (!conditions[i].is_number()) {
        return node_error("split condition or leaf value is not a number");
      }
      const auto value = static_cast<float>(conditions[i].get<double>());
      const int64_t self = base + static_cast<int64_t>(pos);
      if (self >= kMaxNodes) return ModelError(path, "too many nodes in the forest");
      const int64_t l = AsInt(lefts[i], -2);
      if (l == -1) {  // a leaf: steps to itself (see `Step`)
        out.nodes_.push_back({0, std::numeric_limits<float>::quiet_NaN(),
                              static_cast<uint32_t>(self) | kDefaultLeft});
        out.leaf_values_.push_back(value);
        depth = std::max(depth, level[pos]);
        continue;
      }
      const int64_t r = AsInt(rights[i], -2);
      if (l < 0 || l >= n || r < 0 || r >= n) {
        return node_error(StrCat("child index out of range (", n, " nodes)"));
      }
      const int64_t f = AsInt(features[i], -1);
      if (f < 0 || f >= num_feature) {
        return node_error(StrCat("split feature index out of range (", num_feature, " features)"));
      }
      for (int64_t c : {l, r}) {
        if (seen[static_cast<size_t>(c)] != 0) {
          return ModelError(StrCat(path, " node ", c), "reached twice (not a tree)");
        }
        seen[static_cast<size_t>(c)] = 1;
      }
      const int64_t left_slot = base + static_cast<int64_t>(order.size());
      if (left_slot + 1 >= kMaxNodes) return ModelError(path, "too many nodes in the forest");
      const bool dl = AsInt(default_left[i], 0) != 0 ||
                      (default_left[i].is_boolean() && default_left[i].get<bool>());
      out.nodes_.push_back({static_cast<int32_t>(f), value,
                            static_cast<uint32_t>(left_slot) | (dl ? kDefaultLeft : 0u)});
      out.leaf_values_.push_back(0.0f);
      order.push_back(l);
      order.push_back(r);
      level.push_back(level[pos] + 1);
      level.push_back(level[pos] + 1);
    }
    out.trees_.push_back({static_cast<uint32_t>(base), depth, static_cast<uint32_t>(group)});
  }
  return out;
}

template <bool kMayBeMissing>
void FlatForest::MarginRow(const float* row, double* out) const {
  const Node* nodes = nodes_.data();
  const float* leaves = leaf_values_.data();
  if (num_outputs_ == 1) {
    float acc = base_margin_;
    for (const Tree& tree : trees_) {
      uint32_t i = tree.root;
      for (uint32_t d = 0; d < tree.depth; ++d) i = Step<kMayBeMissing>(nodes[i], row);
      acc += leaves[i];
    }
    out[0] = static_cast<double>(acc);
    return;
  }
  for (int g = 0; g < num_outputs_; ++g) out[g] = static_cast<double>(base_margin_);
  for (const Tree& tree : trees_) {
    uint32_t i = tree.root;
    for (uint32_t d = 0; d < tree.depth; ++d) i = Step<kMayBeMissing>(nodes[i], row);
    AddFloat(&out[tree.group], leaves[i]);
  }
}

template <bool kMayBeMissing>
void FlatForest::MarginBlock(const float* const* rows, double* const* outs, size_t n) const {
  const Node* nodes = nodes_.data();
  const float* leaves = leaf_values_.data();
  for (size_t r = 0; r < n; ++r) {
    std::fill(outs[r], outs[r] + num_outputs_, static_cast<double>(base_margin_));
  }
  uint32_t index[kBlockRows];
  for (const Tree& tree : trees_) {
    // All rows of the block one level down at a time: independent loads the CPU overlaps.
    for (size_t r = 0; r < n; ++r) index[r] = tree.root;
    for (uint32_t d = 0; d < tree.depth; ++d) {
      for (size_t r = 0; r < n; ++r) index[r] = Step<kMayBeMissing>(nodes[index[r]], rows[r]);
    }
    for (size_t r = 0; r < n; ++r) AddFloat(&outs[r][tree.group], leaves[index[r]]);
  }
}

void FlatForest::PredictMargin(const float* x, size_t rows, double* out) const {
  const auto stride = static_cast<size_t>(num_features_);
  const auto k = static_cast<size_t>(num_outputs_);
  // Rows without missing values take the cheaper step.
  if (rows == 1) {
    if (AnyNan(x, stride)) {
      MarginRow<true>(x, out);
    } else {
      MarginRow<false>(x, out);
    }
    return;
  }
  const float* complete[kBlockRows];
  double* complete_out[kBlockRows];
  const float* missing[kBlockRows];
  double* missing_out[kBlockRows];
  for (size_t begin = 0; begin < rows; begin += kBlockRows) {
    size_t num_complete = 0, num_missing = 0;
    for (size_t r = begin; r < std::min(begin + kBlockRows, rows); ++r) {
      const float* row = x + r * stride;
      if (AnyNan(row, stride)) {
        missing[num_missing] = row;
        missing_out[num_missing++] = out + r * k;
      } else {
        complete[num_complete] = row;
        complete_out[num_complete++] = out + r * k;
      }
    }
    if (num_complete > 0) MarginBlock<false>(complete, complete_out, num_complete);
    if (num_missing > 0) MarginBlock<true>(missing, missing_out, num_missing);
  }
}

void FlatForest::Transform(size_t rows, double* out) const {
  switch (link_) {
    case Link::kIdentity:
      return;
    case Link::kSigmoid:
      for (size_t r = 0; r < rows; ++r) {
        const auto m = static_cast<float>(out[r]);
        out[r] = static_cast<double>(1.0f / (1.0f + std::exp(-m)));
      }
      return;
    case Link::kExp:
      for (size_t r = 0; r < rows; ++r) {
        out[r] = static_cast<double>(std::exp(static_cast<float>(out[r])));
      }
      return;
    case Link::kSoftmax: {
      const auto k = static_cast<size_t>(num_outputs_);
      for (size_t r = 0; r < rows; ++r) {
        double* p = out + r * k;
        // XGBoost: float max, float exps, their sum in double, float divisions.
        float max = static_cast<float>(p[0]);
        for (size_t j = 1; j < k; ++j) max = std::fmax(static_cast<float>(p[j]), max);
        double sum = 0;
        for (size_t j = 0; j < k; ++j) {
          const float e = std::exp(static_cast<float>(p[j]) - max);
          p[j] = static_cast<double>(e);
          sum += e;
        }
        const auto total = static_cast<float>(sum);
        for (size_t j = 0; j < k; ++j) {
          p[j] = static_cast<double>(static_cast<float>(p[j]) / total);
        }
      }
      return;
    }
  }
}

void FlatForest::Predict(const float* x, size_t rows, double* out) const {
  PredictMargin(x, rows, out);
  Transform(rows, out);
}

absl::StatusOr<std::vector<double>> FlatForest::PredictMatrix(const features::FeatureMatrix& x,
                                                              bool margin) const {
  if (x.cols() != num_features_) {
    return absl::InvalidArgumentError(StrCat("flat forest: input has ", x.cols(),
                                             " columns but the model has ", num_features_,
                                             " features"));
  }
  if (x.rows < 0) return absl::InvalidArgumentError("flat forest: negative row count");
  const auto rows = static_cast<size_t>(x.rows);
  const auto stride = static_cast<size_t>(num_features_);
  const auto k = static_cast<size_t>(num_outputs_);
  std::vector<double> out(rows * k);
  if (!x.sparse) {
    if (x.values.size() != rows * stride) {
      return absl::InvalidArgumentError(StrCat("flat forest: dense input has ", x.values.size(),
                                               " values for ", rows, " rows x ", stride,
                                               " columns"));
    }
    PredictMargin(x.values.data(), rows, out.data());
  } else {
    if (x.row_offsets.size() != rows + 1 || x.row_offsets.front() != 0 ||
        x.row_offsets.back() != static_cast<int64_t>(x.values.size()) ||
        x.col_indices.size() != x.values.size()) {
      return absl::InvalidArgumentError("flat forest: malformed CSR input");
    }
    for (size_t r = 0; r < rows; ++r) {
      if (x.row_offsets[r + 1] < x.row_offsets[r]) {
        return absl::InvalidArgumentError(
            StrCat("flat forest: CSR row offsets decrease at row ", r));
      }
    }
    for (uint32_t c : x.col_indices) {
      if (c >= stride) {
        return absl::InvalidArgumentError(
            StrCat("flat forest: CSR column index ", c, " out of range (", stride, " columns)"));
      }
    }
    // Rows are expanded a block at a time into a dense buffer of NaN (absent = missing); only
    // the entries written are reset afterwards, so wide hashed inputs stay cheap.
    const size_t block = std::clamp<size_t>((size_t{1} << 16) / stride, 1, kBlockRows);
    std::vector<float> dense(block * stride, std::numeric_limits<float>::quiet_NaN());
    for (size_t begin = 0; begin < rows; begin += block) {
      const size_t n = std::min(block, rows - begin);
      for (size_t r = 0; r < n; ++r) {
        float* row = dense.data() + r * stride;
        for (auto e = x.row_offsets[begin + r]; e < x.row_offsets[begin + r + 1]; ++e) {
          row[x.col_indices[static_cast<size_t>(e)]] = x.values[static_cast<size_t>(e)];
        }
      }
      PredictMargin(dense.data(), n, out.data() + begin * k);
      for (size_t r = 0; r < n; ++r) {
        float* row = dense.data() + r * stride;
        for (auto e = x.row_offsets[begin + r]; e < x.row_offsets[begin + r + 1]; ++e) {
          row[x.col_indices[static_cast<size_t>(e)]] = std::numeric_limits<float>::quiet_NaN();
        }
      }
    }
  }
  if (!margin) Transform(rows, out.data());
  return out;
}

absl::StatusOr<std::vector<double>> FlatForest::Predict(const features::FeatureMatrix& x) const {
  return PredictMatrix(x, /*margin=*/false);
}

absl::StatusOr<std::vector<double>> FlatForest::PredictMargin(
    const features::FeatureMatrix& x) const {
  return PredictMatrix(x, /*margin=*/true);
}

}  // namespace lepton::ml
