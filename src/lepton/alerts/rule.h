#pragma once
// Alert rules: what is watched (a metric of the server's Prometheus registry, or the newest
// recorded drift check of a deployment), the condition (`value op threshold`), how long it must
// hold before the alert fires (`for_seconds`) and where the notifications go (a webhook URL,
// Alertmanager's webhook format; see docs/alerts.md).
//
// A rule is a plain value; `ParseRule` checks one from its JSON form (the REST body) and
// `RuleToJson` writes it back. Both are pure functions, safe from any thread.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"

namespace lepton::alerts {

enum class RuleKind { kMetric, kDrift };
// How a metric rule reads its series: the current value of the sum of the matching series, or
// their increase (resets handled like PromQL's `increase`) or per-second rate over the window.
enum class MetricFunction { kValue, kRate, kIncrease };
enum class DriftStatistic { kPsi, kKs };
enum class Comparison { kGreater, kGreaterOrEqual, kLess, kLessOrEqual };

struct AlertRule {
  std::string name;         // 1 to 64 of a-z 0-9 - _ . starting with a letter or digit
  std::string description;  // free text; the default "description" annotation
  RuleKind kind = RuleKind::kMetric;

  // kind "metric": the rendered series name (counter or gauge family name, or a histogram's
  // `<name>_count` / `_sum` / `_bucket`) and exact label matches; matching series are summed.
  std::string metric;
  std::vector<std::pair<std::string, std::string>> matchers;  // "match" in JSON, sorted by name
  MetricFunction function = MetricFunction::kValue;
  int64_t window_seconds = 0;  // rate/increase only: 1 .. 86400

  // kind "drift": the newest recorded drift check of `deployment`; `column` is "score" (the
  // model's scores) or an input column; `statistic` PSI or the KS statistic.
  std::string deployment;
  std::string column;
  DriftStatistic statistic = DriftStatistic::kPsi;

  Comparison op = Comparison::kGreater;
  double threshold = 0;
  int64_t for_seconds = 0;  // 0 .. 604800; 0 fires at the first evaluation that holds
  std::string webhook_url;  // http://host[:port][/path]
  std::map<std::string, std::string> labels;       // added to the alert's labels
  std::map<std::string, std::string> annotations;  // may use {{ $value }} and {{ $labels.x }}
  bool enabled = true;
};

// A webhook URL split for a client: "http://host:port" and the request target ("/path?query").
struct WebhookUrl {
  std::string base_url;
  std::string target;
};

// Parses "http://host[:port][/path][?query]" (port 1..65535, default 80). InvalidArgument
// naming the problem otherwise (https, userinfo, fragments, spaces are refused: the sender speaks
// plain HTTP/1.1 to a receiver on a trusted network).
absl::StatusOr<WebhookUrl> ParseWebhookUrl(std::string_view url);

// InvalidArgument unless `name` is a valid rule name (see `AlertRule::name`).
absl::Status ValidateRuleName(std::string_view name);

// Reads a rule from its JSON form (docs/alerts.md). Every problem is InvalidArgument naming the
// JSON path under `path`, e.g. "body.threshold: expected a number", "body.op: expected one of
// >, >=, <, <=", "body.colour: unknown field". When `name` is not empty it is the rule's name
// (PUT /rules/{name}) and the body may omit "name" (or must repeat it exactly).
absl::StatusOr<AlertRule> ParseRule(const Json& j, std::string_view path = "body",
                                    std::string_view name = "");

// The rule's JSON form; `ParseRule(RuleToJson(r))` gives `r` back.
Json RuleToJson(const AlertRule& rule);

std::string_view ComparisonName(Comparison op);  // ">", ">=", "<", "<="
// `value op threshold`.
bool Compare(Comparison op, double value, double threshold);
// `v` as the shortest decimal that reads back exactly, whole numbers without a fraction ("11",
// "0.25", "1e+20"): how values appear in expressions and annotations.
std::string FormatNumber(double v);
// A one-line description of what the rule watches, e.g.
// `rate(lepton_inference_requests_total{code="500"}[60s]) > 1` or `drift psi(score) of web > 0.25`.
std::string RuleExpression(const AlertRule& rule);

}  // namespace lepton::alerts
