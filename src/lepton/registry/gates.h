#pragma once
// Quality gates of the model registry: a per-model `Policy` and `EvaluateGates`, a pure function
// of the candidate version's metrics, its model card and the metrics of the version currently
// behind the compared alias. The registry evaluates them when a version is promoted to a
// protected alias, and again when the promotion is approved.
//
// Policy JSON (every part optional; unknown fields are errors naming their path):
//   {"protected_aliases": ["production"],                 default ["production"]
//    "metrics": {"auc": {"min": 0.75}, "log_loss": {"max": 0.55}},   test-part (holdout) metrics
//    "not_worse_than": {"alias": "production", "metric": "auc", "margin": 0.01},
//    "max_fairness_gap": {"gap": "auc", "max": 0.15, "columns": ["age", "foreign_worker"]},
//    "required_card_fields": ["intended_use", "limitations"]}
// `not_worse_than`: the candidate may be worse than the alias's version by at most `margin`
// (lower for maximized metrics such as auc, higher for minimized ones such as log_loss); it
// passes when nothing is behind the alias yet. `max_fairness_gap`: for each listed column (all
// reported slice columns when omitted) the gap (max - min over the slices) of `gap` — "auc",
// "demographic_parity_difference" or "equal_opportunity_difference" — is at most `max`.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"

namespace lepton::registry {

struct MetricBound {
  std::string metric;
  std::optional<double> min;
  std::optional<double> max;
};

struct Policy {
  std::vector<std::string> protected_aliases = {"production"};
  std::vector<MetricBound> metrics;
  struct NotWorseThan {
    std::string alias;
    std::string metric;
    double margin = 0;
  };
  std::optional<NotWorseThan> not_worse_than;
  struct FairnessGap {
    std::string gap = "auc";
    double max = 0;
    std::vector<std::string> columns;  // empty: every slice column the model reports
  };
  std::optional<FairnessGap> max_fairness_gap;
  std::vector<std::string> required_card_fields;

  bool IsProtected(std::string_view alias) const;
  // InvalidArgument naming the JSON path ("policy.metrics.auc.min: expected a number").
  static absl::StatusOr<Policy> FromJson(const Json& j);
  Json ToJson() const;
};

// One gate's outcome, with the numbers it compared.
struct GateResult {
  std::string gate;    // "metric", "not_worse_than", "max_fairness_gap", "required_card_field"
  std::string name;    // e.g. "auc >= 0.75", "foreign_worker auc gap <= 0.15", "intended_use"
  bool passed = false;
  Json actual;         // the candidate's value (null when missing)
  Json limit;          // the threshold it was held to
  std::string detail;  // one readable sentence
};

struct GateReport {
  bool passed = true;
  std::vector<GateResult> gates;
  // {"passed", "gates": [{"gate", "name", "passed", "actual", "limit", "detail"}], "failed": [names]}
  Json ToJson() const;
  // "auc >= 0.75 (actual 0.71); intended_use (empty)": the failed gates in one line.
  std::string FailureSummary() const;
};

// `candidate_metrics`: the version's metrics.json ({"summary": {...}, "slices": {...}}).
// `card`: its model card JSON. `incumbent_metrics`: metrics.json of the version behind
// `not_worse_than.alias`, or nullopt when there is none (or it is the candidate itself).
GateReport EvaluateGates(const Policy& policy, const Json& candidate_metrics, const Json& card,
                         const std::optional<Json>& incumbent_metrics, int64_t incumbent_version);

}  // namespace lepton::registry
