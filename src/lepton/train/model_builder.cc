#include "lepton/train/model_builder.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "lepton/base/clock.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/metrics/binary.h"
#include "lepton/ml/metrics/bootstrap.h"
#include "lepton/ml/metrics/multiclass.h"
#include "lepton/ml/metrics/regression.h"
#include "lepton/ml/metrics/slices.h"
#include "lepton/ml/select/search.h"
#include "lepton/ml/select/split.h"
#include "lepton/train/importance.h"
#include "lepton/train/json_rows.h"
#include "lepton/train/reference.h"
#include "lepton/train/learner_factory.h"

namespace lepton::train {
namespace {

using features::FeatureMatrix;
using features::Pipeline;

bool IsNumeric(lake::DataType t) {
  return t == lake::DataType::kBool || t == lake::DataType::kInt32 || t == lake::DataType::kInt64 ||
         t == lake::DataType::kFloat || t == lake::DataType::kDouble;
}

// The value at row `i` of a numeric column as a double (NaN for null).
double NumberAt(const lake::Column& c, int64_t i) {
  if (c.IsNull(i)) return std::nan("");
  switch (c.type()) {
    case lake::DataType::kBool: return c.ValueAt<uint8_t>(i) ? 1 : 0;
    case lake::DataType::kInt32:
    case lake::DataType::kDate: return c.ValueAt<int32_t>(i);
    case lake::DataType::kInt64:
    case lake::DataType::kTimestamp: return static_cast<double>(c.ValueAt<int64_t>(i));
    case lake::DataType::kFloat: return c.ValueAt<float>(i);
    case lake::DataType::kDouble: return c.ValueAt<double>(i);
    case lake::DataType::kString: break;
  }
  return std::nan("");
}

// The value at row `i` as text: strings as they are, bools "true"/"false", numbers as JSON
// writes them (integral doubles without a fraction, so 1.0 and 1 both read "1").
std::string TextAt(const lake::Column& c, int64_t i) {
  if (c.type() == lake::DataType::kString) return std::string(c.StringAt(i));
  if (c.type() == lake::DataType::kBool) return c.ValueAt<uint8_t>(i) ? "true" : "false";
  const double d = NumberAt(c, i);
  if (std::floor(d) == d && std::fabs(d) < 9e15) return StrCat(static_cast<int64_t>(d));
  return DumpJson(Json(d));
}

bool ParseNumberText(const std::string& text, double* out) {
  if (text == "true") { *out = 1; return true; }
  if (text == "false") { *out = 0; return true; }
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size();
}

Json MergeParams(const Json& base, const Json& over) {
  Json out = base.is_object() ? base : Json::object();
  if (over.is_object()) {
    for (auto it = over.begin(); it != over.end(); ++it) out[it.key()] = *it;
  }
  return out;
}

Json DefaultPipelineSpec(std::string_view flavor) {
  Json numeric = flavor == "xgboost"
                     ? Json::array()  // trees take NaN as missing and need no scaling
                     : Json::array({{{"type", "impute"}, {"strategy", "median"}},
                                    {{"type", "standardize"}}});
  return {{"auto",
           {{"numeric", numeric},
            {"string", Json::array({{{"type", "one_hot"}}})},
            {"date", Json::array({{{"type", "date_parts"}}})}}}};
}

// Scalar metrics of a report, by the names of `MetricNames`.
Json BinaryScalars(const ml::BinaryReport& r) {
  return {{"auc", r.auc},
          {"gini", r.gini},
          {"ks", r.ks.ks},
          {"log_loss", r.log_loss},
          {"brier", r.brier},
          {"average_precision", r.average_precision},
          {"accuracy", r.at_threshold.accuracy},
          {"precision", r.at_threshold.precision},
          {"recall", r.at_threshold.recall},
          {"f1", r.at_threshold.f1},
          {"best_f1", r.best_f1.f1},
          {"best_f1_threshold", r.best_f1.threshold}};
}
Json MulticlassScalars(const ml::MulticlassReport& r) {
  return {{"accuracy", r.accuracy}, {"macro_f1", r.macro.f1}, {"micro_f1", r.micro.f1},
          {"weighted_f1", r.weighted.f1}, {"log_loss", r.log_loss}};
}
Json RegressionScalars(const ml::RegressionReport& r) {
  return {{"rmse", r.rmse}, {"mae", r.mae}, {"r2", r.r2}, {"mape", r.mape},
          {"explained_variance", r.explained_variance}};
}

// The evaluation of predictions against labels: {"scalars": {...}, "report": {...}}.
struct Evaluation {
  Json scalars;
  Json report;
};

absl::StatusOr<Evaluation> Evaluate(ml::Task task, std::span<const double> y,
                                    std::span<const double> scores, int num_classes,
                                    double threshold) {
  Evaluation e;
  if (task == ml::Task::kBinary) {
    ml::BinaryOptions o;
    o.threshold = threshold;
    LEPTON_ASSIGN_OR_RETURN(ml::BinaryReport r, ml::EvaluateBinary(y, scores, {}, o));
    e.scalars = BinaryScalars(r);
    e.report = r.ToJson();
  } else if (task == ml::Task::kMulticlass) {
    LEPTON_ASSIGN_OR_RETURN(ml::MulticlassReport r, ml::EvaluateMulticlass(y, scores, num_classes));
    e.scalars = MulticlassScalars(r);
    e.report = r.ToJson();
  } else {
    LEPTON_ASSIGN_OR_RETURN(ml::RegressionReport r, ml::EvaluateRegression(y, scores));
    e.scalars = RegressionScalars(r);
    e.report = r.ToJson();
  }
  return e;
}

// How cross-validation uses the configured `threads`: how many fold evaluations run at once,
// and the learner threads of each.
struct CvThreads {
  int parallelism = 1;
  int fold_threads = 0;  // FitContext::threads of each fold's learner (0: all cores)
};

// With T = `threads` (0: all cores) >= 2 and at least 2 evaluations, min(T, evaluations) folds
// run at once with T / that many learner threads each: on 2 cores, 2 folds of one XGBoost
// thread each beat one fold of two threads, as a fold's ~10^4 rows are too few for a second
// OpenMP thread to pay off. Otherwise one fold at a time with `threads`, as before. The mlp
// (libtorch) learners keep folds sequential: their fits take turns on a process-wide lock, so
// parallel folds would only serialize with fewer intra-op threads each.
// Results are deterministic for a given `threads`, but not guaranteed equal across `threads`
// values: XGBoost does not promise the same trees for different thread counts (on the Taiwan
// benchmark they are bit-identical), so fold metrics may differ in the last digits. A learner
// `nthread` param set in the config overrides `fold_threads` for every fold.
CvThreads PlanCvThreads(int threads, std::string_view flavor, int64_t evaluations) {
  const int cores = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (cores < 2 || evaluations < 2 || flavor == "mlp") return {.parallelism = 1, .fold_threads = threads};
  const int parallelism = static_cast<int>(std::min<int64_t>(cores, evaluations));
  return {.parallelism = parallelism, .fold_threads = cores / parallelism};
}

std::string SliceKey(const lake::Column& c, int64_t i, const std::vector<double>& bins) {
  if (c.IsNull(i)) return "missing";
  if (bins.empty()) return TextAt(c, i);
  const double v = NumberAt(c, i);
  auto fmt = [](double d) {
    return std::floor(d) == d && std::fabs(d) < 9e15 ? StrCat(static_cast<int64_t>(d)) : DumpJson(Json(d));
  };
  if (v < bins.front()) return StrCat("<", fmt(bins.front()));
  for (size_t b = 1; b < bins.size(); ++b) {
    if (v < bins[b]) return StrCat("[", fmt(bins[b - 1]), ", ", fmt(bins[b]), ")");
  }
  return StrCat(">=", fmt(bins.back()));
}

}  // namespace

Json TrainProgress::ToJson() const {
  return {{"phase", phase},         {"fold", fold},   {"folds", folds},
          {"candidate", candidate}, {"candidates", candidates},
          {"round", round},         {"rounds", rounds},
          {"fraction", fraction},   {"run_id", run_id}};
}

lake::RecordBatch TakeRows(const lake::RecordBatch& batch, std::span<const int64_t> rows) {
  std::vector<uint32_t> idx(rows.begin(), rows.end());
  std::vector<lake::Column> columns;
  columns.reserve(batch.num_columns());
  for (const lake::Column& c : batch.columns()) {
    lake::Column out(c.type());
    out.AppendTake(c, idx);
    columns.push_back(std::move(out));
  }
  auto made = lake::RecordBatch::Make(batch.schema(), std::move(columns));
  LEPTON_CHECK(made.ok());  // same schema, equal lengths by construction
  return std::move(*made);
}

absl::StatusOr<std::pair<lake::RecordBatch, int64_t>> ReadDataset(lake::Lake& lake,
                                                                  const DatasetSpec& spec) {
  lake::VersionSpec version{.version = spec.version, .as_of = spec.as_of};
  LEPTON_ASSIGN_OR_RETURN(lake::delta::Snapshot snapshot, lake.Snapshot(spec.ns, spec.name, version));
  lake::ScanOptions scan;
  scan.predicates = spec.where;
  std::optional<lake::RecordBatch> all;
  // Pin the version found above, so that a concurrent ingest cannot change what is read.
  LEPTON_RETURN_IF_ERROR(
      lake.Scan(spec.ns, spec.name, lake::VersionSpec{.version = snapshot.version, .as_of = std::nullopt}, scan,
                [&all](const lake::RecordBatch& b) -> absl::Status {
                  if (!all) {
                    all = lake::RecordBatch(b.schema());
                  }
                  for (size_t c = 0; c < b.num_columns(); ++c) {
                    all->mutable_column(c).AppendRange(b.column(c), 0, b.num_rows());
                  }
                  return absl::OkStatus();
                })
          .status());
  if (!all) {
    lake::Schema schema = snapshot.metadata.schema;
    all = lake::RecordBatch(schema);
  }
  return std::make_pair(std::move(*all), snapshot.version);
}

// One build: the state of one `build_and_train` call.
class ModelBuilder::Build {
 public:
  Build(const ModelConfig& config, const BuildOptions& options, const lake::RecordBatch& df,
        int64_t version)
      : config_(config), options_(options), df_(df), version_(version) {}

  absl::StatusOr<Model> Run();

 private:
  struct Fitted {
    Pipeline pipeline;
    std::unique_ptr<ml::Learner> learner;
    int64_t validation_rows = 0;
  };
  using RoundFn = std::function<bool(int64_t round, int64_t rounds, const Json& metrics)>;

  absl::StatusOr<Model> Body();
  absl::Status StartRun();
  absl::Status ResolveLabels();
  absl::Status SelectFeatures();
  absl::Status Split();
  // `threads` is the learner's FitContext::threads (0: all cores).
  absl::StatusOr<Fitted> FitOn(std::span<const int64_t> rows, const Json& params,
                               const RoundFn& on_round, int threads);
  absl::StatusOr<std::vector<double>> PredictOn(const Fitted& f, std::span<const int64_t> rows);
  absl::StatusOr<Json> RunCrossValidation();
  // Permutation importance of the input columns on the test part (metrics JSON), or
  // {"error": …} when the metric is undefined there. Cancelled when the build is.
  absl::StatusOr<Json> Importance(const Fitted& fitted, std::span<const double> y_test);
  absl::Status LogRun(const Model& model, const Json& best_params);

  std::vector<double> Labels(std::span<const int64_t> rows) const {
    std::vector<double> y;
    y.reserve(rows.size());
    for (int64_t r : rows) y.push_back(y_[static_cast<size_t>(r)]);
    return y;
  }
  Json Balance(std::span<const int64_t> rows) const;
  bool Report(TrainProgress p) {
    p.run_id = run_id_;
    p.fraction = std::clamp(p.fraction, last_fraction_, 1.0);
    last_fraction_ = p.fraction;
    return !options_.progress || options_.progress(p);
  }
  void Log(const std::string& line) {
    log_lines_.push_back(line);
    if (options_.log) options_.log(line);
  }

  const ModelConfig& config_;
  const BuildOptions& options_;
  const lake::RecordBatch& df_;
  const int64_t version_;

  std::string run_id_;
  double last_fraction_ = 0;
  std::vector<std::string> log_lines_;
  // Labels per input row (NaN: no target value, row unused), the rows with a label.
  std::vector<double> y_;
  std::vector<int64_t> labelled_;
  std::vector<std::string> classes_;
  int num_classes_ = 2;
  lake::RecordBatch x_;  // the feature columns of every input row
  Json pipeline_spec_;
  std::vector<int64_t> train_;
  std::vector<int64_t> test_;
  Json split_json_;
  std::vector<tracking::Metric> round_metrics_;
  std::vector<tracking::Metric> cv_metrics_;
  Json cv_json_;
  int64_t validation_rows_ = 0;
};

Json ModelBuilder::Build::Balance(std::span<const int64_t> rows) const {
  Json out = Json::object();
  if (config_.target.task == ml::Task::kRegression) {
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    for (int64_t r : rows) {
      const double v = y_[static_cast<size_t>(r)];
      sum += v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    return {{"rows", rows.size()}, {"mean", rows.empty() ? 0.0 : sum / static_cast<double>(rows.size())},
            {"min", lo}, {"max", hi}};
  }
  std::vector<int64_t> counts(classes_.size(), 0);
  for (int64_t r : rows) ++counts[static_cast<size_t>(y_[static_cast<size_t>(r)])];
  for (size_t c = 0; c < classes_.size(); ++c) out[classes_[c]] = counts[c];
  return out;
}

absl::Status ModelBuilder::Build::ResolveLabels() {
  const TargetSpec& t = config_.target;
  const int ti = df_.schema().Find(t.column);
  if (ti < 0) return absl::InvalidArgumentError(StrCat("target.column: no column \"", t.column, "\" in the data"));
  const lake::Column& c = df_.column(static_cast<size_t>(ti));
  const int64_t n = df_.num_rows();
  y_.assign(static_cast<size_t>(n), std::nan(""));
  for (int64_t i = 0; i < n; ++i) {
    if (c.IsValid(i)) labelled_.push_back(i);
  }
  if (t.task == ml::Task::kRegression) {
    if (!IsNumeric(c.type())) {
      return absl::InvalidArgumentError(StrCat("target.column: regression needs a numeric column; \"", t.column,
                                               "\" is ", lake::DataTypeName(c.type())));
    }
    for (int64_t i : labelled_) y_[static_cast<size_t>(i)] = NumberAt(c, i);
    num_classes_ = 0;
    return absl::OkStatus();
  }
  std::set<std::string> distinct;
  for (int64_t i : labelled_) distinct.insert(TextAt(c, i));
  if (t.task == ml::Task::kBinary) {
    std::string positive;
    const bool numeric = IsNumeric(c.type());
    if (t.positive_class) {
      positive = *t.positive_class;
    } else {
      if (!numeric) {
        return absl::InvalidArgumentError(StrCat(
            "target.positive_class: required for the ", lake::DataTypeName(c.type()), " column \"", t.column,
            "\" (values: ", StrJoin(std::vector<std::string>(distinct.begin(), std::next(distinct.begin(), std::min<size_t>(distinct.size(), 5))), ", "), ")"));
      }
      for (const std::string& v : distinct) {
        if (v != "0" && v != "1" && v != "true" && v != "false") {
          return absl::InvalidArgumentError(StrCat("target.positive_class: required, as column \"", t.column,
                                                   "\" holds ", v, ", not only 0/1"));
        }
      }
      positive = c.type() == lake::DataType::kBool ? "true" : "1";
    }
    double positive_number = 0;
    const bool by_number = numeric && ParseNumberText(positive, &positive_number);
    if (numeric && !by_number) {
      return absl::InvalidArgumentError(StrCat("target.positive_class: \"", positive, "\" is not a value of the ",
                                               lake::DataTypeName(c.type()), " column \"", t.column, "\""));
    }
    int64_t positives = 0;
    std::set<std::string> negatives;
    for (int64_t i : labelled_) {
      const bool pos = by_number ? NumberAt(c, i) == positive_number : c.StringAt(i) == positive;
      y_[static_cast<size_t>(i)] = pos ? 1 : 0;
      positives += pos;
      if (!pos) negatives.insert(TextAt(c, i));
    }
    if (positives == 0) {
      return absl::InvalidArgumentError(StrCat("target.positive_class: \"", positive, "\" never occurs in column \"",
                                               t.column, "\""));
    }
    if (negatives.empty()) {
      return absl::InvalidArgumentError(StrCat("target.column: every row of \"", t.column, "\" is the positive class"));
    }
    classes_ = {negatives.size() == 1 ? *negatives.begin() : StrCat("not ", positive), positive};
    num_classes_ = 2;
    return absl::OkStatus();
  }
  // Multiclass: the configured order, else sorted values (numerically for numeric columns).
  if (!t.classes.empty()) {
    classes_ = t.classes;
  } else {
    classes_.assign(distinct.begin(), distinct.end());
    if (IsNumeric(c.type())) {
      std::sort(classes_.begin(), classes_.end(), [](const std::string& a, const std::string& b) {
        double x = 0, y = 0;
        ParseNumberText(a, &x);
        ParseNumberText(b, &y);
        return x < y;
      });
    }
  }
  if (classes_.size() < 2) {
    return absl::InvalidArgumentError(StrCat("target.column: multiclass needs at least 2 classes; \"", t.column,
                                             "\" has ", classes_.size()));
  }
  std::map<std::string, int> index;
  for (size_t k = 0; k < classes_.size(); ++k) index[classes_[k]] = static_cast<int>(k);
  for (int64_t i : labelled_) {
    const std::string v = TextAt(c, i);
    auto it = index.find(v);
    if (it == index.end()) {
      return absl::InvalidArgumentError(StrCat("target.classes: the data holds class \"", v, "\", which is not listed"));
    }
    y_[static_cast<size_t>(i)] = it->second;
  }
  num_classes_ = static_cast<int>(classes_.size());
  return absl::OkStatus();
}

absl::Status ModelBuilder::Build::SelectFeatures() {
  std::vector<int> keep;
  const lake::Schema& s = df_.schema();
  if (config_.auto_features) {
    std::set<std::string> skip(config_.id_columns.begin(), config_.id_columns.end());
    skip.insert(config_.target.column);
    for (size_t i = 0; i < s.size(); ++i) {
      if (!skip.contains(s.field(i).name)) keep.push_back(static_cast<int>(i));
    }
  } else {
    for (size_t i = 0; i < config_.feature_columns.size(); ++i) {
      const int at = s.Find(config_.feature_columns[i]);
      if (at < 0) {
        return absl::InvalidArgumentError(StrCat("features.columns[", i, "]: no column \"",
                                                 config_.feature_columns[i], "\" in the data"));
      }
      keep.push_back(at);
    }
  }
  for (size_t i = 0; i < config_.id_columns.size(); ++i) {
    if (s.Find(config_.id_columns[i]) < 0) {
      return absl::InvalidArgumentError(StrCat("id_columns[", i, "]: no column \"", config_.id_columns[i], "\" in the data"));
    }
  }
  if (keep.empty()) return absl::InvalidArgumentError("features.columns: no feature columns left");
  x_ = df_.Project(keep);
  pipeline_spec_ = config_.pipeline_spec.is_null() ? DefaultPipelineSpec(config_.learner.flavor)
                                                   : config_.pipeline_spec;
  return absl::OkStatus();
}

absl::Status ModelBuilder::Build::Split() {
  const SplitSpec& s = config_.split;
  const std::vector<double> y = Labels(labelled_);
  ml::TrainTestSplit split;
  absl::StatusOr<ml::TrainTestSplit> made;
  switch (s.method) {
    case SplitMethod::kRandom:
      made = ml::RandomSplit(static_cast<int64_t>(labelled_.size()), s.test_fraction, s.seed);
      break;
    case SplitMethod::kStratified:
      made = ml::StratifiedSplit(y, s.test_fraction, s.seed);
      break;
    case SplitMethod::kTime: {
      const int at = df_.schema().Find(s.time_column);
      if (at < 0) return absl::InvalidArgumentError(StrCat("split.time_column: no column \"", s.time_column, "\" in the data"));
      const lake::Column& c = df_.column(static_cast<size_t>(at));
      if (c.type() == lake::DataType::kString) {
        std::vector<std::string> keys;
        for (int64_t r : labelled_) keys.emplace_back(c.StringAt(r));
        made = ml::TimeSplit(std::span<const std::string>(keys), s.test_fraction);
      } else {
        std::vector<double> keys;
        for (int64_t r : labelled_) keys.push_back(NumberAt(c, r));
        made = ml::TimeSplit(std::span<const double>(keys), s.test_fraction);
      }
      break;
    }
  }
  if (!made.ok()) return absl::InvalidArgumentError(StrCat("split: ", made.status().message()));
  for (int64_t p : made->train) train_.push_back(labelled_[static_cast<size_t>(p)]);
  for (int64_t p : made->test) test_.push_back(labelled_[static_cast<size_t>(p)]);
  split_json_ = {{"method", SplitMethodName(s.method)}, {"test_fraction", s.test_fraction}};
  if (s.method == SplitMethod::kTime) split_json_["time_column"] = s.time_column;
  else split_json_["seed"] = s.seed;
  return absl::OkStatus();
}

absl::StatusOr<ModelBuilder::Build::Fitted> ModelBuilder::Build::FitOn(
    std::span<const int64_t> rows, const Json& params, const RoundFn& on_round, int threads) {
  std::vector<int64_t> fit(rows.begin(), rows.end());
  std::vector<int64_t> valid;
  Json learner_params = params;
  if (config_.early_stopping) {
    // Carve the early-stopping slice out of these rows, seeded, stratified for classes.
    const std::vector<double> y = Labels(rows);
    const double fraction = config_.early_stopping->validation_fraction;
    const uint64_t seed = config_.split.seed + 1;
    auto carve = config_.target.task == ml::Task::kRegression
                     ? ml::RandomSplit(static_cast<int64_t>(rows.size()), fraction, seed)
                     : ml::StratifiedSplit(y, fraction, seed);
    if (!carve.ok()) return absl::InvalidArgumentError(StrCat("early_stopping: ", carve.status().message()));
    fit.clear();
    for (int64_t p : carve->train) fit.push_back(rows[static_cast<size_t>(p)]);
    for (int64_t p : carve->test) valid.push_back(rows[static_cast<size_t>(p)]);
    const std::string param(EarlyStoppingParam(config_.learner.flavor));
    if (!learner_params.contains(param)) learner_params[param] = config_.early_stopping->rounds;
  }
  const std::vector<double> y_fit = Labels(fit);
  const lake::RecordBatch fit_rows = TakeRows(x_, fit);
  LEPTON_ASSIGN_OR_RETURN(Pipeline pipeline, Pipeline::Create(pipeline_spec_, "features.pipeline"));
  const bool binary = config_.target.task == ml::Task::kBinary;
  LEPTON_RETURN_IF_ERROR(pipeline.Fit(fit_rows, binary ? std::span<const double>(y_fit) : std::span<const double>()));
  LEPTON_ASSIGN_OR_RETURN(FeatureMatrix x_fit, pipeline.Transform(fit_rows));
  FeatureMatrix x_valid;
  std::vector<double> y_valid;
  if (!valid.empty()) {
    LEPTON_ASSIGN_OR_RETURN(x_valid, pipeline.Transform(TakeRows(x_, valid)));
    y_valid = Labels(valid);
  }
  LEPTON_ASSIGN_OR_RETURN(std::unique_ptr<ml::Learner> learner,
                          MakeLearner(config_.learner.flavor, learner_params));
  ml::FitContext ctx;
  ctx.task = config_.target.task;
  ctx.num_classes = config_.target.task == ml::Task::kMulticlass ? num_classes_ : 2;
  ctx.seed = config_.seed;
  ctx.threads = threads;
  ctx.progress = on_round;
  ml::LabeledData train_data{.x = &x_fit, .y = y_fit, .weights = {}};
  ml::LabeledData valid_data{.x = &x_valid, .y = y_valid, .weights = {}};
  LEPTON_RETURN_IF_ERROR(learner->Fit(train_data, valid.empty() ? nullptr : &valid_data, ctx));
  return Fitted{std::move(pipeline), std::move(learner), static_cast<int64_t>(valid.size())};
}

absl::StatusOr<std::vector<double>> ModelBuilder::Build::PredictOn(const Fitted& f,
                                                                   std::span<const int64_t> rows) {
  LEPTON_ASSIGN_OR_RETURN(FeatureMatrix x, f.pipeline.Transform(TakeRows(x_, rows)));
  return f.learner->Predict(x);
}

absl::StatusOr<Json> ModelBuilder::Build::Importance(const Fitted& fitted, std::span<const double> y_test) {
  const ImportanceSpec& spec = config_.permutation_importance;
  PermutationOptions options;
  options.metric = config_.selection_metric;
  options.maximize = (config_.search ? config_.search->direction : ml::DefaultDirection(options.metric)) ==
                     ml::Direction::kMaximize;
  options.repeats = spec.repeats;
  options.max_rows = spec.max_rows;
  options.seed = config_.seed;
  const int64_t columns = static_cast<int64_t>(x_.num_columns());
  int64_t scored = 0;
  auto score = [&](const lake::RecordBatch& rows, std::span<const int64_t> positions) -> absl::StatusOr<double> {
    const double part = static_cast<double>(scored++) / static_cast<double>(1 + columns * spec.repeats);
    if (!Report({.phase = "importance", .fraction = 0.9 + 0.05 * part})) {
      return absl::CancelledError("training cancelled");
    }
    LEPTON_ASSIGN_OR_RETURN(FeatureMatrix x, fitted.pipeline.Transform(rows));
    LEPTON_ASSIGN_OR_RETURN(std::vector<double> scores, fitted.learner->Predict(x));
    std::vector<double> y;
    y.reserve(positions.size());
    for (int64_t p : positions) y.push_back(y_test[static_cast<size_t>(p)]);
    LEPTON_ASSIGN_OR_RETURN(Evaluation e, Evaluate(config_.target.task, y, scores, num_classes_, config_.threshold));
    const auto it = e.scalars.find(options.metric);
    if (it == e.scalars.end() || !it->is_number()) {
      return absl::FailedPreconditionError(StrCat("permutation importance: metric ", options.metric, " is not defined here"));
    }
    return it->get<double>();
  };
  auto result = ComputePermutationImportance(TakeRows(x_, test_), score, options);
  if (absl::IsCancelled(result.status())) return result.status();
  if (!result.ok()) {
    // An undefined metric on the test part (e.g. AUC with one class) is not worth failing the
    // build: the report says why it is missing.
    Log(StrCat("permutation importance skipped: ", result.status().message()));
    return Json{{"error", std::string(result.status().message())}};
  }
  Log(StrCat("permutation importance (", options.metric, ", ", result->repeats, " repeats, ", result->rows,
             " test rows): top ", result->columns.empty() ? std::string("-") : result->columns.front().column));
  return result->ToJson();
}

absl::StatusOr<Json> ModelBuilder::Build::RunCrossValidation() {
  const CvSpec& cv = *config_.cv;
  const std::vector<double> y_train = Labels(train_);
  auto folds = cv.stratified ? ml::StratifiedKFold(y_train, cv.folds, cv.seed)
                             : ml::KFold(static_cast<int64_t>(train_.size()), cv.folds, cv.seed);
  if (!folds.ok()) return absl::InvalidArgumentError(StrCat("cv: ", folds.status().message()));
  std::vector<Json> candidates = {Json::object()};
  if (config_.search) {
    LEPTON_ASSIGN_OR_RETURN(candidates, config_.search->Candidates());
  }
  const int n_cand = static_cast<int>(candidates.size());
  const int n_folds = static_cast<int>(folds->size());
  const CvThreads plan = PlanCvThreads(config_.threads, config_.learner.flavor, int64_t{n_cand} * n_folds);
  ml::CvOptions options;
  options.metric = config_.selection_metric;
  options.direction = config_.search ? config_.search->direction : ml::DefaultDirection(options.metric);
  options.parallelism = plan.parallelism;
  // With parallel folds the caller's progress and fold-fit callbacks (and `Report`'s state) are
  // reached from several threads: they take turns on this lock, so those callbacks never run
  // concurrently. (CrossValidate serializes its own progress calls, but per-round reports come
  // from inside the fits.)
  std::mutex callbacks_mu;
  options.progress = [&](const ml::CvProgress& p) {
    const double done = static_cast<double>(p.candidate * p.num_folds + p.fold) /
                        static_cast<double>(p.num_candidates * p.num_folds);
    std::lock_guard<std::mutex> lock(callbacks_mu);
    return Report({.phase = "cv", .fold = static_cast<int>(p.fold) + 1, .folds = n_folds,
                   .candidate = static_cast<int>(p.candidate) + 1, .candidates = n_cand,
                   .fraction = 0.05 + 0.6 * done});
  };
  auto fit_and_score = [&](const ml::CvProgress& where, std::span<const int64_t> train_pos,
                           std::span<const int64_t> valid_pos, const Json& params) -> absl::StatusOr<Json> {
    std::vector<int64_t> fold_train, fold_valid;
    for (int64_t p : train_pos) fold_train.push_back(train_[static_cast<size_t>(p)]);
    for (int64_t p : valid_pos) fold_valid.push_back(train_[static_cast<size_t>(p)]);
    std::sort(fold_train.begin(), fold_train.end());
    std::sort(fold_valid.begin(), fold_valid.end());
    const double base = static_cast<double>(where.candidate * where.num_folds + where.fold) /
                        static_cast<double>(where.num_candidates * where.num_folds);
    auto on_round = [&](int64_t step, int64_t total, const Json&) {
      const double part = total > 0 ? static_cast<double>(step) / static_cast<double>(total) : 0;
      std::lock_guard<std::mutex> lock(callbacks_mu);
      return Report({.phase = "cv", .fold = static_cast<int>(where.fold) + 1, .folds = n_folds,
                     .candidate = static_cast<int>(where.candidate) + 1, .candidates = n_cand,
                     .round = step, .rounds = total,
                     .fraction = 0.05 + 0.6 * (base + part / static_cast<double>(n_cand * n_folds))});
    };
    LEPTON_ASSIGN_OR_RETURN(Fitted f, FitOn(fold_train, MergeParams(config_.learner.params, params), on_round,
                                            plan.fold_threads));
    if (options_.on_fold_fit) {
      std::lock_guard<std::mutex> lock(callbacks_mu);
      options_.on_fold_fit({.candidate = static_cast<int>(where.candidate), .fold = static_cast<int>(where.fold),
                            .train_rows = fold_train, .valid_rows = fold_valid, .pipeline = &f.pipeline});
    }
    LEPTON_ASSIGN_OR_RETURN(std::vector<double> scores, PredictOn(f, fold_valid));
    const std::vector<double> y = Labels(fold_valid);
    LEPTON_ASSIGN_OR_RETURN(Evaluation e, Evaluate(config_.target.task, y, scores, num_classes_, config_.threshold));
    return e.scalars;
  };
  LEPTON_ASSIGN_OR_RETURN(ml::CvResult result, ml::CrossValidate(*folds, candidates, fit_and_score, options));
  const ml::CandidateResult& best = result.best();
  for (const auto& [name, summary] : best.metrics) {
    for (size_t f = 0; f < summary.folds.size(); ++f) {
      if (std::isfinite(summary.folds[f])) {
        cv_metrics_.push_back({.key = StrCat("cv_", name), .value = summary.folds[f], .step = static_cast<int64_t>(f)});
      }
    }
    if (std::isfinite(summary.mean)) cv_metrics_.push_back({.key = StrCat("cv_", name, "_mean"), .value = summary.mean});
    if (std::isfinite(summary.std)) cv_metrics_.push_back({.key = StrCat("cv_", name, "_std"), .value = summary.std});
  }
  cv_json_ = result.ToJson();
  cv_json_["folds"] = n_folds;
  cv_json_["stratified"] = cv.stratified;
  cv_json_["seed"] = cv.seed;
  const auto it = best.metrics.find(result.metric);
  Log(StrCat("cross-validation: ", n_cand, " candidate(s) x ", n_folds, " folds (", plan.parallelism,
             " at a time); best #", result.best_index + 1, " ",
             DumpJson(best.params), " mean ", result.metric, " ",
             it == best.metrics.end() ? std::string("-") : DumpJson(Json(it->second.mean))));
  return best.params;
}

absl::Status ModelBuilder::Build::StartRun() {
  tracking::TrackingService* t = options_.tracking;
  if (t == nullptr) return absl::OkStatus();
  const ExperimentSpec& e = config_.experiment;
  auto experiment = t->GetExperimentByName(e.name);
  if (absl::IsNotFound(experiment.status())) {
    experiment = t->CreateExperiment(e.name, "", {}, options_.user);
    // Another build may have created it meanwhile.
    if (absl::IsAlreadyExists(experiment.status())) experiment = t->GetExperimentByName(e.name);
  }
  LEPTON_RETURN_IF_ERROR(experiment.status());
  std::map<std::string, std::string> tags = e.tags;
  tags["lepton.flavor"] = config_.learner.flavor;
  tags["lepton.task"] = std::string(ml::TaskName(config_.target.task));
  tags["lepton.dataset"] = config_.dataset.full_name();
  LEPTON_ASSIGN_OR_RETURN(tracking::RunInfo run,
                          t->CreateRun({.experiment_id = experiment->id, .name = e.run_name, .user = options_.user,
                                        .source = options_.source, .job_id = options_.job_id,
                                        .parent_run_id = "", .status = tracking::RunStatus::kRunning,
                                        .tags = tags}));
  run_id_ = run.id;
  // Params: the flattened config, in batches of the tracking limit.
  std::map<std::string, std::string> batch;
  for (auto& [k, v] : FlattenConfig(config_.raw)) {
    batch[StrCat("config.", k)] = v.size() > tracking::kMaxParamValueBytes ? v.substr(0, tracking::kMaxParamValueBytes) : v;
    if (batch.size() == tracking::kMaxBatchParams) {
      LEPTON_RETURN_IF_ERROR(t->LogParams(run_id_, batch));
      batch.clear();
    }
  }
  if (!batch.empty()) LEPTON_RETURN_IF_ERROR(t->LogParams(run_id_, batch));
  return absl::OkStatus();
}

absl::StatusOr<Model> ModelBuilder::Build::Run() {
  LEPTON_RETURN_IF_ERROR(StartRun());
  absl::StatusOr<Model> model = Body();
  if (options_.tracking != nullptr && !run_id_.empty()) {
    tracking::TrackingService& t = *options_.tracking;
    if (!model.ok()) {
      const std::string reason(model.status().ToString());
      t.SetTag(run_id_, "lepton.error", reason.substr(0, tracking::kMaxTagValueBytes)).IgnoreError();
      t.LogArtifact(run_id_, "training.log", StrJoin(log_lines_, "\n") + "\n" + reason + "\n").IgnoreError();
      t.EndRun(run_id_, absl::IsCancelled(model.status()) ? tracking::RunStatus::kKilled : tracking::RunStatus::kFailed)
          .IgnoreError();  // the build's own error is the one to report
    } else {
      LEPTON_RETURN_IF_ERROR(t.EndRun(run_id_, tracking::RunStatus::kFinished).status());
    }
  }
  return model;
}

absl::StatusOr<Model> ModelBuilder::Build::Body() {
  if (!Report({.phase = "load", .fraction = 0.01})) return absl::CancelledError("training cancelled");
  LEPTON_RETURN_IF_ERROR(ResolveLabels());
  LEPTON_RETURN_IF_ERROR(SelectFeatures());
  LEPTON_RETURN_IF_ERROR(Split());
  const ml::Task task = config_.target.task;
  Log(StrCat("data: ", df_.num_rows(), " rows (", labelled_.size(), " with a target), ", x_.num_columns(),
             " input columns; split ", SplitMethodName(config_.split.method), ": ", train_.size(), " train, ",
             test_.size(), " test"));

  Json best_params = Json::object();
  if (config_.cv) {
    LEPTON_ASSIGN_OR_RETURN(best_params, RunCrossValidation());
  }
  const Json final_params = MergeParams(config_.learner.params, best_params);
  const double fit_from = config_.cv ? 0.65 : 0.05;
  auto on_round = [&](int64_t step, int64_t total, const Json& metrics) {
    if (metrics.is_object()) {
      for (auto it = metrics.begin(); it != metrics.end(); ++it) {
        if (it->is_number() && std::isfinite(it->get<double>())) {
          round_metrics_.push_back({.key = it.key(), .value = it->get<double>(), .step = step});
        }
      }
    }
    const double part = total > 0 ? static_cast<double>(step) / static_cast<double>(total) : 0;
    return Report({.phase = "fit", .round = step, .rounds = total, .fraction = fit_from + (0.9 - fit_from) * part});
  };
  if (!Report({.phase = "fit", .fraction = fit_from})) return absl::CancelledError("training cancelled");
  LEPTON_ASSIGN_OR_RETURN(Fitted fitted, FitOn(train_, final_params, on_round, config_.threads));
  validation_rows_ = fitted.validation_rows;
  Log(StrCat("final fit: ", config_.learner.flavor, " ", DumpJson(fitted.learner->Params()), " on ",
             static_cast<int64_t>(train_.size()) - validation_rows_, " rows",
             validation_rows_ > 0 ? StrCat(" (early stopping on ", validation_rows_, ")") : std::string()));

  if (!Report({.phase = "evaluate", .fraction = 0.9})) return absl::CancelledError("training cancelled");
  LEPTON_ASSIGN_OR_RETURN(std::vector<double> scores, PredictOn(fitted, test_));
  const std::vector<double> y_test = Labels(test_);
  LEPTON_ASSIGN_OR_RETURN(Evaluation eval, Evaluate(task, y_test, scores, num_classes_, config_.threshold));
  Json metrics = {{"summary", eval.scalars}, {"test", eval.report}};
  if (!cv_json_.is_null()) metrics["cv"] = cv_json_;
  if (!config_.fairness_slices.empty()) {
    Json slices = Json::object();
    for (size_t s = 0; s < config_.fairness_slices.size(); ++s) {
      const SliceSpec& spec = config_.fairness_slices[s];
      const int at = df_.schema().Find(spec.column);
      if (at < 0) {
        return absl::InvalidArgumentError(StrCat("fairness_slices[", s, "]: no column \"", spec.column, "\" in the data"));
      }
      const lake::Column& c = df_.column(static_cast<size_t>(at));
      if (!spec.bins.empty() && !IsNumeric(c.type())) {
        return absl::InvalidArgumentError(StrCat("fairness_slices[", s, "].bins: column \"", spec.column, "\" is not numeric"));
      }
      std::vector<std::string> keys;
      for (int64_t r : test_) keys.push_back(SliceKey(c, r, spec.bins));
      LEPTON_ASSIGN_OR_RETURN(ml::SliceReport report,
                              ml::EvaluateSlices(y_test, scores, keys, {}, {.threshold = config_.threshold}));
      slices[spec.column] = report.ToJson();
    }
    metrics["slices"] = slices;
  }
  Log(StrCat("test: ", eval.scalars.dump()));
  if (task == ml::Task::kBinary && config_.bootstrap.enabled) {
    // Confidence intervals for the model card; a metric undefined on this test part (e.g. one
    // class only) is not worth failing the build over.
    auto intervals = ml::BootstrapBinary(y_test, scores, ml::BootstrapMetricNames(),
                                         {.resamples = config_.bootstrap.resamples,
                                          .confidence = config_.bootstrap.confidence,
                                          .seed = config_.seed,
                                          .threshold = config_.threshold});
    if (intervals.ok()) {
      metrics["bootstrap"] = ml::BootstrapToJson(*intervals);
    } else {
      Log(StrCat("bootstrap intervals skipped: ", intervals.status().message()));
    }
  }
  if (config_.permutation_importance.enabled) {
    LEPTON_ASSIGN_OR_RETURN(metrics["permutation_importance"], Importance(fitted, y_test));
  }

  Lineage lineage;
  lineage.dataset = config_.dataset.full_name();
  lineage.version = version_;
  lineage.digest = BatchDigest(df_);
  lineage.rows = static_cast<int64_t>(labelled_.size());
  lineage.dropped_rows = df_.num_rows() - lineage.rows;
  lineage.train_rows = static_cast<int64_t>(train_.size());
  lineage.validation_rows = validation_rows_;
  lineage.test_rows = static_cast<int64_t>(test_.size());
  lineage.split = split_json_;
  lineage.label_balance = {{"train", Balance(train_)}, {"test", Balance(test_)}};
  std::vector<std::string> classes = task == ml::Task::kRegression ? std::vector<std::string>() : classes_;
  std::optional<ml::ScorecardScaling> scaling = config_.scorecard;
  LEPTON_ASSIGN_OR_RETURN(
      Model model, Model::Make(std::move(fitted.pipeline), std::move(fitted.learner), std::move(classes),
                               config_.target.column, config_.threshold, std::move(metrics), std::move(lineage),
                               scaling, run_id_));
  model.set_created(options_.user, FormatTimestamp(absl::Now()));
  {
    // The drift reference: the training part's inputs and the model's scores on them.
    const lake::RecordBatch train_inputs = TakeRows(x_, train_);
    std::vector<double> train_scores;
    if (task != ml::Task::kMulticlass) {
      LEPTON_ASSIGN_OR_RETURN(Predictions p, model.Predict(train_inputs));
      train_scores = std::move(p.scores);
    }
    auto reference = BuildReference(train_inputs, train_scores);
    if (reference.ok()) {
      model.set_reference(*std::move(reference));
    } else {
      Log(StrCat("no drift reference: ", reference.status().message()));
    }
  }
  if (!options_.withhold_example_input && !test_.empty()) {
    // The first test row's inputs: what a request to the served model looks like.
    const int64_t first = test_.front();
    model.set_example_input(RowToJson(TakeRows(x_, std::span<const int64_t>(&first, 1)), 0));
  }
  if (!Report({.phase = "log", .fraction = 0.95})) return absl::CancelledError("training cancelled");
  if (options_.tracking != nullptr) LEPTON_RETURN_IF_ERROR(LogRun(model, best_params));
  Report({.phase = "done", .fraction = 1.0});
  return model;
}

absl::Status ModelBuilder::Build::LogRun(const Model& model, const Json& best_params) {
  tracking::TrackingService& t = *options_.tracking;
  // Params: the chosen hyperparameters and what the learner ran with.
  std::map<std::string, std::string> params;
  for (auto it = best_params.begin(); it != best_params.end(); ++it) {
    params[StrCat("best.", it.key())] = it->is_string() ? it->get<std::string>() : DumpJson(*it);
  }
  const Json effective = model.learner().Params();
  for (auto it = effective.begin(); it != effective.end() && params.size() < tracking::kMaxBatchParams; ++it) {
    params[StrCat("learner.", it.key())] = it->is_string() ? it->get<std::string>() : DumpJson(*it);
  }
  if (!params.empty()) LEPTON_RETURN_IF_ERROR(t.LogParams(run_id_, params));

  std::vector<tracking::Metric> metrics;
  const Json& summary = model.metrics().at("summary");
  for (auto it = summary.begin(); it != summary.end(); ++it) {
    if (it->is_number() && std::isfinite(it->get<double>())) {
      metrics.push_back({.key = StrCat("test_", it.key()), .value = it->get<double>()});
    }
  }
  metrics.insert(metrics.end(), cv_metrics_.begin(), cv_metrics_.end());
  metrics.insert(metrics.end(), round_metrics_.begin(), round_metrics_.end());
  for (size_t at = 0; at < metrics.size(); at += tracking::kMaxBatchMetrics) {
    const size_t end = std::min(metrics.size(), at + tracking::kMaxBatchMetrics);
    LEPTON_RETURN_IF_ERROR(t.LogMetrics(run_id_, std::vector<tracking::Metric>(metrics.begin() + static_cast<std::ptrdiff_t>(at),
                                                                              metrics.begin() + static_cast<std::ptrdiff_t>(end))));
  }
  const Lineage& l = model.lineage();
  LEPTON_RETURN_IF_ERROR(t.LogInput(run_id_, {.dataset = l.dataset, .version = l.version, .digest = l.digest, .context = "training"}));

  // Artifacts.
  auto put = [&](const std::string& path, const Json& j) { return t.LogArtifact(run_id_, path, j.dump(1)).status(); };
  const Json& test = model.metrics().at("test");
  LEPTON_RETURN_IF_ERROR(put("metrics.json", model.metrics()));
  if (config_.target.task == ml::Task::kBinary) {
    LEPTON_RETURN_IF_ERROR(put("roc_curve.json", test.at("roc_curve")));
    LEPTON_RETURN_IF_ERROR(put("pr_curve.json", test.at("pr_curve")));
    LEPTON_RETURN_IF_ERROR(put("lift.json", test.at("lift")));
    LEPTON_RETURN_IF_ERROR(put("calibration.json", test.at("calibration")));
    Json cm = test.at("at_threshold").at("confusion_matrix");
    cm["labels"] = model.classes();
    cm["threshold"] = model.threshold();
    LEPTON_RETURN_IF_ERROR(put("confusion_matrix.json", cm));
  } else if (config_.target.task == ml::Task::kMulticlass) {
    LEPTON_RETURN_IF_ERROR(put("confusion_matrix.json", {{"labels", model.classes()}, {"matrix", test.at("confusion_matrix")}}));
  }
  if (model.metrics().contains("slices")) LEPTON_RETURN_IF_ERROR(put("fairness.json", model.metrics().at("slices")));
  if (model.metrics().contains("cv")) LEPTON_RETURN_IF_ERROR(put("cv_results.json", model.metrics().at("cv")));
  Json importance = {{"model", model.learner().Importance()}};
  if (model.metrics().contains("permutation_importance")) {
    importance["permutation"] = model.metrics().at("permutation_importance");
  }
  LEPTON_RETURN_IF_ERROR(put("feature_importance.json", importance));
  LEPTON_RETURN_IF_ERROR(put("iv_report.json", model.pipeline().Report()));
  if (model.scorecard()) LEPTON_RETURN_IF_ERROR(put("scorecard.json", model.scorecard()->ToJson()));
  LEPTON_ASSIGN_OR_RETURN(auto files, model.Files());
  for (const auto& [name, bytes] : files) {
    LEPTON_RETURN_IF_ERROR(t.LogArtifact(run_id_, StrCat("model/", name), bytes).status());
  }
  return t.LogArtifact(run_id_, "training.log", StrJoin(log_lines_, "\n") + "\n").status();
}

ModelBuilder::ModelBuilder(const std::string& config_path, BuildOptions options)
    : options_(std::move(options)) {
  auto c = ModelConfig::Load(config_path);
  if (c.ok()) config_ = std::move(*c);
  else status_ = c.status();
}

ModelBuilder::ModelBuilder(ModelConfig config, BuildOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

absl::StatusOr<Model> ModelBuilder::build_and_train(const lake::RecordBatch& df, int64_t version) {
  LEPTON_RETURN_IF_ERROR(status_);
  Build build(config_, options_, df, version);
  return build.Run();
}

absl::StatusOr<Model> ModelBuilder::build_and_train() {
  LEPTON_RETURN_IF_ERROR(status_);
  if (options_.lake == nullptr) {
    return absl::FailedPreconditionError("build_and_train: no lake to read the dataset from (BuildOptions::lake)");
  }
  if (options_.progress && !options_.progress({.phase = "load", .fraction = 0})) {
    return absl::CancelledError("training cancelled");
  }
  LEPTON_ASSIGN_OR_RETURN(auto data, ReadDataset(*options_.lake, config_.dataset));
  if (options_.log) {
    options_.log(StrCat("read ", config_.dataset.full_name(), " version ", data.second, ": ", data.first.num_rows(), " rows"));
  }
  LEPTON_ASSIGN_OR_RETURN(lake::Dataset dataset, options_.lake->catalog().GetDataset(config_.dataset.ns, config_.dataset.name));
  BuildOptions options = options_;
  options.withhold_example_input = options.withhold_example_input || dataset.sensitive;
  Build build(config_, options, data.first, data.second);
  return build.Run();
}

}  // namespace lepton::train
