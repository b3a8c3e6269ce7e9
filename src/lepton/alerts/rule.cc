#include "lepton/alerts/rule.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <set>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/monitor/metrics.h"

namespace lepton::alerts {
namespace {

constexpr int64_t kMaxWindowSeconds = 86400;
constexpr int64_t kMaxForSeconds = 7 * 86400;
constexpr size_t kMaxTextBytes = 4096;

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

// Reads the fields of one JSON object, failing on the first problem with its path.
class Reader {
 public:
  Reader(const Json& j, std::string path) : j_(j), path_(std::move(path)) {}

  std::string Path(std::string_view key) const { return StrCat(path_, ".", key); }

  const Json* Get(std::string_view key) {
    seen_.insert(std::string(key));
    auto it = j_.find(std::string(key));
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  absl::StatusOr<std::optional<std::string>> String(std::string_view key) {
    const Json* v = Get(key);
    if (v == nullptr) return std::optional<std::string>();
    if (!v->is_string()) return absl::InvalidArgumentError(StrCat(Path(key), ": expected a string"));
    std::string s = v->get<std::string>();
    if (s.size() > kMaxTextBytes) {
      return absl::InvalidArgumentError(StrCat(Path(key), ": longer than ", kMaxTextBytes, " bytes"));
    }
    return std::optional<std::string>(std::move(s));
  }
  absl::StatusOr<std::string> RequiredString(std::string_view key) {
    LEPTON_ASSIGN_OR_RETURN(std::optional<std::string> s, String(key));
    if (!s || s->empty()) return absl::InvalidArgumentError(StrCat(Path(key), ": required"));
    return *std::move(s);
  }
  absl::StatusOr<std::optional<double>> Number(std::string_view key) {
    const Json* v = Get(key);
    if (v == nullptr) return std::optional<double>();
    if (!v->is_number()) return absl::InvalidArgumentError(StrCat(Path(key), ": expected a number"));
    const double d = v->get<double>();
    if (!std::isfinite(d)) return absl::InvalidArgumentError(StrCat(Path(key), ": expected a finite number"));
    return std::optional<double>(d);
  }
  absl::StatusOr<std::optional<int64_t>> Int(std::string_view key, int64_t lo, int64_t hi) {
    const Json* v = Get(key);
    if (v == nullptr) return std::optional<int64_t>();
    if (!v->is_number_integer()) {
      return absl::InvalidArgumentError(StrCat(Path(key), ": expected a whole number of seconds"));
    }
    const bool in_range = v->is_number_unsigned()
                              ? v->get<uint64_t>() <= static_cast<uint64_t>(hi) && static_cast<int64_t>(v->get<uint64_t>()) >= lo
                              : v->get<int64_t>() >= lo && v->get<int64_t>() <= hi;
    if (!in_range) {
      return absl::InvalidArgumentError(StrCat(Path(key), ": expected ", lo, " to ", hi));
    }
    return std::optional<int64_t>(v->get<int64_t>());
  }
  absl::StatusOr<std::optional<bool>> Bool(std::string_view key) {
    const Json* v = Get(key);
    if (v == nullptr) return std::optional<bool>();
    if (!v->is_boolean()) return absl::InvalidArgumentError(StrCat(Path(key), ": expected true or false"));
    return std::optional<bool>(v->get<bool>());
  }
  // An object of strings; keys checked with `key_ok` (nullptr: any non-empty key).
  absl::StatusOr<std::map<std::string, std::string>> StringMap(std::string_view key,
                                                                bool (*key_ok)(std::string_view)) {
    std::map<std::string, std::string> out;
    const Json* v = Get(key);
    if (v == nullptr) return out;
    if (!v->is_object()) return absl::InvalidArgumentError(StrCat(Path(key), ": expected an object of strings"));
    if (v->size() > 64) return absl::InvalidArgumentError(StrCat(Path(key), ": more than 64 entries"));
    for (auto it = v->begin(); it != v->end(); ++it) {
      const std::string sub = StrCat(Path(key), ".", it.key());
      if (key_ok != nullptr ? !key_ok(it.key()) : it.key().empty()) {
        return absl::InvalidArgumentError(
            StrCat(sub, ": invalid label name (expected [a-zA-Z_][a-zA-Z0-9_]*, not starting with __)"));
      }
      if (!it->is_string()) return absl::InvalidArgumentError(StrCat(sub, ": expected a string"));
      if (it->get<std::string>().size() > kMaxTextBytes) {
        return absl::InvalidArgumentError(StrCat(sub, ": longer than ", kMaxTextBytes, " bytes"));
      }
      out[it.key()] = it->get<std::string>();
    }
    return out;
  }
  // InvalidArgument for the first field nobody asked for.
  absl::Status Finish() const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (!seen_.contains(it.key())) return absl::InvalidArgumentError(StrCat(Path(it.key()), ": unknown field"));
    }
    return absl::OkStatus();
  }

 private:
  const Json& j_;
  std::string path_;
  std::set<std::string> seen_;
};

bool LabelNameOk(std::string_view name) { return monitor::IsValidLabelName(name); }

}  // namespace

std::string FormatNumber(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<int64_t>(v));
  }
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, result.ptr);
}

absl::StatusOr<WebhookUrl> ParseWebhookUrl(std::string_view url) {
  const auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("webhook URL '", url, "': ", why));
  };
  if (url.starts_with("https://")) return bad("https is not supported; use http:// (a receiver on a trusted network)");
  if (!url.starts_with("http://")) return bad("expected http://host[:port][/path]");
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return bad("contains a space or control character");
  }
  if (url.find('#') != std::string_view::npos) return bad("fragments (#) are not allowed");
  std::string_view rest = url.substr(7);
  const size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  std::string target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (target.front() == '?') target = "/" + target;
  if (authority.find('@') != std::string_view::npos) return bad("credentials in the URL are not allowed");
  std::string host;
  std::string_view port_text;
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated [IPv6] host");
    host = std::string(authority.substr(0, close + 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("expected :port after the [IPv6] host");
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (colon != std::string_view::npos && port_text.empty()) return bad("empty port");
  }
  if (host.empty() || host == "[]") return bad("no host");
  int64_t port = 80;
  if (!port_text.empty() && (!ParseInt(port_text, &port) || port < 1 || port > 65535)) {
    return bad("the port must be 1 to 65535");
  }
  return WebhookUrl{.base_url = StrCat("http://", host, ":", port), .target = std::move(target)};
}

absl::Status ValidateRuleName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && name[0] != '-' && name[0] != '_' && name[0] != '.';
  for (char c : name) ok = ok && NameChar(c);
  if (!ok) {
    return absl::InvalidArgumentError(StrCat("invalid alert rule name '", name,
                                             "': expected 1 to 64 characters of a-z, 0-9, '-', '_', '.', "
                                             "starting with a letter or digit"));
  }
  return absl::OkStatus();
}

absl::StatusOr<AlertRule> ParseRule(const Json& j, std::string_view path, std::string_view name) {
  if (!j.is_object()) return absl::InvalidArgumentError(StrCat(path, ": expected a JSON object"));
  Reader r(j, std::string(path));
  AlertRule rule;
  LEPTON_ASSIGN_OR_RETURN(std::optional<std::string> body_name, r.String("name"));
  if (!name.empty()) {
    if (body_name && *body_name != name) {
      return absl::InvalidArgumentError(
          StrCat(r.Path("name"), ": '", *body_name, "' differs from the rule '", name, "' in the URL"));
    }
    rule.name = std::string(name);
  } else {
    if (!body_name || body_name->empty()) return absl::InvalidArgumentError(StrCat(r.Path("name"), ": required"));
    rule.name = *body_name;
  }
  if (absl::Status s = ValidateRuleName(rule.name); !s.ok()) {
    return absl::InvalidArgumentError(StrCat(r.Path("name"), ": ", s.message()));
  }
  LEPTON_ASSIGN_OR_RETURN(auto description, r.String("description"));
  rule.description = description.value_or("");

  LEPTON_ASSIGN_OR_RETURN(std::string kind, r.RequiredString("kind"));
  if (kind == "metric") {
    rule.kind = RuleKind::kMetric;
    LEPTON_ASSIGN_OR_RETURN(rule.metric, r.RequiredString("metric"));
    if (!monitor::IsValidMetricName(rule.metric)) {
      return absl::InvalidArgumentError(
          StrCat(r.Path("metric"), ": '", rule.metric, "' is not a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)"));
    }
    LEPTON_ASSIGN_OR_RETURN(auto match, r.StringMap("match", &LabelNameOk));
    rule.matchers.assign(match.begin(), match.end());
    LEPTON_ASSIGN_OR_RETURN(auto function, r.String("function"));
    const std::string fn = function.value_or("value");
    if (fn == "value") {
      rule.function = MetricFunction::kValue;
    } else if (fn == "rate") {
      rule.function = MetricFunction::kRate;
    } else if (fn == "increase") {
      rule.function = MetricFunction::kIncrease;
    } else {
      return absl::InvalidArgumentError(StrCat(r.Path("function"), ": expected one of value, rate, increase"));
    }
    LEPTON_ASSIGN_OR_RETURN(auto window, r.Int("window_seconds", 1, kMaxWindowSeconds));
    if (rule.function == MetricFunction::kValue) {
      if (window) return absl::InvalidArgumentError(StrCat(r.Path("window_seconds"), ": only for rate and increase"));
    } else {
      if (!window) return absl::InvalidArgumentError(StrCat(r.Path("window_seconds"), ": required for ", fn));
      rule.window_seconds = *window;
    }
  } else if (kind == "drift") {
    rule.kind = RuleKind::kDrift;
    LEPTON_ASSIGN_OR_RETURN(rule.deployment, r.RequiredString("deployment"));
    LEPTON_ASSIGN_OR_RETURN(auto column, r.String("column"));
    rule.column = column.value_or("score");
    if (rule.column.empty()) return absl::InvalidArgumentError(StrCat(r.Path("column"), ": must not be empty"));
    LEPTON_ASSIGN_OR_RETURN(auto statistic, r.String("statistic"));
    const std::string st = statistic.value_or("psi");
    if (st == "psi") {
      rule.statistic = DriftStatistic::kPsi;
    } else if (st == "ks") {
      rule.statistic = DriftStatistic::kKs;
    } else {
      return absl::InvalidArgumentError(StrCat(r.Path("statistic"), ": expected psi or ks"));
    }
  } else {
    return absl::InvalidArgumentError(StrCat(r.Path("kind"), ": expected metric or drift"));
  }

  LEPTON_ASSIGN_OR_RETURN(std::string op, r.RequiredString("op"));
  if (op == ">") {
    rule.op = Comparison::kGreater;
  } else if (op == ">=") {
    rule.op = Comparison::kGreaterOrEqual;
  } else if (op == "<") {
    rule.op = Comparison::kLess;
  } else if (op == "<=") {
    rule.op = Comparison::kLessOrEqual;
  } else {
    return absl::InvalidArgumentError(StrCat(r.Path("op"), ": expected one of >, >=, <, <="));
  }
  LEPTON_ASSIGN_OR_RETURN(auto threshold, r.Number("threshold"));
  if (!threshold) return absl::InvalidArgumentError(StrCat(r.Path("threshold"), ": required"));
  rule.threshold = *threshold;
  LEPTON_ASSIGN_OR_RETURN(auto for_seconds, r.Int("for_seconds", 0, kMaxForSeconds));
  rule.for_seconds = for_seconds.value_or(0);
  LEPTON_ASSIGN_OR_RETURN(rule.webhook_url, r.RequiredString("webhook_url"));
  if (auto u = ParseWebhookUrl(rule.webhook_url); !u.ok()) {
    return absl::InvalidArgumentError(StrCat(r.Path("webhook_url"), ": ", u.status().message()));
  }
  LEPTON_ASSIGN_OR_RETURN(rule.labels, r.StringMap("labels", &LabelNameOk));
  if (rule.labels.contains("alertname")) {
    return absl::InvalidArgumentError(StrCat(r.Path("labels.alertname"), ": reserved (it is the rule's name)"));
  }
  LEPTON_ASSIGN_OR_RETURN(rule.annotations, r.StringMap("annotations", &LabelNameOk));
  LEPTON_ASSIGN_OR_RETURN(auto enabled, r.Bool("enabled"));
  rule.enabled = enabled.value_or(true);
  LEPTON_RETURN_IF_ERROR(r.Finish());
  return rule;
}

Json RuleToJson(const AlertRule& rule) {
  Json j = {{"name", rule.name}, {"description", rule.description}};
  if (rule.kind == RuleKind::kMetric) {
    j["kind"] = "metric";
    j["metric"] = rule.metric;
    Json match = Json::object();
    for (const auto& [k, v] : rule.matchers) match[k] = v;
    j["match"] = std::move(match);
    j["function"] = rule.function == MetricFunction::kValue  ? "value"
                    : rule.function == MetricFunction::kRate ? "rate"
                                                             : "increase";
    if (rule.function != MetricFunction::kValue) j["window_seconds"] = rule.window_seconds;
  } else {
    j["kind"] = "drift";
    j["deployment"] = rule.deployment;
    j["column"] = rule.column;
    j["statistic"] = rule.statistic == DriftStatistic::kPsi ? "psi" : "ks";
  }
  j["op"] = std::string(ComparisonName(rule.op));
  j["threshold"] = rule.threshold;
  j["for_seconds"] = rule.for_seconds;
  j["webhook_url"] = rule.webhook_url;
  j["labels"] = rule.labels;
  j["annotations"] = rule.annotations;
  j["enabled"] = rule.enabled;
  return j;
}

std::string_view ComparisonName(Comparison op) {
  switch (op) {
    case Comparison::kGreater:
      return ">";
    case Comparison::kGreaterOrEqual:
      return ">=";
    case Comparison::kLess:
      return "<";
    case Comparison::kLessOrEqual:
      return "<=";
  }
  return "?";
}

bool Compare(Comparison op, double value, double threshold) {
  switch (op) {
    case Comparison::kGreater:
      return value > threshold;
    case Comparison::kGreaterOrEqual:
      return value >= threshold;
    case Comparison::kLess:
      return value < threshold;
    case Comparison::kLessOrEqual:
      return value <= threshold;
  }
  return false;
}

std::string RuleExpression(const AlertRule& rule) {
  std::string what;
  if (rule.kind == RuleKind::kMetric) {
    std::vector<std::string> m;
    for (const auto& [k, v] : rule.matchers) m.push_back(StrCat(k, "=", Json(v).dump()));
    what = StrCat("sum(", rule.metric, m.empty() ? "" : StrCat("{", StrJoin(m, ","), "}"), ")");
    if (rule.function == MetricFunction::kRate) what = StrCat("rate(", what, "[", rule.window_seconds, "s])");
    if (rule.function == MetricFunction::kIncrease) what = StrCat("increase(", what, "[", rule.window_seconds, "s])");
  } else {
    what = StrCat("drift ", rule.statistic == DriftStatistic::kPsi ? "psi" : "ks", "(", rule.column, ") of ",
                  rule.deployment);
  }
  return StrCat(what, " ", ComparisonName(rule.op), " ", FormatNumber(rule.threshold));
}

}  // namespace lepton::alerts
