#include "lepton/train/model.h"

#include <cmath>

#include "lepton/base/crypto.h"
#include "lepton/base/files.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/linear/logistic.h"
#include "lepton/train/learner_factory.h"

namespace lepton::train {
namespace {

constexpr char kFormat[] = "lepton.model/1";

std::string Edge(double d) {
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  Json j = d;
  return j.dump();
}

std::string BinLabel(const features::WoeBin& b) {
  switch (b.kind) {
    case features::WoeBinKind::kRange: return StrCat("(", Edge(b.lower), ", ", Edge(b.upper), "]");
    case features::WoeBinKind::kCategories: return StrJoin(b.categories, ", ");
    case features::WoeBinKind::kOther: return "other";
    case features::WoeBinKind::kMissing: return "missing";
  }
  return "";
}

Json ScalingToJson(const ml::ScorecardScaling& s) {
  return {{"base_score", s.base_score}, {"base_odds", s.base_odds}, {"pdo", s.pdo},
          {"positive_class_is_bad", s.positive_class_is_bad},
          {"distribute_intercept", s.distribute_intercept}};
}

absl::StatusOr<ml::ScorecardScaling> ScalingFromJson(const Json& j) {
  ml::ScorecardScaling s;
  if (!j.is_object()) return absl::InvalidArgumentError("manifest.scorecard_scaling: expected an object");
  try {
    s.base_score = j.at("base_score").get<double>();
    s.base_odds = j.at("base_odds").get<double>();
    s.pdo = j.at("pdo").get<double>();
    s.positive_class_is_bad = j.at("positive_class_is_bad").get<bool>();
    s.distribute_intercept = j.at("distribute_intercept").get<bool>();
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(StrCat("manifest.scorecard_scaling: ", e.what()));
  }
  return s;
}

}  // namespace

Json Lineage::ToJson() const {
  return {{"dataset", dataset},         {"version", version},
          {"digest", digest},           {"rows", rows},
          {"dropped_rows", dropped_rows}, {"train_rows", train_rows},
          {"validation_rows", validation_rows}, {"test_rows", test_rows},
          {"split", split},             {"label_balance", label_balance}};
}

absl::StatusOr<Lineage> Lineage::FromJson(const Json& j) {
  Lineage l;
  try {
    l.dataset = j.at("dataset").get<std::string>();
    l.version = j.at("version").get<int64_t>();
    l.digest = j.at("digest").get<std::string>();
    l.rows = j.at("rows").get<int64_t>();
    l.dropped_rows = j.at("dropped_rows").get<int64_t>();
    l.train_rows = j.at("train_rows").get<int64_t>();
    l.validation_rows = j.at("validation_rows").get<int64_t>();
    l.test_rows = j.at("test_rows").get<int64_t>();
    l.split = j.at("split");
    l.label_balance = j.at("label_balance");
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(StrCat("manifest.lineage: ", e.what()));
  }
  return l;
}

Model::Model(features::Pipeline pipeline, std::unique_ptr<ml::Learner> learner)
    : pipeline_(std::move(pipeline)), learner_(std::move(learner)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

absl::StatusOr<ml::Scorecard> BuildScorecard(const features::Pipeline& pipeline,
                                             const ml::Learner& learner,
                                             const ml::ScorecardScaling& scaling) {
  const auto* logistic = dynamic_cast<const ml::LogisticRegression*>(&learner);
  if (logistic == nullptr) {
    return absl::InvalidArgumentError(
        StrCat("scorecard: needs a logistic model, not \"", learner.flavor(), "\""));
  }
  std::vector<ml::WoeFeature> woe;
  std::set<std::string> woe_columns;
  for (const features::WoeFeature& f : pipeline.WoeBinnings()) {
    ml::WoeFeature w{.name = f.output_column, .bins = {}};
    for (const features::WoeBin& b : f.binning.bins) w.bins.push_back({BinLabel(b), b.woe});
    woe_columns.insert(f.output_column);
    woe.push_back(std::move(w));
  }
  for (const std::string& c : pipeline.output_columns()) {
    if (!woe_columns.contains(c)) {
      return absl::InvalidArgumentError(StrCat(
          "scorecard: every feature must be WOE-encoded (a \"woe\" step last in its chain); "
          "feature column \"", c, "\" is not"));
    }
  }
  return ml::Scorecard::Build(*logistic, woe, scaling);
}

std::string BatchDigest(const lake::RecordBatch& batch) {
  Sha256 h;
  h.Update(DumpJson(batch.schema().ToJson()));
  for (const lake::Column& c : batch.columns()) {
    const int64_t n = c.size();
    h.Update(std::string_view(reinterpret_cast<const char*>(&n), sizeof n));
    auto bytes = [&h](auto span) {
      h.Update(std::string_view(reinterpret_cast<const char*>(span.data()), span.size_bytes()));
    };
    bytes(c.data());
    bytes(c.offsets());
    // Null slots hold zero / "", so the values alone cannot tell a null from a zero.
    std::string valid(static_cast<size_t>(n), '\1');
    for (int64_t i = 0; i < n; ++i) valid[static_cast<size_t>(i)] = c.IsValid(i) ? '\1' : '\0';
    h.Update(valid);
  }
  return h.HexDigest();
}

absl::StatusOr<Model> Model::Make(features::Pipeline pipeline,
                                  std::unique_ptr<ml::Learner> learner,
                                  std::vector<std::string> classes, std::string target,
                                  double threshold, Json metrics, Lineage lineage,
                                  std::optional<ml::ScorecardScaling> scaling,
                                  std::string run_id) {
  if (learner == nullptr) return absl::InvalidArgumentError("model: no learner");
  if (!pipeline.fitted()) return absl::InvalidArgumentError("model: the pipeline is not fitted");
  const ml::Task task = learner->task();
  if (task == ml::Task::kBinary && classes.size() != 2) {
    return absl::InvalidArgumentError("model: a binary model needs 2 classes");
  }
  if (task == ml::Task::kMulticlass && classes.size() < 2) {
    return absl::InvalidArgumentError("model: a multiclass model needs its classes");
  }
  Model m(std::move(pipeline), std::move(learner));
  m.classes_ = std::move(classes);
  m.target_ = std::move(target);
  m.threshold_ = threshold;
  m.metrics_ = std::move(metrics);
  m.lineage_ = std::move(lineage);
  m.run_id_ = std::move(run_id);
  if (scaling) {
    LEPTON_ASSIGN_OR_RETURN(ml::Scorecard card, BuildScorecard(m.pipeline_, *m.learner_, *scaling));
    m.scaling_ = scaling;
    m.scorecard_ = std::move(card);
  }
  return m;
}

absl::StatusOr<Predictions> Model::Predict(const lake::RecordBatch& batch) const {
  // Small batches (online inference) transform into a per-thread matrix that keeps its buffers
  // and column names, so a request allocates nothing for its features; large ones get their own.
  constexpr int64_t kReusedMatrixMaxRows = 256;
  thread_local features::FeatureMatrix reused;
  features::FeatureMatrix own;
  features::FeatureMatrix& x = batch.num_rows() <= kReusedMatrixMaxRows ? reused : own;
  LEPTON_RETURN_IF_ERROR(pipeline_.TransformInto(batch, &x));
  Predictions p;
  p.task = task();
  p.num_classes = task() == ml::Task::kMulticlass ? static_cast<int>(classes_.size()) : 1;
  LEPTON_ASSIGN_OR_RETURN(p.scores, learner_->Predict(x));
  const auto rows = static_cast<size_t>(x.rows);
  if (task() == ml::Task::kBinary) {
    p.num_classes = 2;
    p.labels.reserve(rows);
    for (double s : p.scores) p.labels.push_back(s >= threshold_ ? classes_[1] : classes_[0]);
  } else if (task() == ml::Task::kMulticlass) {
    const size_t k = classes_.size();
    p.labels.reserve(rows);
    for (size_t r = 0; r < rows; ++r) {
      size_t best = 0;
      for (size_t c = 1; c < k; ++c) {
        if (p.scores[r * k + c] > p.scores[r * k + best]) best = c;
      }
      p.labels.push_back(classes_[best]);
    }
  }
  if (scorecard_) {
    LEPTON_ASSIGN_OR_RETURN(p.credit_scores, scorecard_->Score(x));
  }
  return p;
}

absl::StatusOr<std::map<std::string, std::string>> Model::Files() const {
  std::map<std::string, std::string> files;
  files["pipeline.json"] = pipeline_.ToJson().dump(1);
  LEPTON_ASSIGN_OR_RETURN(files[ModelFileName(flavor())], learner_->Save());
  files["metrics.json"] = metrics_.dump(1);
  if (scorecard_) files["scorecard.json"] = scorecard_->ToJson().dump(1);
  if (!reference_.is_null()) files["reference.json"] = reference_.dump();
  Json checksums = Json::object();
  for (const auto& [name, bytes] : files) checksums[name] = Sha256Hex(bytes);
  Json inputs = Json::array();
  for (const lake::Field& f : pipeline_.input_signature()) {
    inputs.push_back({{"name", f.name}, {"type", lake::DataTypeName(f.type)}});
  }
  Json output = {{"task", ml::TaskName(task())}};
  if (task() == ml::Task::kBinary) {
    output["score"] = StrCat("probability of ", target_, " = ", classes_[1]);
    output["label"] = {{"threshold", threshold_}, {"classes", classes_}};
  } else if (task() == ml::Task::kMulticlass) {
    output["score"] = "one probability per class, in class order";
    output["label"] = {{"classes", classes_}};
  } else {
    output["score"] = StrCat("predicted ", target_);
  }
  if (scorecard_) output["credit_score"] = "scorecard points (higher = lower risk)";
  Json manifest = {{"format", kFormat},
                   {"flavor", flavor()},
                   {"task", ml::TaskName(task())},
                   {"target", target_},
                   {"classes", classes_},
                   {"positive_class", task() == ml::Task::kBinary ? Json(classes_[1]) : Json(nullptr)},
                   {"threshold", threshold_},
                   {"input_signature", inputs},
                   {"feature_columns", pipeline_.output_columns().size()},
                   {"output", output},
                   {"metrics", metrics_.value("summary", Json::object())},
                   {"lineage", lineage_.ToJson()},
                   {"run_id", run_id_},
                   {"params", learner_->Params()},
                   {"scorecard_scaling", scaling_ ? ScalingToJson(*scaling_) : Json(nullptr)},
                   {"created_by", created_by_},
                   {"created_at", created_at_},
                   {"example_input", example_input_},
                   {"files", checksums}};
  files["manifest.json"] = manifest.dump(1);
  return files;
}

absl::Status Model::Save(const std::string& dir) const {
  LEPTON_ASSIGN_OR_RETURN(auto files, Files());
  LEPTON_RETURN_IF_ERROR(MakeDirs(dir));
  // The manifest goes last: a reader that finds it finds every file it lists.
  for (const auto& [name, bytes] : files) {
    if (name == "manifest.json") continue;
    LEPTON_RETURN_IF_ERROR(WriteFileAtomically(StrCat(dir, "/", name), bytes));
  }
  return WriteFileAtomically(StrCat(dir, "/manifest.json"), files["manifest.json"]);
}

absl::StatusOr<Model> Model::Load(const std::string& dir) {
  LEPTON_ASSIGN_OR_RETURN(std::string manifest_text, ReadFile(StrCat(dir, "/manifest.json")));
  auto parsed = ParseJson(manifest_text);
  if (!parsed.ok()) return absl::InvalidArgumentError(StrCat(dir, "/manifest.json: ", parsed.status().message()));
  const Json& m = *parsed;
  if (!m.is_object() || m.value("format", "") != kFormat || !m.contains("files") ||
      !m["files"].is_object() || !m.contains("flavor") || !m["flavor"].is_string()) {
    return absl::InvalidArgumentError(StrCat(dir, "/manifest.json: not a ", kFormat, " manifest"));
  }
  std::map<std::string, std::string> files;
  for (auto it = m["files"].begin(); it != m["files"].end(); ++it) {
    if (it.key().find('/') != std::string::npos || !it->is_string()) {
      return absl::InvalidArgumentError(StrCat(dir, "/manifest.json: bad files entry \"", it.key(), "\""));
    }
    LEPTON_ASSIGN_OR_RETURN(std::string bytes, ReadFile(StrCat(dir, "/", it.key())));
    if (Sha256Hex(bytes) != it->get<std::string>()) {
      return absl::DataLossError(StrCat(dir, "/", it.key(), ": SHA-256 differs from the manifest's"));
    }
    files[it.key()] = std::move(bytes);
  }
  const std::string flavor = m["flavor"].get<std::string>();
  const std::string model_file = ModelFileName(flavor);
  for (const std::string& need : {std::string("pipeline.json"), model_file, std::string("metrics.json")}) {
    if (!files.contains(need)) {
      return absl::InvalidArgumentError(StrCat(dir, "/manifest.json: does not list ", need));
    }
  }
  LEPTON_ASSIGN_OR_RETURN(Json pipeline_json, ParseJson(files["pipeline.json"]));
  LEPTON_ASSIGN_OR_RETURN(features::Pipeline pipeline, features::Pipeline::FromJson(pipeline_json));
  // The declared signature must be the one the pipeline reads (what serving validates against).
  {
    Json inputs = Json::array();
    for (const lake::Field& f : pipeline.input_signature()) {
      inputs.push_back({{"name", f.name}, {"type", lake::DataTypeName(f.type)}});
    }
    if (!m.contains("input_signature") || m["input_signature"] != inputs) {
      return absl::InvalidArgumentError(StrCat(dir, "/manifest.json: input_signature ",
                                               m.value("input_signature", Json()).dump(), " does not match the ",
                                               "pipeline's inputs ", inputs.dump()));
    }
  }
  LEPTON_ASSIGN_OR_RETURN(std::unique_ptr<ml::Learner> learner, LoadLearner(flavor, files[model_file]));
  LEPTON_ASSIGN_OR_RETURN(Json metrics, ParseJson(files["metrics.json"]));
  std::vector<std::string> classes;
  std::optional<ml::ScorecardScaling> scaling;
  Lineage lineage;
  double threshold = 0.5;
  std::string target, run_id;
  try {
    classes = m.at("classes").get<std::vector<std::string>>();
    threshold = m.at("threshold").get<double>();
    target = m.at("target").get<std::string>();
    run_id = m.at("run_id").get<std::string>();
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(StrCat(dir, "/manifest.json: ", e.what()));
  }
  LEPTON_ASSIGN_OR_RETURN(lineage, Lineage::FromJson(m.value("lineage", Json::object())));
  if (m.contains("scorecard_scaling") && !m["scorecard_scaling"].is_null()) {
    LEPTON_ASSIGN_OR_RETURN(scaling, ScalingFromJson(m["scorecard_scaling"]));
  }
  LEPTON_ASSIGN_OR_RETURN(Model model, Make(std::move(pipeline), std::move(learner), std::move(classes),
                                            std::move(target), threshold, std::move(metrics), std::move(lineage),
                                            scaling, std::move(run_id)));
  model.set_created(m.value("created_by", ""), m.value("created_at", ""));
  model.set_example_input(m.value("example_input", Json()));
  if (auto it = files.find("reference.json"); it != files.end()) {
    auto reference = ParseJson(it->second);
    if (!reference.ok()) return absl::InvalidArgumentError(StrCat(dir, "/reference.json: ", reference.status().message()));
    model.set_reference(*std::move(reference));
  }
  return model;
}

}  // namespace lepton::train
