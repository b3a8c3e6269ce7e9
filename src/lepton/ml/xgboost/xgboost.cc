#include "lepton/ml/xgboost/xgboost.h"

#include "lepton/ml/xgboost/flat_forest.h"
#include "lepton/ml/xgboost/model_json.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::ml {
namespace {

constexpr const char* kMetadataAttr = "lepton";
constexpr int kMetadataVersion = 1;

// XGBoost's last error on this thread, with what we were doing.
absl::Status XgbError(int rc, std::string_view what,
                      absl::StatusCode code = absl::StatusCode::kInternal) {
  if (rc == 0) return absl::OkStatus();
  // XGBoost appends a native stack trace to its message; it says nothing to our users.
  std::string_view message = XGBGetLastError();
  message = message.substr(0, message.find("Stack trace:"));
  while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back())) != 0) {
    message.remove_suffix(1);
  }
  return absl::Status(code, StrCat("xgboost ", what, ": ", message));
}

struct DMatrixDeleter {
  void operator()(void* handle) const {
    if (handle != nullptr) XGDMatrixFree(handle);
  }
};
using DMatrixPtr = std::unique_ptr<void, DMatrixDeleter>;

// An __array_interface__ (version 3) over `count` values at `data`, with `typestr` such as
// "<f4"; XGBoost reads the buffer in place.
std::string ArrayInterface(const void* data, std::string_view typestr, int64_t rows,
                           int64_t cols = -1) {
  const auto address = reinterpret_cast<uintptr_t>(data);
  const std::string shape = cols < 0 ? StrCat("[", rows, "]") : StrCat("[", rows, ", ", cols, "]");
  return StrCat("{\"data\": [", address, ", true], \"shape\": ", shape, ", \"typestr\": \"",
                typestr, "\", \"version\": 3}");
}

// Structural checks XGBoost would otherwise turn into crashes or opaque errors. NaN is allowed
// (missing).
absl::Status CheckMatrix(const features::FeatureMatrix& x, std::string_view what) {
  if (x.rows <= 0) return absl::InvalidArgumentError(StrCat(what, ": no rows"));
  if (x.cols() <= 0) return absl::InvalidArgumentError(StrCat(what, ": no columns"));
  if (!x.sparse) {
    if (static_cast<int64_t>(x.values.size()) != x.rows * x.cols()) {
      return absl::InvalidArgumentError(StrCat(what, ": dense matrix has ", x.values.size(),
                                               " values for ", x.rows, " rows x ", x.cols(),
                                               " columns"));
    }
    return absl::OkStatus();
  }
  if (static_cast<int64_t>(x.row_offsets.size()) != x.rows + 1 || x.row_offsets.front() != 0 ||
      x.row_offsets.back() != static_cast<int64_t>(x.values.size()) ||
      x.col_indices.size() != x.values.size()) {
    return absl::InvalidArgumentError(StrCat(what, ": malformed CSR matrix"));
  }
  for (size_t r = 0; r + 1 < x.row_offsets.size(); ++r) {
    if (x.row_offsets[r + 1] < x.row_offsets[r]) {
      return absl::InvalidArgumentError(StrCat(what, ": CSR row offsets decrease at row ", r));
    }
  }
  for (uint32_t c : x.col_indices) {
    if (c >= static_cast<uint64_t>(x.cols())) {
      return absl::InvalidArgumentError(
          StrCat(what, ": CSR column index ", c, " out of range (", x.cols(), " columns)"));
    }
  }
  return absl::OkStatus();
}

std::string MissingConfig(int nthread) {
  return StrCat("{\"missing\": NaN, \"nthread\": ", nthread, "}");
}

absl::StatusOr<DMatrixPtr> MakeDMatrix(const features::FeatureMatrix& x, int nthread) {
  DMatrixHandle handle = nullptr;
  int rc = 0;
  if (!x.sparse) {
    rc = XGDMatrixCreateFromDense(ArrayInterface(x.values.data(), "<f4", x.rows, x.cols()).c_str(),
                                  MissingConfig(nthread).c_str(), &handle);
  } else {
    rc = XGDMatrixCreateFromCSR(
        ArrayInterface(x.row_offsets.data(), "<i8", x.rows + 1).c_str(),
        ArrayInterface(x.col_indices.data(), "<u4", static_cast<int64_t>(x.col_indices.size()))
            .c_str(),
        ArrayInterface(x.values.data(), "<f4", static_cast<int64_t>(x.values.size())).c_str(),
        static_cast<bst_ulong>(x.cols()), MissingConfig(nthread).c_str(), &handle);
  }
  DMatrixPtr out(handle);
  LEPTON_RETURN_IF_ERROR(XgbError(rc, "creating a DMatrix", absl::StatusCode::kInvalidArgument));
  return out;
}

absl::Status SetFloatInfo(DMatrixHandle m, const char* field, std::span<const double> values) {
  std::vector<float> f(values.begin(), values.end());
  return XgbError(XGDMatrixSetFloatInfo(m, field, f.data(), static_cast<bst_ulong>(f.size())),
                  StrCat("setting ", field));
}

bool Maximized(std::string_view metric) {
  for (std::string_view m : {"auc", "aucpr", "map", "ndcg", "pre"}) {
    if (metric.substr(0, m.size()) == m) return true;
  }
  return false;
}

// Parses "[3]\ttrain-logloss:0.5\tvalid-logloss:0.6" into {"train_logloss": 0.5, ...}.
Json ParseEval(std::string_view text) {
  Json out = Json::object();
  for (std::string_view field : Split(text, '\t')) {
    const size_t dash = field.find('-');
    const size_t colon = field.rfind(':');
    if (field.empty() || field[0] == '[' || dash == std::string_view::npos ||
        colon == std::string_view::npos || colon < dash) {
      continue;
    }
    const std::string value(field.substr(colon + 1));
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (end == value.c_str()) continue;
    out[StrCat(field.substr(0, dash), "_", field.substr(dash + 1, colon - dash - 1))] = v;
  }
  return out;
}

// Hyperparameter readers: leave `*out` unchanged when absent; InvalidArgument naming
// "xgboost.<key>" for a wrong type or a value outside [lo, hi].
absl::Status ReadNumber(const Json& params, const char* key, double lo, double hi,
                        double* out) {
  auto it = params.find(key);
  if (it == params.end()) return absl::OkStatus();
  if (!it->is_number() || !(it->get<double>() >= lo && it->get<double>() <= hi)) {
    return absl::InvalidArgumentError(
        StrCat("xgboost.", key, ": expected a number in [", lo, ", ", hi, "]"));
  }
  *out = it->get<double>();
  return absl::OkStatus();
}

absl::Status ReadInt(const Json& params, const char* key, int64_t lo, int64_t hi, int* out) {
  auto it = params.find(key);
  if (it == params.end()) return absl::OkStatus();
  if (!it->is_number_integer() || it->get<int64_t>() < lo || it->get<int64_t>() > hi) {
    return absl::InvalidArgumentError(
        StrCat("xgboost.", key, ": expected an integer in [", lo, ", ", hi, "]"));
  }
  *out = static_cast<int>(it->get<int64_t>());
  return absl::OkStatus();
}

absl::Status ReadString(const Json& params, const char* key, std::string* out) {
  auto it = params.find(key);
  if (it == params.end()) return absl::OkStatus();
  if (!it->is_string()) return absl::InvalidArgumentError(StrCat("xgboost.", key, ": expected a string"));
  *out = it->get<std::string>();
  return absl::OkStatus();
}

// --- Checking model bytes before libxgboost sees them (see the header's file comment). ---

constexpr int kMaxNesting = 64;  // an XGBoost model nests about 8 deep
constexpr int64_t kMaxTreeDepth = 1000;
constexpr int64_t kMaxNodes = int64_t{1} << 30;

// A SAX consumer that builds nothing and stops at nesting deeper than `kMaxNesting`, so that
// the recursive readers (nlohmann's UBJSON reader, XGBoost's JSON and UBJSON readers) never
// see a document deep enough to exhaust the stack.
class NestingCheck {
 public:
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(Json::number_integer_t) { return true; }
  bool number_unsigned(Json::number_unsigned_t) { return true; }
  bool number_float(Json::number_float_t, const Json::string_t&) { return true; }
  bool string(Json::string_t&) { return true; }
  bool binary(Json::binary_t&) { return true; }
  bool key(Json::string_t&) { return true; }
  bool start_object(std::size_t) { return Enter(); }
  bool end_object() { return Leave(); }
  bool start_array(std::size_t) { return Enter(); }
  bool end_array() { return Leave(); }
  bool parse_error(std::size_t, const std::string&, const Json::exception& e) {
    error_ = e.what();
    return false;
  }
  const std::string& error() const { return error_; }

 private:
  bool Enter() {
    if (++depth_ <= kMaxNesting) return true;
    error_ = StrCat("nested deeper than ", kMaxNesting, " levels");
    return false;
  }
  bool Leave() {
    --depth_;
    return true;
  }

  int depth_ = 0;
  std::string error_;
};

// What `Load` and `Import` need to know about a checked model file.
struct ModelInfo {
  std::string objective;   // e.g. "binary:logistic"
  std::string booster;     // gbtree, dart or gblinear
  int64_t num_feature = 0;
  int64_t num_class = 0;   // 0 for binary and regression models
  std::vector<std::string> feature_names;  // empty when the model has none
  // Set when XGBoost must be given other bytes than the file's: JSON text that does not start
  // with `{"` (XGBoost 1.7 tells JSON from UBJSON by the second byte), re-serialised compactly.
  std::string xgboost_bytes;
};

using xgboost_json::Child;
using xgboost_json::IntParam;
using xgboost_json::Member;
using xgboost_json::ModelError;

// `v` as an integer, or `fallback` when it is not one (or does not fit int64).
int64_t AsInt(const Json& v, int64_t fallback) {
  if (v.is_number_unsigned()) {
    return v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               ? fallback
               : static_cast<int64_t>(v.get<uint64_t>());
  }
  return v.is_number_integer() ? v.get<int64_t>() : fallback;
}

int64_t IntAt(const Json& array, size_t i, int64_t fallback) { return AsInt(array[i], fallback); }

// One regression tree: per-node arrays of num_nodes entries, children and split features in
// range, each node reachable from the root at most once and no deeper than `kMaxTreeDepth`,
// numerical splits only.
absl::Status CheckTree(const Json& tree, std::string_view path, int64_t num_feature) {
  if (!tree.is_object()) return ModelError(path, "expected an object");
  LEPTON_ASSIGN_OR_RETURN(const Json* param, Child(tree, "tree_param", path));
  const std::string param_path = StrCat(path, ".tree_param");
  LEPTON_ASSIGN_OR_RETURN(const int64_t n, IntParam(*param, "num_nodes", param_path, 1, kMaxNodes));
  if (const Json* leaf_vector = Member(*param, "size_leaf_vector");
      leaf_vector != nullptr &&
      !(leaf_vector->is_string() && leaf_vector->get<std::string>() == "0")) {
    return ModelError(StrCat(param_path, ".size_leaf_vector"),
                      "vector leaves (multi-target trees) are not supported");
  }
  const auto size = static_cast<size_t>(n);
  for (const char* key : {"left_children", "right_children", "parents", "split_indices",
                          "split_conditions", "default_left", "base_weights", "loss_changes",
                          "sum_hessian"}) {
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
      if (IntAt(*types, i, -1) != 0) {
        return ModelError(StrCat(path, ".split_type[", i, "]"),
                          "categorical splits are not supported (inputs are numeric)");
      }
    }
  }
  const Json& left = tree["left_children"];
  const Json& right = tree["right_children"];
  const Json& feature = tree["split_indices"];
  std::vector<int64_t> lefts(size), rights(size);
  for (size_t i = 0; i < size; ++i) {
    lefts[i] = IntAt(left, i, -2);
    rights[i] = IntAt(right, i, -2);
    if (lefts[i] == -1) continue;  // a leaf (or a deleted node)
    if (lefts[i] < 0 || lefts[i] >= n || rights[i] < 0 || rights[i] >= n) {
      return ModelError(StrCat(path, " node ", i),
                        StrCat("child index out of range (", n, " nodes)"));
    }
    const int64_t f = IntAt(feature, i, -1);
    if (f < 0 || f >= num_feature) {
      return ModelError(StrCat(path, " node ", i),
                        StrCat("split feature index out of range (", num_feature, " features)"));
    }
  }
  std::vector<char> seen(size, 0);
  std::vector<std::pair<int64_t, int64_t>> stack = {{0, 0}};  // node, depth
  while (!stack.empty()) {
    const auto [node, depth] = stack.back();
    stack.pop_back();
    if (seen[static_cast<size_t>(node)] != 0) {
      return ModelError(StrCat(path, " node ", node), "reached twice (not a tree)");
    }
    if (depth > kMaxTreeDepth) {
      return ModelError(path, StrCat("deeper than ", kMaxTreeDepth, " levels"));
    }
    seen[static_cast<size_t>(node)] = 1;
    const int64_t l = lefts[static_cast<size_t>(node)];
    if (l == -1) continue;
    stack.emplace_back(l, depth + 1);
    stack.emplace_back(rights[static_cast<size_t>(node)], depth + 1);
  }
  return absl::OkStatus();
}

// A gbtree model: {"gbtree_model_param": {"num_trees"}, "trees": [...], "tree_info": [...]}
// with tree ids a permutation of 0..num_trees-1 and output groups below `groups`.
absl::StatusOr<int64_t> CheckTreeModel(const Json& model, std::string_view path,
                                       const ModelInfo& info) {
  LEPTON_ASSIGN_OR_RETURN(const Json* param, Child(model, "gbtree_model_param", path));
  LEPTON_ASSIGN_OR_RETURN(
      const int64_t num_trees,
      IntParam(*param, "num_trees", StrCat(path, ".gbtree_model_param"), 0, kMaxNodes));
  LEPTON_ASSIGN_OR_RETURN(const Json* trees, Child(model, "trees", path, /*array=*/true));
  LEPTON_ASSIGN_OR_RETURN(const Json* tree_info, Child(model, "tree_info", path, /*array=*/true));
  if (static_cast<int64_t>(trees->size()) != num_trees ||
      static_cast<int64_t>(tree_info->size()) != num_trees) {
    return ModelError(path, StrCat("num_trees is ", num_trees, " but there are ", trees->size(),
                                   " trees and ", tree_info->size(), " tree_info entries"));
  }
  const int64_t groups = std::max<int64_t>(info.num_class, 1);
  std::vector<char> ids(static_cast<size_t>(num_trees), 0);
  for (size_t t = 0; t < trees->size(); ++t) {
    const std::string tree_path = StrCat(path, ".trees[", t, "]");
    const int64_t group = IntAt(*tree_info, t, -1);
    if (group < 0 || group >= groups) {
      return ModelError(StrCat(path, ".tree_info[", t, "]"),
                        StrCat("expected an output group in [0, ", groups, ")"));
    }
    const Json* id = Member((*trees)[t], "id");
    const int64_t tree_id = id != nullptr ? AsInt(*id, -1) : -1;
    if (tree_id < 0 || tree_id >= num_trees || ids[static_cast<size_t>(tree_id)] != 0) {
      return ModelError(StrCat(tree_path, ".id"),
                        StrCat("expected a tree id in [0, ", num_trees, ") used once"));
    }
    ids[static_cast<size_t>(tree_id)] = 1;
    LEPTON_RETURN_IF_ERROR(CheckTree((*trees)[t], tree_path, info.num_feature));
  }
  return num_trees;
}

// Parses and checks `bytes` as an XGBoost JSON or UBJSON model (see the header's file
// comment). InvalidArgument naming the first problem.
absl::StatusOr<ModelInfo> InspectModel(std::string_view bytes) {
  // XGBoost 1.7 dispatches on the first two bytes: `{"` JSON, `{` + letter UBJSON (the first
  // key's length marker), anything else its legacy binary format.
  if (bytes.size() < 2 || bytes[0] != '{') {
    return absl::InvalidArgumentError(
        "not an XGBoost JSON or UBJSON model (the legacy binary format is not supported: save "
        "the booster to a .json or .ubj file)");
  }
  const unsigned char second = static_cast<unsigned char>(bytes[1]);
  const bool text = second == '"' || std::isspace(second) != 0;
  if (!text && std::isalpha(second) == 0) {
    return absl::InvalidArgumentError("not an XGBoost JSON or UBJSON model");
  }
  const char* first = bytes.data();
  const char* last = bytes.data() + bytes.size();
  const auto format =
      text ? nlohmann::detail::input_format_t::json : nlohmann::detail::input_format_t::ubjson;
  const std::string_view format_name = text ? "JSON" : "UBJSON";
  Json doc;
  try {
    NestingCheck check;
    if (!Json::sax_parse(first, last, &check, format, /*strict=*/true)) {
      return absl::InvalidArgumentError(
          StrCat("not a well-formed XGBoost ", format_name, " model: ", check.error()));
    }
    doc = text ? Json::parse(first, last, nullptr, /*allow_exceptions=*/false)
               : Json::from_ubjson(first, last, /*strict=*/true, /*allow_exceptions=*/false);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        StrCat("not a well-formed XGBoost ", format_name, " model: ", e.what()));
  }
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError(StrCat("not a well-formed XGBoost ", format_name, " model"));
  }

  ModelInfo info;
  if (text && second != '"') info.xgboost_bytes = DumpJson(doc);
  if (!doc.is_object()) return ModelError("", "expected a JSON object");
  LEPTON_ASSIGN_OR_RETURN(const Json* learner, Child(doc, "learner", ""));
  LEPTON_ASSIGN_OR_RETURN(const Json* param, Child(*learner, "learner_model_param", "learner"));
  const std::string param_path = "learner.learner_model_param";
  LEPTON_ASSIGN_OR_RETURN(info.num_feature,
                          IntParam(*param, "num_feature", param_path, 1, 100000000));
  LEPTON_ASSIGN_OR_RETURN(info.num_class, IntParam(*param, "num_class", param_path, 0, 1000000));
  if (Member(*param, "num_target") != nullptr) {
    LEPTON_ASSIGN_OR_RETURN(int64_t targets, IntParam(*param, "num_target", param_path, 1, 1));
    (void)targets;
  }
  LEPTON_ASSIGN_OR_RETURN(const Json* objective, Child(*learner, "objective", "learner"));
  const Json* objective_name = Member(*objective, "name");
  if (objective_name == nullptr || !objective_name->is_string()) {
    return ModelError("learner.objective.name", "expected a string");
  }
  info.objective = objective_name->get<std::string>();
  if (const Json* names = Member(*learner, "feature_names"); names != nullptr) {
    if (!names->is_array()) return ModelError("learner.feature_names", "expected an array");
    for (const Json& name : *names) {
      if (!name.is_string()) return ModelError("learner.feature_names", "expected strings");
      info.feature_names.push_back(name.get<std::string>());
    }
    if (!info.feature_names.empty() &&
        static_cast<int64_t>(info.feature_names.size()) != info.num_feature) {
      return ModelError("learner.feature_names",
                        StrCat("has ", info.feature_names.size(), " names for ",
                               info.num_feature, " features"));
    }
  }
  LEPTON_ASSIGN_OR_RETURN(const Json* gb, Child(*learner, "gradient_booster", "learner"));
  const Json* gb_name = Member(*gb, "name");
  if (gb_name == nullptr || !gb_name->is_string()) {
    return ModelError("learner.gradient_booster.name", "expected a string");
  }
  info.booster = gb_name->get<std::string>();
  const std::string gb_path = "learner.gradient_booster";
  if (info.booster == "gbtree") {
    LEPTON_ASSIGN_OR_RETURN(const Json* model, Child(*gb, "model", gb_path));
    LEPTON_RETURN_IF_ERROR(CheckTreeModel(*model, StrCat(gb_path, ".model"), info).status());
  } else if (info.booster == "dart") {
    LEPTON_ASSIGN_OR_RETURN(const Json* inner, Child(*gb, "gbtree", gb_path));
    LEPTON_ASSIGN_OR_RETURN(const Json* model, Child(*inner, "model", StrCat(gb_path, ".gbtree")));
    LEPTON_ASSIGN_OR_RETURN(const int64_t num_trees,
                            CheckTreeModel(*model, StrCat(gb_path, ".gbtree.model"), info));
    LEPTON_ASSIGN_OR_RETURN(const Json* drops, Child(*gb, "weight_drop", gb_path, /*array=*/true));
    if (static_cast<int64_t>(drops->size()) != num_trees) {
      return ModelError(StrCat(gb_path, ".weight_drop"),
                        StrCat("has ", drops->size(), " entries for ", num_trees, " trees"));
    }
  } else if (info.booster == "gblinear") {
    LEPTON_ASSIGN_OR_RETURN(const Json* model, Child(*gb, "model", gb_path));
    LEPTON_ASSIGN_OR_RETURN(const Json* weights,
                            Child(*model, "weights", StrCat(gb_path, ".model"), /*array=*/true));
    const int64_t expected = (info.num_feature + 1) * std::max<int64_t>(info.num_class, 1);
    if (static_cast<int64_t>(weights->size()) != expected) {
      return ModelError(StrCat(gb_path, ".model.weights"),
                        StrCat("has ", weights->size(), " entries, expected ", expected));
    }
  } else {
    return ModelError("learner.gradient_booster.name",
                      StrCat("booster \"", info.booster,
                             "\" is not supported (expected gbtree, dart or gblinear)"));
  }
  return info;
}

std::string_view DefaultObjective(Task task) {
  switch (task) {
    case Task::kBinary: return "binary:logistic";
    case Task::kMulticlass: return "multi:softprob";
    case Task::kRegression: return "reg:squarederror";
  }
  return "binary:logistic";
}

// OK when a booster with `objective` predicts what `Learner::Predict` promises for `task`
// (multi:softmax after it is switched to softprob). InvalidArgument naming the objective.
absl::Status CheckObjective(std::string_view objective, Task task) {
  bool fits = false;
  std::string_view expected;
  switch (task) {
    case Task::kBinary:
      fits = objective == "binary:logistic";
      expected = "binary:logistic";
      break;
    case Task::kMulticlass:
      fits = objective == "multi:softprob" || objective == "multi:softmax";
      expected = "multi:softprob or multi:softmax";
      break;
    case Task::kRegression:
      fits = objective.substr(0, 4) == "reg:";
      expected = "a reg:* objective";
      break;
  }
  if (fits) return absl::OkStatus();
  return absl::InvalidArgumentError(StrCat("objective \"", objective, "\" does not fit a ",
                                           TaskName(task), " model (expected ", expected, ")"));
}

// The class count the booster must have for `task`: K for multiclass, 0 otherwise (XGBoost
// keeps 0 for single-output models).
absl::Status CheckClassCount(int64_t model_classes, Task task, int num_classes) {
  if (task == Task::kMulticlass) {
    if (model_classes != num_classes) {
      return absl::InvalidArgumentError(StrCat("the model has ", model_classes, " classes but ",
                                               num_classes, " are declared"));
    }
  } else if (model_classes > 1) {
    return absl::InvalidArgumentError(StrCat("the model has ", model_classes,
                                             " classes, not one output for a ", TaskName(task),
                                             " model"));
  }
  return absl::OkStatus();
}

}  // namespace

void XGBoostLearner::BoosterDeleter::operator()(void* handle) const {
  if (handle != nullptr) XGBoosterFree(handle);
}

XGBoostLearner::XGBoostLearner(XGBoostOptions options) : options_(std::move(options)) {}
XGBoostLearner::~XGBoostLearner() = default;

absl::StatusOr<XGBoostOptions> XGBoostLearner::ParseOptions(const Json& params_in) {
  static constexpr std::array<std::string_view, 20> kKeys = {
      "n_estimators", "num_boost_round", "max_depth",     "eta",
      "learning_rate", "subsample",      "colsample_bytree", "min_child_weight",
      "lambda",       "reg_lambda",      "alpha",         "reg_alpha",
      "gamma",        "max_bin",         "tree_method",   "scale_pos_weight",
      "class_weight", "early_stopping_rounds", "eval_metric", "nthread"};
  Json params = params_in.is_null() ? Json::object() : params_in;
  if (!params.is_object()) return absl::InvalidArgumentError("xgboost: expected an object");
  for (const auto& [key, value] : params.items()) {
    if (std::find(kKeys.begin(), kKeys.end(), std::string_view(key)) == kKeys.end()) {
      return absl::InvalidArgumentError(StrCat("xgboost.", key, ": unknown parameter (known: ",
                                               StrJoin(kKeys, ", "), ")"));
    }
  }
  // Aliases, as in Python's xgboost.
  for (auto [alias, name] : std::array<std::pair<const char*, const char*>, 4>{
           {{"num_boost_round", "n_estimators"},
            {"learning_rate", "eta"},
            {"reg_lambda", "lambda"},
            {"reg_alpha", "alpha"}}}) {
    if (params.contains(alias)) {
      if (params.contains(name)) {
        return absl::InvalidArgumentError(
            StrCat("xgboost.", alias, ": give either ", alias, " or ", name, ", not both"));
      }
      params[name] = params[alias];
      params.erase(alias);
    }
  }
  XGBoostOptions o;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  LEPTON_RETURN_IF_ERROR(ReadInt(params, "n_estimators", 1, 1000000, &o.n_estimators));
  LEPTON_RETURN_IF_ERROR(ReadInt(params, "max_depth", 0, 64, &o.max_depth));
  LEPTON_RETURN_IF_ERROR(ReadNumber(params, "eta", 0, 1, &o.eta));
  LEPTON_RETURN_IF_ERROR(ReadNumber(params, "subsample", 1e-9, 1, &o.subsample));
  LEPTON_RETURN_IF_ERROR(ReadNumber(params, "colsample_bytree", 1e-9, 1, &o.colsample_bytree));
  LEPTON_RETURN_IF_ERROR(ReadNumber(params, "min_child_weight", 0, kInf, &o.min_child_weight));
  LEPTON_RETURN_IF_ERROR(ReadNumber(params, "lambda", 0, kInf, &o.lambda));
  LEPTON_RETURN_IF_ERROR(ReadNumber(params, "alpha", 0, kInf, &o.alpha));
  LEPTON_RETURN_IF_ERROR(ReadNumber(params, "gamma", 0, kInf, &o.gamma));
  LEPTON_RETURN_IF_ERROR(ReadInt(params, "max_bin", 2, 1 << 20, &o.max_bin));
  LEPTON_RETURN_IF_ERROR(ReadNumber(params, "scale_pos_weight", 0, kInf, &o.scale_pos_weight));
  LEPTON_RETURN_IF_ERROR(ReadInt(params, "early_stopping_rounds", 0, 1000000,
                                 &o.early_stopping_rounds));
  LEPTON_RETURN_IF_ERROR(ReadInt(params, "nthread", 0, 4096, &o.nthread));
  LEPTON_RETURN_IF_ERROR(ReadString(params, "tree_method", &o.tree_method));
  LEPTON_RETURN_IF_ERROR(ReadString(params, "eval_metric", &o.eval_metric));
  if (o.tree_method != "hist" && o.tree_method != "approx" && o.tree_method != "exact") {
    return absl::InvalidArgumentError("xgboost.tree_method: expected hist, approx or exact");
  }
  if (params.contains("class_weight")) {
    LEPTON_ASSIGN_OR_RETURN(o.class_weight,
                            ParseClassWeight(params["class_weight"], "xgboost.class_weight"));
  }
  return o;
}

absl::StatusOr<std::unique_ptr<XGBoostLearner>> XGBoostLearner::Create(const Json& params) {
  LEPTON_ASSIGN_OR_RETURN(XGBoostOptions options, ParseOptions(params));
  return std::make_unique<XGBoostLearner>(std::move(options));
}

std::string XGBoostLearner::Objective() const {
  if (imported()) return imported_objective_;
  return std::string(DefaultObjective(task_));
}

std::string XGBoostLearner::Metric() const {
  if (!options_.eval_metric.empty()) return options_.eval_metric;
  switch (task_) {
    case Task::kBinary: return "logloss";
    case Task::kMulticlass: return "mlogloss";
    case Task::kRegression: return "rmse";
  }
  return "logloss";
}

Json XGBoostLearner::Params() const {
  if (imported()) {
    return Json{{"imported", true},
                {"objective", imported_objective_},
                {"booster", imported_booster_},
                {"boosted_rounds", boosted_rounds_},
                {"eval_metric", Metric()},
                {"nthread", nthread_}};
  }
  return Json{{"n_estimators", options_.n_estimators},
              {"max_depth", options_.max_depth},
              {"eta", options_.eta},
              {"subsample", options_.subsample},
              {"colsample_bytree", options_.colsample_bytree},
              {"min_child_weight", options_.min_child_weight},
              {"lambda", options_.lambda},
              {"alpha", options_.alpha},
              {"gamma", options_.gamma},
              {"max_bin", options_.max_bin},
              {"tree_method", options_.tree_method},
              {"scale_pos_weight", options_.scale_pos_weight},
              {"class_weight", ClassWeightToJson(options_.class_weight)},
              {"early_stopping_rounds", options_.early_stopping_rounds},
              {"eval_metric", Metric()},
              {"objective", Objective()},
              {"seed", seed_},
              {"nthread", nthread_}};
}

absl::Status XGBoostLearner::Fit(const LabeledData& train, const LabeledData* valid,
                                 const FitContext& context) {
  const Task task = context.task;
  int num_classes = task == Task::kBinary ? 2 : task == Task::kMulticlass ? context.num_classes : 0;
  if (task == Task::kMulticlass && num_classes < 2) {
    return absl::InvalidArgumentError(
        StrCat("multiclass task needs num_classes >= 2, got ", context.num_classes));
  }
  if (train.x == nullptr) return absl::InvalidArgumentError("train: no feature matrix");
  LEPTON_RETURN_IF_ERROR(CheckMatrix(*train.x, "train"));
  LEPTON_RETURN_IF_ERROR(ValidateLabels(train.y, train.weights, train.x->rows, num_classes, "train"));
  const bool has_valid = valid != nullptr && valid->x != nullptr;
  if (has_valid) {
    if (valid->x->cols() != train.x->cols()) {
      return absl::InvalidArgumentError(StrCat("valid has ", valid->x->cols(),
                                               " columns but train has ", train.x->cols()));
    }
    LEPTON_RETURN_IF_ERROR(CheckMatrix(*valid->x, "valid"));
    LEPTON_RETURN_IF_ERROR(
        ValidateLabels(valid->y, valid->weights, valid->x->rows, num_classes, "valid"));
  }
  const int nthread = options_.nthread > 0 ? options_.nthread : std::max(context.threads, 0);

  LEPTON_ASSIGN_OR_RETURN(DMatrixPtr dtrain, MakeDMatrix(*train.x, nthread));
  LEPTON_RETURN_IF_ERROR(SetFloatInfo(dtrain.get(), "label", train.y));
  if (!train.weights.empty() || !options_.class_weight.empty()) {
    LEPTON_RETURN_IF_ERROR(SetFloatInfo(
        dtrain.get(), "weight",
        EffectiveWeights(train.y, train.weights, num_classes, options_.class_weight)));
  }
  DMatrixPtr dvalid;
  if (has_valid) {
    LEPTON_ASSIGN_OR_RETURN(dvalid, MakeDMatrix(*valid->x, nthread));
    LEPTON_RETURN_IF_ERROR(SetFloatInfo(dvalid.get(), "label", valid->y));
    if (!valid->weights.empty()) {
      LEPTON_RETURN_IF_ERROR(SetFloatInfo(dvalid.get(), "weight", valid->weights));
    }
  }

  // The learner state the booster is configured from (Objective()/Metric() read task_).
  const Task previous_task = task_;
  task_ = task;
  const std::string objective(DefaultObjective(task));
  const std::string metric = Metric();
  task_ = previous_task;

  std::array<DMatrixHandle, 2> cache = {dtrain.get(), dvalid.get()};
  BoosterHandle raw = nullptr;
  LEPTON_RETURN_IF_ERROR(
      XgbError(XGBoosterCreate(cache.data(), has_valid ? 2 : 1, &raw), "creating a booster"));
  BoosterPtr booster(raw);
  std::vector<std::pair<std::string, std::string>> settings = {
      {"objective", objective},
      {"eval_metric", metric},
      {"max_depth", StrCat(options_.max_depth)},
      {"eta", StrCat(options_.eta)},
      {"subsample", StrCat(options_.subsample)},
      {"colsample_bytree", StrCat(options_.colsample_bytree)},
      {"min_child_weight", StrCat(options_.min_child_weight)},
      {"lambda", StrCat(options_.lambda)},
      {"alpha", StrCat(options_.alpha)},
      {"gamma", StrCat(options_.gamma)},
      {"max_bin", StrCat(options_.max_bin)},
      {"tree_method", options_.tree_method},
      {"seed", StrCat(context.seed)},
      {"nthread", StrCat(nthread)},
      {"verbosity", "1"}};
  if (task == Task::kMulticlass) settings.emplace_back("num_class", StrCat(num_classes));
  if (task == Task::kBinary) {
    settings.emplace_back("scale_pos_weight", StrCat(options_.scale_pos_weight));
  }
  for (const auto& [key, value] : settings) {
    LEPTON_RETURN_IF_ERROR(XgbError(XGBoosterSetParam(booster.get(), key.c_str(), value.c_str()),
                                    StrCat("setting ", key, "=", value),
                                    absl::StatusCode::kInvalidArgument));
  }

  const std::array<const char*, 2> names = {"train", "valid"};
  const std::string valid_key = StrCat("valid_", metric);
  const bool maximize = Maximized(metric);
  const bool early_stopping = has_valid && options_.early_stopping_rounds > 0;
  const bool evaluate = early_stopping || static_cast<bool>(context.progress);
  double best_score = maximize ? -std::numeric_limits<double>::infinity()
                               : std::numeric_limits<double>::infinity();
  int best_iteration = -1;
  int rounds = 0;
  for (int i = 0; i < options_.n_estimators; ++i) {
    LEPTON_RETURN_IF_ERROR(
        XgbError(XGBoosterUpdateOneIter(booster.get(), i, dtrain.get()), StrCat("round ", i)));
    rounds = i + 1;
    if (!evaluate) continue;
    const char* eval = nullptr;
    LEPTON_RETURN_IF_ERROR(XgbError(XGBoosterEvalOneIter(booster.get(), i, cache.data(),
                                                         const_cast<const char**>(names.data()),
                                                         has_valid ? 2 : 1, &eval),
                                    StrCat("evaluating round ", i)));
    const Json metrics = ParseEval(eval == nullptr ? "" : eval);
    if (context.progress && !context.progress(i + 1, options_.n_estimators, metrics)) {
      return absl::CancelledError(StrCat("fit cancelled after boosting round ", i + 1));
    }
    if (early_stopping) {
      if (!metrics.contains(valid_key)) {
        return absl::InternalError(
            StrCat("xgboost evaluation \"", eval, "\" has no ", valid_key));
      }
      const double score = metrics[valid_key].get<double>();
      if (maximize ? score > best_score : score < best_score) {
        best_score = score;
        best_iteration = i;
      } else if (i - best_iteration >= options_.early_stopping_rounds) {
        break;
      }
    }
  }
  if (!early_stopping) best_iteration = rounds - 1;
  if (best_iteration + 1 < rounds) {
    // Keep the rounds up to the best one, so every later use sees the best iteration.
    BoosterHandle sliced = nullptr;
    LEPTON_RETURN_IF_ERROR(XgbError(XGBoosterSlice(booster.get(), 0, best_iteration + 1, 1, &sliced),
                                    "slicing to the best iteration"));
    booster.reset(sliced);
  }

  task_ = task;
  num_classes_ = num_classes;
  seed_ = context.seed;
  nthread_ = nthread;
  columns_ = train.x->columns;
  boosted_rounds_ = best_iteration + 1;
  best_iteration_ = best_iteration;
  imported_objective_.clear();
  imported_booster_.clear();
  booster_ = std::move(booster);
  LEPTON_RETURN_IF_ERROR(XgbError(
      XGBoosterSetAttr(booster_.get(), kMetadataAttr, DumpJson(Metadata()).c_str()),
      "storing metadata"));
  CompileFlat();
  return absl::OkStatus();
}

void XGBoostLearner::CompileFlat() {
  flat_.reset();
  auto flat = FlatForest::Compile(*this);
  if (flat.ok()) flat_ = std::make_shared<const FlatForest>(*std::move(flat));
}

Json XGBoostLearner::Metadata() const {
  return Json{{"version", kMetadataVersion},     {"task", TaskName(task_)},
              {"num_classes", num_classes_},     {"columns", columns_},
              {"params", Params()},              {"boosted_rounds", boosted_rounds_},
              {"best_iteration", best_iteration_}};
}

absl::Status XGBoostLearner::CheckInput(const features::FeatureMatrix& x) const {
  if (!fitted()) return absl::FailedPreconditionError("xgboost model is not fitted");
  if (x.cols() != static_cast<int64_t>(columns_.size())) {
    return absl::InvalidArgumentError(StrCat("input has ", x.cols(),
                                             " columns but the model was fitted on ",
                                             columns_.size()));
  }
  return CheckMatrix(x, "input");
}

absl::StatusOr<std::vector<double>> XGBoostLearner::PredictType(const features::FeatureMatrix& x,
                                                                int type) const {
  LEPTON_RETURN_IF_ERROR(CheckInput(x));
  // "cache_id": 0 is required by 1.7.4's in-place prediction.
  const std::string config = StrCat(
      "{\"type\": ", type,
      ", \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
      "\"strict_shape\": false, \"cache_id\": 0, \"missing\": NaN}");
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  int rc = 0;
  if (!x.sparse) {
    rc = XGBoosterPredictFromDense(booster_.get(),
                                   ArrayInterface(x.values.data(), "<f4", x.rows, x.cols()).c_str(),
                                   config.c_str(), nullptr, &shape, &dim, &result);
  } else {
    rc = XGBoosterPredictFromCSR(
        booster_.get(), ArrayInterface(x.row_offsets.data(), "<i8", x.rows + 1).c_str(),
        ArrayInterface(x.col_indices.data(), "<u4", static_cast<int64_t>(x.col_indices.size()))
            .c_str(),
        ArrayInterface(x.values.data(), "<f4", static_cast<int64_t>(x.values.size())).c_str(),
        static_cast<bst_ulong>(x.cols()), config.c_str(), nullptr, &shape, &dim, &result);
  }
  LEPTON_RETURN_IF_ERROR(XgbError(rc, "predicting"));
  size_t count = 1;
  for (bst_ulong i = 0; i < dim; ++i) count *= shape[i];
  const size_t expected = static_cast<size_t>(x.rows) *
                          static_cast<size_t>(task_ == Task::kMulticlass ? num_classes_ : 1);
  if (count != expected) {
    return absl::InternalError(
        StrCat("xgboost returned ", count, " predictions, expected ", expected));
  }
  return std::vector<double>(result, result + count);
}

absl::StatusOr<std::vector<double>> XGBoostLearner::PredictWithLibxgboost(const features::FeatureMatrix& x,
                                                                         bool margin) const {
  return PredictType(x, margin ? 1 : 0);
}

absl::StatusOr<std::vector<double>> XGBoostLearner::Predict(
    const features::FeatureMatrix& x) const {
  if (flat_ != nullptr) {
    LEPTON_RETURN_IF_ERROR(CheckInput(x));
    return flat_->Predict(x);
  }
  return PredictType(x, 0);
}

absl::StatusOr<std::vector<double>> XGBoostLearner::Margins(
    const features::FeatureMatrix& x) const {
  if (flat_ != nullptr) {
    LEPTON_RETURN_IF_ERROR(CheckInput(x));
    return flat_->PredictMargin(x);
  }
  return PredictType(x, 1);
}

absl::StatusOr<std::vector<double>> XGBoostLearner::Contributions(
    const features::FeatureMatrix& x) const {
  LEPTON_RETURN_IF_ERROR(CheckInput(x));
  if (task_ == Task::kMulticlass) {
    return absl::UnimplementedError("xgboost contributions are for binary and regression models");
  }
  LEPTON_ASSIGN_OR_RETURN(DMatrixPtr m, MakeDMatrix(x, nthread_));
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  {
    absl::MutexLock lock(&dmatrix_predict_mu_);
    LEPTON_RETURN_IF_ERROR(XgbError(
        XGBoosterPredictFromDMatrix(booster_.get(), m.get(),
                                    "{\"type\": 2, \"training\": false, \"iteration_begin\": 0, "
                                    "\"iteration_end\": 0, \"strict_shape\": false}",
                                    &shape, &dim, &result),
        "predicting contributions"));
    size_t count = 1;
    for (bst_ulong i = 0; i < dim; ++i) count *= shape[i];
    const size_t expected = static_cast<size_t>(x.rows) * (columns_.size() + 1);
    if (count != expected) {
      return absl::InternalError(
          StrCat("xgboost returned ", count, " contributions, expected ", expected));
    }
    return std::vector<double>(result, result + count);
  }
}

Json XGBoostLearner::Importance() const {
  Json out = Json::object();
  if (!fitted()) return out;
  bst_ulong n = 0;
  const char** names = nullptr;
  bst_ulong dim = 0;
  const bst_ulong* shape = nullptr;
  const float* scores = nullptr;
  if (XGBoosterFeatureScore(booster_.get(), "{\"importance_type\": \"total_gain\"}", &n, &names,
                            &dim, &shape, &scores) != 0) {
    return out;
  }
  // An imported booster may carry feature names (which `Import` checked equal our columns);
  // without them XGBoost names features "f<index>".
  bst_ulong named = 0;
  const char** feature_names = nullptr;
  if (XGBoosterGetStrFeatureInfo(booster_.get(), "feature_name", &named, &feature_names) != 0) {
    named = 0;
  }
  for (bst_ulong i = 0; i < n; ++i) {
    std::string_view name = names[i];
    int64_t index = -1;
    if (named > 0) {
      if (std::find(columns_.begin(), columns_.end(), name) != columns_.end()) {
        out[std::string(name)] = static_cast<double>(scores[i]);
      }
    } else if (name.size() > 1 && name[0] == 'f' && ParseInt(name.substr(1), &index) &&
               index >= 0 && index < static_cast<int64_t>(columns_.size())) {
      out[columns_[static_cast<size_t>(index)]] = static_cast<double>(scores[i]);
    }
  }
  return out;
}

absl::StatusOr<std::string> XGBoostLearner::Save() const {
  if (!fitted()) return absl::FailedPreconditionError("xgboost model is not fitted");
  bst_ulong len = 0;
  const char* data = nullptr;
  LEPTON_RETURN_IF_ERROR(XgbError(
      XGBoosterSaveModelToBuffer(booster_.get(), "{\"format\": \"ubj\"}", &len, &data),
      "saving"));
  return std::string(data, len);
}

absl::StatusOr<std::unique_ptr<XGBoostLearner>> XGBoostLearner::Load(std::string_view bytes) {
  absl::StatusOr<ModelInfo> info = InspectModel(bytes);
  if (!info.ok()) return Annotate(info.status(), "loading xgboost model");
  BoosterHandle raw = nullptr;
  LEPTON_RETURN_IF_ERROR(XgbError(XGBoosterCreate(nullptr, 0, &raw), "creating a booster"));
  BoosterPtr booster(raw);
  const std::string_view xgboost_bytes =
      info->xgboost_bytes.empty() ? bytes : std::string_view(info->xgboost_bytes);
  LEPTON_RETURN_IF_ERROR(XgbError(
      XGBoosterLoadModelFromBuffer(booster.get(), xgboost_bytes.data(),
                                   static_cast<bst_ulong>(xgboost_bytes.size())),
      "loading a model", absl::StatusCode::kInvalidArgument));
  const char* attr = nullptr;
  int found = 0;
  LEPTON_RETURN_IF_ERROR(
      XgbError(XGBoosterGetAttr(booster.get(), kMetadataAttr, &attr, &found), "reading metadata"));
  if (found == 0 || attr == nullptr) {
    return absl::InvalidArgumentError("loading xgboost model: no lepton metadata attribute");
  }
  LEPTON_ASSIGN_OR_RETURN(Json meta, ParseJson(attr));
  // Type-checked reads only: nlohmann's value() throws on a type mismatch.
  auto int_field = [&](const char* key, int64_t fallback) {
    auto it = meta.find(key);
    return it != meta.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
  };
  if (!meta.is_object() || int_field("version", 0) != kMetadataVersion ||
      !meta.contains("params") || !meta["params"].is_object() || !meta.contains("columns") ||
      !meta["columns"].is_array() || !meta.contains("task") || !meta["task"].is_string()) {
    return absl::InvalidArgumentError("loading xgboost model: malformed lepton metadata");
  }
  Json params = meta["params"];
  const Json seed = params.contains("seed") ? params["seed"] : Json(42);
  const Json nthread = params.contains("nthread") ? params["nthread"] : Json(0);
  const Json eval_metric = params.contains("eval_metric") ? params["eval_metric"] : Json("");
  const bool imported = params.contains("imported") && params["imported"].is_boolean() &&
                        params["imported"].get<bool>();
  std::string imported_objective, imported_booster;
  XGBoostOptions options;
  if (imported) {
    // An imported booster has no training options (see `Import`).
    if (!params.contains("objective") || !params["objective"].is_string() ||
        params["objective"].get<std::string>().empty() || !params.contains("booster") ||
        !params["booster"].is_string()) {
      return absl::InvalidArgumentError("loading xgboost model: malformed lepton metadata");
    }
    imported_objective = params["objective"].get<std::string>();
    imported_booster = params["booster"].get<std::string>();
  } else {
    for (const char* derived : {"objective", "seed", "nthread", "eval_metric"}) {
      params.erase(derived);
    }
    LEPTON_ASSIGN_OR_RETURN(options, ParseOptions(params));
  }
  options.eval_metric = eval_metric.is_string() ? eval_metric.get<std::string>() : "";
  auto out = std::make_unique<XGBoostLearner>(std::move(options));
  absl::StatusOr<Task> task = ParseTask(meta["task"].get<std::string>());
  if (!task.ok()) return Annotate(task.status(), "loading xgboost model");
  out->task_ = *task;
  out->num_classes_ = static_cast<int>(int_field("num_classes", 2));
  out->seed_ = seed.is_number_unsigned() ? seed.get<uint64_t>() : 42;
  out->nthread_ = nthread.is_number_integer() ? nthread.get<int>() : 0;
  for (const Json& c : meta["columns"]) {
    if (!c.is_string()) return absl::InvalidArgumentError("loading xgboost model: bad column name");
    out->columns_.push_back(c.get<std::string>());
  }
  // The metadata must describe the booster: Predict sizes its output and checks its input
  // from it.
  if (static_cast<int64_t>(out->columns_.size()) != info->num_feature) {
    return absl::InvalidArgumentError(
        StrCat("loading xgboost model: the metadata names ", out->columns_.size(),
               " columns but the booster has ", info->num_feature, " features"));
  }
  absl::Status fits = CheckObjective(info->objective, out->task_);
  if (fits.ok()) fits = CheckClassCount(info->num_class, out->task_, out->num_classes_);
  if (!fits.ok()) return Annotate(fits, "loading xgboost model");
  out->imported_objective_ = std::move(imported_objective);
  out->imported_booster_ = std::move(imported_booster);
  out->boosted_rounds_ = static_cast<int>(int_field("boosted_rounds", 0));
  out->best_iteration_ = static_cast<int>(int_field("best_iteration", -1));
  LEPTON_RETURN_IF_ERROR(XgbError(
      XGBoosterSetParam(booster.get(), "nthread", StrCat(out->nthread_).c_str()), "setting nthread"));
  out->booster_ = std::move(booster);
  out->CompileFlat();
  return out;
}

absl::StatusOr<std::unique_ptr<XGBoostLearner>> XGBoostLearner::Import(
    std::string_view bytes, Task task, int num_classes, std::vector<std::string> columns) {
  constexpr std::string_view kWhat = "importing an xgboost model";
  absl::StatusOr<ModelInfo> info = InspectModel(bytes);
  if (!info.ok()) return Annotate(info.status(), kWhat);
  if (columns.empty()) return absl::InvalidArgumentError(StrCat(kWhat, ": no input columns"));
  if (info->num_feature != static_cast<int64_t>(columns.size())) {
    return absl::InvalidArgumentError(StrCat(kWhat, ": the model has ", info->num_feature,
                                             " features but ", columns.size(),
                                             " inputs are declared"));
  }
  for (size_t i = 0; i < info->feature_names.size(); ++i) {
    if (info->feature_names[i] != columns[i]) {
      return absl::InvalidArgumentError(
          StrCat(kWhat, ": the model's feature ", i, " is named \"", info->feature_names[i],
                 "\" but input ", i, " is declared as \"", columns[i], "\""));
    }
  }
  if (task == Task::kMulticlass && num_classes < 2) {
    return absl::InvalidArgumentError(
        StrCat(kWhat, ": a multiclass model needs at least 2 classes, got ", num_classes));
  }
  absl::Status fits = CheckObjective(info->objective, task);
  if (fits.ok()) fits = CheckClassCount(info->num_class, task, num_classes);
  if (!fits.ok()) return Annotate(fits, kWhat);

  BoosterHandle raw = nullptr;
  LEPTON_RETURN_IF_ERROR(XgbError(XGBoosterCreate(nullptr, 0, &raw), "creating a booster"));
  BoosterPtr booster(raw);
  const std::string_view xgboost_bytes =
      info->xgboost_bytes.empty() ? bytes : std::string_view(info->xgboost_bytes);
  absl::Status loaded = XgbError(
      XGBoosterLoadModelFromBuffer(booster.get(), xgboost_bytes.data(),
                                   static_cast<bst_ulong>(xgboost_bytes.size())),
      "loading the model", absl::StatusCode::kInvalidArgument);
  if (!loaded.ok()) return Annotate(loaded, kWhat);
  std::string objective = info->objective;
  if (objective == "multi:softmax") {
    // softmax predicts the class index; softprob the probabilities from the same trees.
    objective = "multi:softprob";
    LEPTON_RETURN_IF_ERROR(XgbError(
        XGBoosterSetParam(booster.get(), "objective", objective.c_str()), "setting the objective"));
  }
  int rounds = 0;
  LEPTON_RETURN_IF_ERROR(
      XgbError(XGBoosterBoostedRounds(booster.get(), &rounds), "counting boosted rounds"));

  auto out = std::make_unique<XGBoostLearner>(XGBoostOptions{});
  out->task_ = task;
  out->num_classes_ = task == Task::kMulticlass ? num_classes : task == Task::kBinary ? 2 : 0;
  out->columns_ = std::move(columns);
  out->boosted_rounds_ = rounds;
  out->best_iteration_ = rounds - 1;
  out->imported_objective_ = std::move(objective);
  out->imported_booster_ = info->booster;
  LEPTON_RETURN_IF_ERROR(
      XgbError(XGBoosterSetParam(booster.get(), "nthread", StrCat(out->nthread_).c_str()),
               "setting nthread"));
  LEPTON_RETURN_IF_ERROR(XgbError(
      XGBoosterSetAttr(booster.get(), kMetadataAttr, DumpJson(out->Metadata()).c_str()),
      "storing metadata"));
  out->booster_ = std::move(booster);
  out->CompileFlat();
  return out;
}

}  // namespace lepton::ml
