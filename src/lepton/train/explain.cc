#include "lepton/train/explain.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/features/matrix.h"

namespace lepton::train {
namespace {

// Input column names in the pipeline's input order.
std::vector<std::string> InputNames(const features::Pipeline& pipeline) {
  std::vector<std::string> names;
  for (const lake::Field& f : pipeline.input_signature()) names.push_back(f.name);
  return names;
}

// Largest |value| first; `std::stable_sort` keeps input order among ties.
void SortByMagnitude(std::vector<std::pair<std::string, double>>* entries) {
  std::stable_sort(entries->begin(), entries->end(), [](const auto& a, const auto& b) {
    return std::fabs(a.second) > std::fabs(b.second);
  });
}

}  // namespace

absl::StatusOr<std::vector<RowExplanation>> ExplainRows(const Model& model,
                                                        const lake::RecordBatch& rows,
                                                        const ExplainOptions& options) {
  if (options.top_k < 0) {
    return absl::InvalidArgumentError(
        StrCat("explain: top_k must be 0 (all columns) or positive, got ", options.top_k));
  }
  if (model.task() == ml::Task::kMulticlass) {
    return absl::UnimplementedError(
        StrCat("explain: per-row contributions are defined for binary and regression models; "
               "this is a multiclass model (", model.classes().size(), " classes) — use "
               "permutation importance (GlobalImportance, metrics \"permutation_importance\") "
               "instead"));
  }
  const features::Pipeline& pipeline = model.pipeline();
  LEPTON_ASSIGN_OR_RETURN(features::FeatureMatrix x, pipeline.Transform(rows));
  if (x.rows == 0) return std::vector<RowExplanation>();

  absl::StatusOr<std::vector<double>> contributions = model.learner().Contributions(x);
  if (absl::IsUnimplemented(contributions.status())) {
    return absl::UnimplementedError(StrCat("explain: the ", model.flavor(),
                                           " learner has no per-row contributions (",
                                           contributions.status().message(),
                                           "); use permutation importance (GlobalImportance, "
                                           "metrics \"permutation_importance\") to explain it"));
  }
  if (!contributions.ok()) return Annotate(contributions.status(), "explain");
  LEPTON_ASSIGN_OR_RETURN(std::vector<double> scores, model.learner().Predict(x));

  const std::vector<std::string> inputs = InputNames(pipeline);
  const std::vector<int> sources = pipeline.OutputSources();
  const auto n = static_cast<size_t>(x.rows);
  const auto cols = static_cast<size_t>(x.cols());
  if (sources.size() != cols || contributions->size() != n * (cols + 1) || scores.size() != n) {
    return absl::InternalError(StrCat("explain: ", model.flavor(), " gave ", contributions->size(),
                                      " contributions and ", scores.size(), " scores for ", n,
                                      " rows of ", cols, " feature columns (", sources.size(),
                                      " mapped to inputs)"));
  }

  std::vector<double> points;
  size_t point_cols = 0;
  if (model.scorecard()) {
    absl::StatusOr<std::vector<double>> p = model.scorecard()->Points(x);
    if (!p.ok()) return Annotate(p.status(), "explain: scorecard points");
    points = *std::move(p);
    point_cols = model.scorecard()->features().size();
    if (point_cols != cols || points.size() != n * cols) {
      return absl::InternalError(StrCat("explain: the scorecard has ", point_cols, " features for ",
                                        cols, " feature columns"));
    }
  }

  const size_t keep = options.top_k == 0
                          ? inputs.size()
                          : std::min(inputs.size(), static_cast<size_t>(options.top_k));
  std::vector<RowExplanation> out(n);
  std::vector<double> per_input(inputs.size());
  for (size_t r = 0; r < n; ++r) {
    RowExplanation& e = out[r];
    const double* row = contributions->data() + r * (cols + 1);
    std::fill(per_input.begin(), per_input.end(), 0.0);
    for (size_t j = 0; j < cols; ++j) per_input[static_cast<size_t>(sources[j])] += row[j];
    e.base = row[cols];
    // Summed per input column first, so `margin` is exactly base + what the row reports.
    e.margin = std::accumulate(per_input.begin(), per_input.end(), e.base);
    e.score = scores[r];
    e.contributions.reserve(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i)
      e.contributions.emplace_back(inputs[i], per_input[i]);
    SortByMagnitude(&e.contributions);
    e.contributions.resize(keep);

    if (model.scorecard()) {
      std::fill(per_input.begin(), per_input.end(), 0.0);
      for (size_t j = 0; j < cols; ++j) {
        per_input[static_cast<size_t>(sources[j])] += points[r * cols + j];
      }
      e.base_points = model.scorecard()->base_points();
      e.credit_score = std::accumulate(per_input.begin(), per_input.end(), *e.base_points);
      e.points.reserve(inputs.size());
      for (size_t i = 0; i < inputs.size(); ++i) e.points.emplace_back(inputs[i], per_input[i]);
    }
  }
  return out;
}

Json ExplanationsToJson(const std::vector<RowExplanation>& rows) {
  Json out = Json::array();
  for (const RowExplanation& e : rows) {
    Json contributions = Json::array();
    for (const auto& [column, value] : e.contributions) {
      contributions.push_back({{"column", column}, {"value", value}});
    }
    Json j = {{"base", e.base},
              {"margin", e.margin},
              {"score", e.score},
              {"contributions", std::move(contributions)}};
    if (e.base_points) {
      Json points = Json::array();
      for (const auto& [column, value] : e.points) {
        points.push_back({{"column", column}, {"points", value}});
      }
      j["base_points"] = *e.base_points;
      j["points"] = std::move(points);
      j["credit_score"] = e.credit_score;
    }
    out.push_back(std::move(j));
  }
  return out;
}

Json GlobalImportance(const Model& model) {
  const features::Pipeline& pipeline = model.pipeline();
  const std::vector<std::string> inputs = InputNames(pipeline);
  const std::vector<int> sources = pipeline.OutputSources();
  const std::vector<std::string>& outputs = pipeline.output_columns();
  std::map<std::string, int, std::less<>> source_of;
  for (size_t j = 0; j < outputs.size() && j < sources.size(); ++j)
    source_of[outputs[j]] = sources[j];

  const Json learner = model.learner().Importance();
  std::vector<double> per_input(inputs.size(), 0.0);
  bool any = false;
  if (learner.is_object()) {
    for (auto it = learner.begin(); it != learner.end(); ++it) {
      const auto s = source_of.find(it.key());
      // A name the pipeline does not produce cannot be attributed to an input; the learner and
      // pipeline of one model always agree, so this only guards against malformed bundles.
      if (s == source_of.end() || !it->is_number()) continue;
      per_input[static_cast<size_t>(s->second)] += it->get<double>();
      any = true;
    }
  }
  std::vector<std::pair<std::string, double>> ranked;
  if (any) {
    for (size_t i = 0; i < inputs.size(); ++i) ranked.emplace_back(inputs[i], per_input[i]);
    SortByMagnitude(&ranked);
  }
  Json model_importance = Json::array();
  for (const auto& [column, value] : ranked) {
    model_importance.push_back({{"column", column}, {"importance", value}});
  }
  std::string kind = "none";
  if (any) {
    const std::string flavor = model.flavor();
    if (flavor == "xgboost") {
      kind = "gain";
    } else if (flavor == "logistic" || flavor == "linear") {
      kind = "coefficient";
    } else {
      kind = "learner";
    }
  }
  Json out = {{"model", std::move(model_importance)}, {"model_kind", kind}};
  if (model.metrics().is_object() && model.metrics().contains("permutation_importance")) {
    out["permutation"] = model.metrics().at("permutation_importance");
  }
  return out;
}

}  // namespace lepton::train
