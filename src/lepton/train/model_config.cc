#include "lepton/train/model_config.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "lepton/base/clock.h"
#include "lepton/base/files.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/features/pipeline.h"
#include "lepton/tracking/tracking_service.h"
#include "lepton/train/learner_factory.h"

namespace lepton::train {
namespace {

std::string Child(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : StrCat(path, ".", key);
}

absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

std::string Got(const Json& v) {
  return v.is_string() || v.is_number() || v.is_boolean() ? DumpJson(v) : std::string(v.type_name());
}

// `JsonFields` plus the number, enum and object readers the config needs; the first problem
// wins, as in `JsonFields`.
class Reader {
 public:
  Reader(const Json& value, std::string path) : fields_(value, path), path_(std::move(path)) {}

  JsonFields& fields() { return fields_; }
  const std::string& path() const { return path_; }
  std::string At(std::string_view key) const { return Child(path_, key); }

  std::optional<double> Number(std::string_view key, double low, double high, bool open_low,
                               bool open_high) {
    auto v = fields_.OptionalValue(key);
    if (!v) return std::nullopt;
    const std::string range = StrCat(open_low ? "(" : "[", FormatNum(low), ", ", FormatNum(high),
                                     open_high ? ")" : "]");
    if (!v->is_number()) {
      Fail(StrCat(At(key), ": expected a number in ", range, ", got ", Got(*v)));
      return std::nullopt;
    }
    const double d = v->get<double>();
    const bool ok = std::isfinite(d) && (open_low ? d > low : d >= low) &&
                    (open_high ? d < high : d <= high);
    if (!ok) {
      Fail(StrCat(At(key), ": expected a number in ", range, ", got ", Got(*v)));
      return std::nullopt;
    }
    return d;
  }
  std::optional<int64_t> Int(std::string_view key, int64_t low, int64_t high) {
    auto v = fields_.OptionalValue(key);
    if (!v) return std::nullopt;
    if (!v->is_number_integer() || v->get<int64_t>() < low || v->get<int64_t>() > high) {
      Fail(StrCat(At(key), ": expected an integer in [", low, ", ", high, "], got ", Got(*v)));
      return std::nullopt;
    }
    return v->get<int64_t>();
  }
  std::optional<std::string> Enum(std::string_view key, const std::vector<std::string>& allowed) {
    auto v = fields_.OptionalValue(key);
    if (!v) return std::nullopt;
    if (!v->is_string() || std::find(allowed.begin(), allowed.end(), v->get<std::string>()) == allowed.end()) {
      std::vector<std::string> quoted;
      for (const auto& a : allowed) quoted.push_back(StrCat("\"", a, "\""));
      Fail(StrCat(At(key), ": expected one of ", StrJoin(quoted, ", "), ", got ", Got(*v)));
      return std::nullopt;
    }
    return v->get<std::string>();
  }
  std::optional<Json> Object(std::string_view key) {
    auto v = fields_.OptionalValue(key);
    if (!v) return std::nullopt;
    if (!v->is_object()) {
      Fail(StrCat(At(key), ": expected an object, got ", Got(*v)));
      return std::nullopt;
    }
    return v;
  }
  void Fail(std::string message) {
    if (status_.ok()) status_ = Invalid(std::move(message));
  }
  absl::Status Finish() {
    // Our own checks name the exact field; report them before `JsonFields`' unknown-field check.
    absl::Status fs = fields_.Finish();
    if (!status_.ok()) return status_;
    return fs;
  }
  const absl::Status& status() const { return status_; }

 private:
  static std::string FormatNum(double d) {
    if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
    if (std::floor(d) == d && std::fabs(d) < 1e15) return StrCat(static_cast<int64_t>(d));
    return DumpJson(Json(d));
  }
  JsonFields fields_;
  std::string path_;
  absl::Status status_;
};

absl::Status ParseDataset(const Json& v, DatasetSpec* out) {
  Reader r(v, "dataset");
  const std::string name = r.fields().String("name");
  r.fields().OptionalString("ns");  // rejected below: "name" carries the namespace
  auto version = r.Int("version", 0, std::numeric_limits<int64_t>::max());
  auto as_of = r.fields().OptionalString("as_of");
  auto where = r.fields().OptionalValue("where");
  LEPTON_RETURN_IF_ERROR(r.Finish());
  if (v.contains("ns")) return Invalid("dataset.ns: give the dataset as \"name\": \"ns/name\"");
  const auto slash = name.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == name.size() ||
      name.find('/', slash + 1) != std::string::npos) {
    return Invalid(StrCat("dataset.name: expected \"namespace/name\", got \"", name, "\""));
  }
  out->ns = name.substr(0, slash);
  out->name = name.substr(slash + 1);
  out->version = version;
  if (version && as_of) return Invalid("dataset.as_of: give either version or as_of, not both");
  if (as_of) {
    absl::Time t;
    if (!ParseTimestamp(*as_of, &t)) {
      return Invalid(StrCat("dataset.as_of: expected an RFC 3339 time, got \"", *as_of, "\""));
    }
    out->as_of = t;
  }
  if (where) {
    LEPTON_ASSIGN_OR_RETURN(out->where, lake::PredicatesFromJson(*where, "dataset.where"));
  }
  return absl::OkStatus();
}

absl::Status ParseTarget(const Json& v, TargetSpec* out) {
  Reader r(v, "target");
  out->column = r.fields().String("column");
  auto task = r.Enum("task", {"binary", "multiclass", "regression"});
  auto positive = r.fields().OptionalValue("positive_class");
  auto classes = r.fields().OptionalValue("classes");
  LEPTON_RETURN_IF_ERROR(r.Finish());
  if (out->column.empty()) return Invalid("target.column: must not be empty");
  if (task) out->task = *ml::ParseTask(*task);
  auto text = [](const Json& j) { return j.is_string() ? j.get<std::string>() : DumpJson(j); };
  if (positive) {
    if (!positive->is_string() && !positive->is_number() && !positive->is_boolean()) {
      return Invalid(StrCat("target.positive_class: expected a string, number or boolean, got ",
                            positive->type_name()));
    }
    if (out->task != ml::Task::kBinary) {
      return Invalid(StrCat("target.positive_class: only for task \"binary\", not \"",
                            ml::TaskName(out->task), "\""));
    }
    out->positive_class = text(*positive);
  }
  if (classes) {
    if (out->task != ml::Task::kMulticlass) {
      return Invalid("target.classes: only for task \"multiclass\"");
    }
    if (!classes->is_array() || classes->size() < 2) {
      return Invalid("target.classes: expected an array of at least 2 class values");
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < classes->size(); ++i) {
      const Json& c = (*classes)[i];
      if (!c.is_string() && !c.is_number() && !c.is_boolean()) {
        return Invalid(StrCat("target.classes[", i, "]: expected a string, number or boolean"));
      }
      if (!seen.insert(text(c)).second) {
        return Invalid(StrCat("target.classes[", i, "]: duplicate class ", DumpJson(c)));
      }
      out->classes.push_back(text(c));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseFeatures(const Json& v, ModelConfig* out) {
  Reader r(v, "features");
  auto columns = r.fields().OptionalValue("columns");
  auto pipeline = r.Object("pipeline");
  LEPTON_RETURN_IF_ERROR(r.Finish());
  if (columns) {
    if (columns->is_string() && *columns == "auto") {
      out->auto_features = true;
    } else if (columns->is_array() && !columns->empty()) {
      out->auto_features = false;
      std::set<std::string> seen;
      for (size_t i = 0; i < columns->size(); ++i) {
        const Json& c = (*columns)[i];
        if (!c.is_string() || c.get<std::string>().empty()) {
          return Invalid(StrCat("features.columns[", i, "]: expected a column name, got ", Got(c)));
        }
        if (!seen.insert(c.get<std::string>()).second) {
          return Invalid(StrCat("features.columns[", i, "]: column \"", c.get<std::string>(),
                                "\" is listed twice"));
        }
        out->feature_columns.push_back(c.get<std::string>());
      }
    } else {
      return Invalid(StrCat("features.columns: expected \"auto\" or a non-empty array of column "
                            "names, got ", Got(*columns)));
    }
  }
  if (pipeline) out->pipeline_spec = *pipeline;
  return absl::OkStatus();
}

absl::Status ParseSlices(const Json& v, std::vector<SliceSpec>* out) {
  if (!v.is_array()) return Invalid(StrCat("fairness_slices: expected an array, got ", v.type_name()));
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string path = StrCat("fairness_slices[", i, "]");
    SliceSpec s;
    if (v[i].is_string()) {
      s.column = v[i].get<std::string>();
    } else if (v[i].is_object()) {
      Reader r(v[i], path);
      s.column = r.fields().String("column");
      auto bins = r.fields().OptionalValue("bins");
      LEPTON_RETURN_IF_ERROR(r.Finish());
      if (bins) {
        if (!bins->is_array() || bins->empty()) {
          return Invalid(StrCat(path, ".bins: expected a non-empty array of ascending numbers"));
        }
        for (size_t b = 0; b < bins->size(); ++b) {
          const Json& e = (*bins)[b];
          if (!e.is_number() || (!s.bins.empty() && e.get<double>() <= s.bins.back())) {
            return Invalid(StrCat(path, ".bins[", b, "]: expected a number above the previous bin edge, got ", Got(e)));
          }
          s.bins.push_back(e.get<double>());
        }
      }
    } else {
      return Invalid(StrCat(path, ": expected a column name or {\"column\", \"bins\"}, got ", v[i].type_name()));
    }
    if (s.column.empty()) return Invalid(StrCat(path, ": the column name must not be empty"));
    out->push_back(std::move(s));
  }
  return absl::OkStatus();
}

absl::Status CheckMetric(const std::string& name, ml::Task task, const std::string& path) {
  const auto& names = MetricNames(task);
  if (std::find(names.begin(), names.end(), name) != names.end()) return absl::OkStatus();
  return Invalid(StrCat(path, ": expected a ", ml::TaskName(task), " metric (", StrJoin(names, ", "),
                        "), got \"", name, "\""));
}

void Flatten(const Json& v, const std::string& prefix, std::map<std::string, std::string>* out) {
  if (v.is_object() && !v.empty()) {
    for (auto it = v.begin(); it != v.end(); ++it) Flatten(*it, Child(prefix, it.key()), out);
  } else if (v.is_array() && !v.empty() && v.dump().size() > 200) {
    for (size_t i = 0; i < v.size(); ++i) Flatten(v[i], StrCat(prefix, "[", i, "]"), out);
  } else {
    (*out)[prefix] = v.is_string() ? v.get<std::string>() : DumpJson(v);
  }
}

}  // namespace

std::string_view SplitMethodName(SplitMethod method) {
  switch (method) {
    case SplitMethod::kRandom: return "random";
    case SplitMethod::kStratified: return "stratified";
    case SplitMethod::kTime: return "time";
  }
  return "random";
}

const std::vector<std::string>& MetricNames(ml::Task task) {
  static const std::vector<std::string> kBinary = {
      "auc", "gini", "ks", "log_loss", "brier", "average_precision", "accuracy", "precision", "recall", "f1"};
  static const std::vector<std::string> kMulticlass = {"accuracy", "macro_f1", "micro_f1",
                                                       "weighted_f1", "log_loss"};
  static const std::vector<std::string> kRegression = {"rmse", "mae", "r2", "mape",
                                                       "explained_variance"};
  switch (task) {
    case ml::Task::kBinary: return kBinary;
    case ml::Task::kMulticlass: return kMulticlass;
    case ml::Task::kRegression: return kRegression;
  }
  return kBinary;
}

std::map<std::string, std::string> FlattenConfig(const Json& config) {
  std::map<std::string, std::string> out;
  Flatten(config, "", &out);
  return out;
}

namespace {

// Learner parameters are checked here, by creating the learner with each candidate's params,
// so that a misspelt or out-of-range parameter is a 400 at submission instead of a failed job
// minutes later. The torch flavors are checked when they are built (that loads libtorch).
absl::Status CheckLearnerParams(const ModelConfig& c) {
  if (c.learner.flavor == "mlp" || c.learner.flavor == "torchscript") return absl::OkStatus();
  std::vector<Json> candidates = {Json::object()};
  if (c.search) {
    LEPTON_ASSIGN_OR_RETURN(candidates, c.search->Candidates());
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    Json params = c.learner.params.is_object() ? c.learner.params : Json::object();
    for (const auto& [key, value] : candidates[i].items()) params[key] = value;
    auto learner = MakeLearner(c.learner.flavor, params);
    if (!learner.ok()) {
      return Invalid(StrCat(c.search ? StrCat("search candidate ", i, " ", DumpJson(candidates[i]), ": ") : "",
                            "learner.params: ", learner.status().message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ModelConfig> ModelConfig::FromJson(const Json& config) {
  ModelConfig c;
  c.raw = config;
  Reader r(config, "");
  auto dataset = r.Object("dataset");
  auto target = r.Object("target");
  auto ids = r.fields().OptionalStringArray("id_columns");
  auto features = r.Object("features");
  auto split = r.Object("split");
  auto learner = r.Object("learner");
  auto search = r.fields().OptionalValue("search");
  auto cv = r.Object("cv");
  auto metrics = r.Object("metrics");
  auto threshold = r.Number("threshold", 0, 1, false, false);
  auto early = r.Object("early_stopping");
  auto importance = r.fields().OptionalValue("permutation_importance");
  auto bootstrap = r.fields().OptionalValue("bootstrap");
  auto experiment = r.Object("experiment");
  auto scorecard = r.Object("scorecard");
  auto slices = r.fields().OptionalValue("fairness_slices");
  auto seed = r.Int("seed", 0, std::numeric_limits<int64_t>::max());
  auto threads = r.Int("threads", 0, 1024);
  r.fields().OptionalString("$schema");  // editors' schema hint, ignored
  r.fields().OptionalString("description");
  if (config.is_object()) {
    for (const char* required : {"dataset", "target", "learner"}) {
      if (!config.contains(required)) r.Fail(StrCat(required, ": required field is missing"));
    }
  }
  LEPTON_RETURN_IF_ERROR(r.Finish());
  if (seed) c.seed = static_cast<uint64_t>(*seed);
  if (threads) c.threads = static_cast<int>(*threads);
  c.split.seed = c.seed;

  LEPTON_RETURN_IF_ERROR(ParseDataset(*dataset, &c.dataset));
  LEPTON_RETURN_IF_ERROR(ParseTarget(*target, &c.target));
  const ml::Task task = c.target.task;
  if (ids) {
    c.id_columns = *ids;
    for (size_t i = 0; i < ids->size(); ++i) {
      if ((*ids)[i] == c.target.column) {
        return Invalid(StrCat("id_columns[", i, "]: \"", (*ids)[i], "\" is the target column"));
      }
    }
  }
  if (features) LEPTON_RETURN_IF_ERROR(ParseFeatures(*features, &c));
  for (size_t i = 0; i < c.feature_columns.size(); ++i) {
    const std::string& f = c.feature_columns[i];
    if (f == c.target.column) {
      return Invalid(StrCat("features.columns[", i, "]: \"", f, "\" is the target column"));
    }
    if (std::find(c.id_columns.begin(), c.id_columns.end(), f) != c.id_columns.end()) {
      return Invalid(StrCat("features.columns[", i, "]: \"", f, "\" is an id column"));
    }
  }
  if (!c.pipeline_spec.is_null()) {
    // The features module validates its own spec and names paths under "features.pipeline".
    LEPTON_RETURN_IF_ERROR(features::Pipeline::Create(c.pipeline_spec, "features.pipeline").status());
  }

  c.split.method = task == ml::Task::kRegression ? SplitMethod::kRandom : SplitMethod::kStratified;
  if (split) {
    Reader s(*split, "split");
    auto method = s.Enum("method", {"random", "stratified", "time"});
    auto fraction = s.Number("test_fraction", 0, 1, true, true);
    auto split_seed = s.Int("seed", 0, std::numeric_limits<int64_t>::max());
    auto time_column = s.fields().OptionalString("time_column");
    LEPTON_RETURN_IF_ERROR(s.Finish());
    if (method == "random") c.split.method = SplitMethod::kRandom;
    if (method == "stratified") c.split.method = SplitMethod::kStratified;
    if (method == "time") c.split.method = SplitMethod::kTime;
    if (fraction) c.split.test_fraction = *fraction;
    if (split_seed) c.split.seed = static_cast<uint64_t>(*split_seed);
    if (c.split.method == SplitMethod::kStratified && task == ml::Task::kRegression) {
      return Invalid("split.method: \"stratified\" needs a classification target; use \"random\"");
    }
    if (c.split.method == SplitMethod::kTime) {
      if (!time_column || time_column->empty()) {
        return Invalid("split.time_column: required field is missing (method \"time\")");
      }
      c.split.time_column = *time_column;
    } else if (time_column) {
      return Invalid("split.time_column: only for method \"time\"");
    }
  }

  {
    Reader l(*learner, "learner");
    auto flavor = l.Enum("flavor", {"logistic", "linear", "xgboost", "mlp", "torchscript"});
    auto params = l.Object("params");
    if (!learner->contains("flavor")) l.Fail("learner.flavor: required field is missing");
    LEPTON_RETURN_IF_ERROR(l.Finish());
    c.learner.flavor = *flavor;
    if (params) c.learner.params = *params;
    if (c.learner.flavor == "linear" && task != ml::Task::kRegression) {
      return Invalid(StrCat("learner.flavor: \"linear\" is for regression targets; target.task is \"",
                            ml::TaskName(task), "\" (use \"logistic\")"));
    }
    if (c.learner.flavor == "logistic" && task == ml::Task::kRegression) {
      return Invalid("learner.flavor: \"logistic\" is for classification; use \"linear\" for regression");
    }
  }

  std::string default_metric = task == ml::Task::kBinary ? "auc"
                               : task == ml::Task::kMulticlass ? "accuracy" : "rmse";
  if (metrics) {
    Reader m(*metrics, "metrics");
    auto report = m.fields().OptionalStringArray("report");
    auto selection = m.fields().OptionalString("selection");
    LEPTON_RETURN_IF_ERROR(m.Finish());
    if (report) {
      for (size_t i = 0; i < report->size(); ++i) {
        LEPTON_RETURN_IF_ERROR(CheckMetric((*report)[i], task, StrCat("metrics.report[", i, "]")));
      }
      c.report_metrics = *report;
    }
    if (selection) {
      LEPTON_RETURN_IF_ERROR(CheckMetric(*selection, task, "metrics.selection"));
      default_metric = *selection;
    }
  }
  c.selection_metric = default_metric;

  if (search) {
    Json s = *search;
    // The search's metric defaults to metrics.selection.
    if (s.is_object() && !s.contains("metric")) s["metric"] = c.selection_metric;
    LEPTON_ASSIGN_OR_RETURN(ml::SearchConfig sc, ml::SearchConfig::FromJson(s, "search"));
    LEPTON_RETURN_IF_ERROR(CheckMetric(sc.metric, task, "search.metric"));
    c.selection_metric = sc.metric;
    LEPTON_RETURN_IF_ERROR(sc.Candidates().status());
    c.search = std::move(sc);
  }
  if (cv || c.search) {
    CvSpec spec;
    spec.seed = c.seed;
    spec.stratified = task != ml::Task::kRegression;
    if (cv) {
      Reader v(*cv, "cv");
      auto folds = v.Int("folds", 2, 100);
      auto stratified = v.fields().OptionalBool("stratified");
      auto cv_seed = v.Int("seed", 0, std::numeric_limits<int64_t>::max());
      LEPTON_RETURN_IF_ERROR(v.Finish());
      if (folds) spec.folds = static_cast<int>(*folds);
      if (stratified) spec.stratified = *stratified;
      if (cv_seed) spec.seed = static_cast<uint64_t>(*cv_seed);
      if (spec.stratified && task == ml::Task::kRegression) {
        return Invalid("cv.stratified: needs a classification target");
      }
    }
    c.cv = spec;
  }
  if (threshold) {
    if (task != ml::Task::kBinary) return Invalid("threshold: only for binary targets");
    c.threshold = *threshold;
  }
  if (early) {
    Reader e(*early, "early_stopping");
    auto rounds = e.Int("rounds", 1, 100000);
    auto fraction = e.Number("validation_fraction", 0, 0.5, true, false);
    if (!early->contains("rounds")) e.Fail("early_stopping.rounds: required field is missing");
    LEPTON_RETURN_IF_ERROR(e.Finish());
    EarlyStoppingSpec spec;
    spec.rounds = static_cast<int>(*rounds);
    if (fraction) spec.validation_fraction = *fraction;
    if (!SupportsEarlyStopping(c.learner.flavor)) {
      return Invalid(StrCat("early_stopping: learner \"", c.learner.flavor,
                            "\" has no early stopping (xgboost and mlp have)"));
    }
    c.early_stopping = spec;
  }
  if (importance) {
    // false / true, or {"repeats": k, "max_rows": n} (enabled).
    if (importance->is_boolean()) {
      c.permutation_importance.enabled = importance->get<bool>();
    } else if (importance->is_object()) {
      Reader p(*importance, "permutation_importance");
      auto repeats = p.Int("repeats", 1, 100);
      auto max_rows = p.Int("max_rows", 1, 100000000);
      LEPTON_RETURN_IF_ERROR(p.Finish());
      if (repeats) c.permutation_importance.repeats = static_cast<int>(*repeats);
      if (max_rows) c.permutation_importance.max_rows = *max_rows;
    } else {
      return Invalid(StrCat("permutation_importance: expected true, false or an object, got ", Got(*importance)));
    }
  }
  if (bootstrap) {
    // false / true, or {"resamples": n, "confidence": c} (enabled). Binary targets only.
    if (bootstrap->is_boolean()) {
      c.bootstrap.enabled = bootstrap->get<bool>();
    } else if (bootstrap->is_object()) {
      Reader b(*bootstrap, "bootstrap");
      auto resamples = b.Int("resamples", 10, 100000);
      auto confidence = b.Number("confidence", 0, 1, true, true);
      LEPTON_RETURN_IF_ERROR(b.Finish());
      if (resamples) c.bootstrap.resamples = static_cast<int>(*resamples);
      if (confidence) c.bootstrap.confidence = *confidence;
    } else {
      return Invalid(StrCat("bootstrap: expected true, false or an object, got ", Got(*bootstrap)));
    }
  }
  if (experiment) {
    Reader e(*experiment, "experiment");
    auto name = e.fields().OptionalString("name");
    auto run_name = e.fields().OptionalString("run_name");
    auto tags = e.Object("tags");
    LEPTON_RETURN_IF_ERROR(e.Finish());
    if (name) {
      if (absl::Status s = tracking::ValidateExperimentName(*name); !s.ok()) {
        return Invalid(StrCat("experiment.name: ", s.message()));
      }
      c.experiment.name = *name;
    }
    if (run_name) c.experiment.run_name = *run_name;
    if (tags) {
      for (auto it = tags->begin(); it != tags->end(); ++it) {
        if (!it->is_string()) {
          return Invalid(StrCat("experiment.tags.", it.key(), ": expected a string, got ", Got(*it)));
        }
        c.experiment.tags[it.key()] = it->get<std::string>();
      }
    }
  }
  if (scorecard) {
    Reader s(*scorecard, "scorecard");
    ml::ScorecardScaling sc;
    auto base = s.Number("base_score", -1e9, 1e9, false, false);
    auto odds = s.Number("base_odds", 0, 1e12, true, false);
    auto pdo = s.Number("pdo", 0, 1e6, true, false);
    auto distribute = s.fields().OptionalBool("distribute_intercept");
    LEPTON_RETURN_IF_ERROR(s.Finish());
    if (base) sc.base_score = *base;
    if (odds) sc.base_odds = *odds;
    if (pdo) sc.pdo = *pdo;
    if (distribute) sc.distribute_intercept = *distribute;
    if (c.learner.flavor != "logistic" || task != ml::Task::kBinary) {
      return Invalid("scorecard: needs learner.flavor \"logistic\" and a binary target");
    }
    c.scorecard = sc;
  }
  if (slices) {
    if (task != ml::Task::kBinary) return Invalid("fairness_slices: only for binary targets");
    LEPTON_RETURN_IF_ERROR(ParseSlices(*slices, &c.fairness_slices));
  }
  LEPTON_RETURN_IF_ERROR(CheckLearnerParams(c));
  return c;
}

absl::StatusOr<ModelConfig> ModelConfig::Load(const std::string& path) {
  LEPTON_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto json = ParseJson(text);
  if (!json.ok()) return Invalid(StrCat(path, ": ", json.status().message()));
  auto config = FromJson(*json);
  if (!config.ok()) return absl::Status(config.status().code(), StrCat(path, ": ", config.status().message()));
  return config;
}

}  // namespace lepton::train
