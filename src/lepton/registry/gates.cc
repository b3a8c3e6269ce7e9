#include "lepton/registry/gates.h"

#include <algorithm>
#include <cmath>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/select/search.h"

namespace lepton::registry {
namespace {

absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

// Shortest form that reads back exactly ("0.75", "1", "0.7913"…).
std::string Num(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return StrCat(static_cast<int64_t>(v));
  return DumpJson(Json(v));
}

absl::StatusOr<std::vector<std::string>> Strings(const Json& j, const std::string& path) {
  if (!j.is_array()) return Invalid(StrCat(path, ": expected an array of strings"));
  std::vector<std::string> out;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string() || j[i].get<std::string>().empty()) {
      return Invalid(StrCat(path, "[", i, "]: expected a non-empty string"));
    }
    out.push_back(j[i].get<std::string>());
  }
  return out;
}

absl::StatusOr<double> Number(const Json& j, const std::string& path) {
  if (!j.is_number() || !std::isfinite(j.get<double>())) return Invalid(StrCat(path, ": expected a number"));
  return j.get<double>();
}

const std::vector<std::string>& KnownGaps() {
  static const auto* gaps =
      new std::vector<std::string>{"auc", "demographic_parity_difference", "equal_opportunity_difference"};
  return *gaps;
}

}  // namespace

bool Policy::IsProtected(std::string_view alias) const {
  return std::find(protected_aliases.begin(), protected_aliases.end(), alias) != protected_aliases.end();
}

absl::StatusOr<Policy> Policy::FromJson(const Json& j) {
  if (!j.is_object()) return Invalid("policy: expected an object");
  Policy p;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string path = StrCat("policy.", it.key());
    const Json& v = *it;
    if (it.key() == "protected_aliases") {
      LEPTON_ASSIGN_OR_RETURN(p.protected_aliases, Strings(v, path));
    } else if (it.key() == "metrics") {
      if (!v.is_object()) return Invalid(StrCat(path, ": expected an object of {\"min\"|\"max\": number}"));
      for (auto m = v.begin(); m != v.end(); ++m) {
        const std::string mp = StrCat(path, ".", m.key());
        if (!m->is_object() || m->empty()) return Invalid(StrCat(mp, ": expected {\"min\": number} and/or {\"max\": number}"));
        MetricBound b{.metric = m.key()};
        for (auto f = m->begin(); f != m->end(); ++f) {
          if (f.key() == "min") {
            LEPTON_ASSIGN_OR_RETURN(b.min, Number(*f, StrCat(mp, ".min")));
          } else if (f.key() == "max") {
            LEPTON_ASSIGN_OR_RETURN(b.max, Number(*f, StrCat(mp, ".max")));
          } else {
            return Invalid(StrCat(mp, ".", f.key(), ": unknown field (expected min, max)"));
          }
        }
        p.metrics.push_back(std::move(b));
      }
    } else if (it.key() == "not_worse_than") {
      if (!v.is_object()) return Invalid(StrCat(path, ": expected {\"alias\", \"metric\", \"margin\"}"));
      NotWorseThan n;
      for (auto f = v.begin(); f != v.end(); ++f) {
        if (f.key() == "alias" && f->is_string()) n.alias = f->get<std::string>();
        else if (f.key() == "metric" && f->is_string()) n.metric = f->get<std::string>();
        else if (f.key() == "margin") {
          LEPTON_ASSIGN_OR_RETURN(n.margin, Number(*f, StrCat(path, ".margin")));
          if (n.margin < 0) return Invalid(StrCat(path, ".margin: expected a number >= 0"));
        } else {
          return Invalid(StrCat(path, ".", f.key(), ": unknown field or wrong type (alias and metric are strings)"));
        }
      }
      if (n.alias.empty()) n.alias = "production";
      if (n.metric.empty()) return Invalid(StrCat(path, ".metric: required"));
      p.not_worse_than = n;
    } else if (it.key() == "max_fairness_gap") {
      if (!v.is_object()) return Invalid(StrCat(path, ": expected {\"gap\", \"max\", \"columns\"}"));
      FairnessGap g;
      bool has_max = false;
      for (auto f = v.begin(); f != v.end(); ++f) {
        if (f.key() == "gap") {
          if (!f->is_string() || std::find(KnownGaps().begin(), KnownGaps().end(), f->get<std::string>()) == KnownGaps().end()) {
            return Invalid(StrCat(path, ".gap: expected one of ", StrJoin(KnownGaps(), ", ")));
          }
          g.gap = f->get<std::string>();
        } else if (f.key() == "max") {
          LEPTON_ASSIGN_OR_RETURN(g.max, Number(*f, StrCat(path, ".max")));
          has_max = true;
        } else if (f.key() == "columns") {
          LEPTON_ASSIGN_OR_RETURN(g.columns, Strings(*f, StrCat(path, ".columns")));
        } else {
          return Invalid(StrCat(path, ".", f.key(), ": unknown field (expected gap, max, columns)"));
        }
      }
      if (!has_max) return Invalid(StrCat(path, ".max: required"));
      p.max_fairness_gap = g;
    } else if (it.key() == "required_card_fields") {
      LEPTON_ASSIGN_OR_RETURN(p.required_card_fields, Strings(v, path));
    } else {
      return Invalid(StrCat(path, ": unknown field (expected protected_aliases, metrics, not_worse_than, "
                                  "max_fairness_gap, required_card_fields)"));
    }
  }
  return p;
}

Json Policy::ToJson() const {
  Json j = {{"protected_aliases", protected_aliases}};
  if (!metrics.empty()) {
    Json m = Json::object();
    for (const MetricBound& b : metrics) {
      Json bound = Json::object();
      if (b.min) bound["min"] = *b.min;
      if (b.max) bound["max"] = *b.max;
      m[b.metric] = bound;
    }
    j["metrics"] = m;
  }
  if (not_worse_than) {
    j["not_worse_than"] = {{"alias", not_worse_than->alias}, {"metric", not_worse_than->metric},
                           {"margin", not_worse_than->margin}};
  }
  if (max_fairness_gap) {
    j["max_fairness_gap"] = {{"gap", max_fairness_gap->gap}, {"max", max_fairness_gap->max}};
    if (!max_fairness_gap->columns.empty()) j["max_fairness_gap"]["columns"] = max_fairness_gap->columns;
  }
  if (!required_card_fields.empty()) j["required_card_fields"] = required_card_fields;
  return j;
}

Json GateReport::ToJson() const {
  Json gs = Json::array();
  Json failed = Json::array();
  for (const GateResult& g : gates) {
    gs.push_back({{"gate", g.gate}, {"name", g.name}, {"passed", g.passed}, {"actual", g.actual},
                  {"limit", g.limit}, {"detail", g.detail}});
    if (!g.passed) failed.push_back(g.name);
  }
  return {{"passed", passed}, {"gates", gs}, {"failed", failed}};
}

std::string GateReport::FailureSummary() const {
  std::vector<std::string> parts;
  for (const GateResult& g : gates) {
    if (!g.passed) parts.push_back(g.detail);
  }
  return StrJoin(parts, "; ");
}

GateReport EvaluateGates(const Policy& policy, const Json& candidate_metrics, const Json& card,
                         const std::optional<Json>& incumbent_metrics, int64_t incumbent_version) {
  GateReport report;
  auto add = [&](GateResult r) {
    report.passed = report.passed && r.passed;
    report.gates.push_back(std::move(r));
  };
  const Json summary = candidate_metrics.is_object() && candidate_metrics.contains("summary")
                           ? candidate_metrics["summary"] : Json::object();
  auto value_of = [](const Json& s, const std::string& metric) -> std::optional<double> {
    if (!s.is_object() || !s.contains(metric) || !s[metric].is_number()) return std::nullopt;
    return s[metric].get<double>();
  };

  for (const MetricBound& b : policy.metrics) {
    const std::optional<double> v = value_of(summary, b.metric);
    auto check = [&](const char* op, double limit, bool ok_if) {
      GateResult r{.gate = "metric", .name = StrCat(b.metric, " ", op, " ", Num(limit))};
      r.limit = limit;
      if (!v) {
        r.actual = nullptr;
        r.detail = StrCat(r.name, ": the model reports no test metric ", b.metric);
      } else {
        r.actual = *v;
        r.passed = ok_if;
        r.detail = StrCat(r.name, ": actual ", Num(*v));
      }
      add(std::move(r));
    };
    if (b.min) check(">=", *b.min, v && *v >= *b.min);
    if (b.max) check("<=", *b.max, v && *v <= *b.max);
  }

  if (policy.not_worse_than) {
    const auto& n = *policy.not_worse_than;
    const bool maximize = ml::DefaultDirection(n.metric) == ml::Direction::kMaximize;
    GateResult r{.gate = "not_worse_than",
                 .name = StrCat(n.metric, " not worse than ", n.alias, " by more than ", Num(n.margin))};
    const std::optional<double> mine = value_of(summary, n.metric);
    if (!incumbent_metrics) {
      r.passed = mine.has_value();
      r.actual = mine ? Json(*mine) : Json(nullptr);
      r.detail = mine ? StrCat(r.name, ": nothing is behind ", n.alias, " yet")
                      : StrCat(r.name, ": the model reports no test metric ", n.metric);
    } else {
      const std::optional<double> theirs =
          value_of(incumbent_metrics->is_object() && incumbent_metrics->contains("summary")
                       ? (*incumbent_metrics)["summary"] : Json::object(),
                   n.metric);
      r.actual = mine ? Json(*mine) : Json(nullptr);
      if (!mine || !theirs) {
        r.detail = StrCat(r.name, ": ", !mine ? "the candidate" : StrCat("version ", incumbent_version),
                          " reports no test metric ", n.metric);
      } else {
        const double limit = maximize ? *theirs - n.margin : *theirs + n.margin;
        r.limit = {{"incumbent_version", incumbent_version}, {"incumbent", *theirs}, {"bound", limit}};
        r.passed = maximize ? *mine >= limit : *mine <= limit;
        r.detail = StrCat(r.name, ": candidate ", Num(*mine), ", version ", incumbent_version, " behind ", n.alias,
                          " ", Num(*theirs), " (bound ", Num(limit), ")");
      }
    }
    add(std::move(r));
  }

  if (policy.max_fairness_gap) {
    const auto& g = *policy.max_fairness_gap;
    const Json slices = candidate_metrics.is_object() && candidate_metrics.contains("slices")
                            ? candidate_metrics["slices"] : Json::object();
    std::vector<std::string> columns = g.columns;
    if (columns.empty()) {
      for (auto it = slices.begin(); it != slices.end(); ++it) columns.push_back(it.key());
    }
    if (columns.empty()) {
      add({.gate = "max_fairness_gap", .name = StrCat(g.gap, " gap <= ", Num(g.max)), .passed = false,
           .actual = nullptr, .limit = g.max,
           .detail = StrCat(g.gap, " gap <= ", Num(g.max), ": the model reports no fairness slices "
                                                             "(set fairness_slices in its model_config.json)")});
    }
    for (const std::string& column : columns) {
      GateResult r{.gate = "max_fairness_gap", .name = StrCat(column, " ", g.gap, " gap <= ", Num(g.max))};
      r.limit = g.max;
      const Json* gap = nullptr;
      if (slices.contains(column) && slices[column].contains("gaps") && slices[column]["gaps"].contains(g.gap)) {
        gap = &slices[column]["gaps"][g.gap];
      }
      if (gap == nullptr) {
        r.actual = nullptr;
        r.detail = StrCat(r.name, ": the model reports no slices for ", column);
      } else if (!(*gap)["value"].is_number()) {
        r.actual = nullptr;
        r.detail = StrCat(r.name, ": undefined (fewer than two slices with both classes)");
      } else {
        const double v = (*gap)["value"].get<double>();
        r.actual = {{"value", v}, {"max_slice", (*gap)["max_slice"]}, {"min_slice", (*gap)["min_slice"]}};
        r.passed = v <= g.max;
        r.detail = StrCat(r.name, ": actual ", Num(v), " (", (*gap)["max_slice"].get<std::string>(), " vs ",
                          (*gap)["min_slice"].get<std::string>(), ")");
      }
      add(std::move(r));
    }
  }

  for (const std::string& field : policy.required_card_fields) {
    GateResult r{.gate = "required_card_field", .name = field};
    const bool present = card.is_object() && card.contains(field) && !card[field].is_null() &&
                         !(card[field].is_string() && card[field].get<std::string>().empty()) &&
                         !(card[field].is_array() && card[field].empty());
    r.passed = present;
    r.actual = present ? card[field] : Json(nullptr);
    r.detail = present ? StrCat("card field ", field, ": filled in") : StrCat("card field ", field, ": empty");
    add(std::move(r));
  }
  return report;
}

}  // namespace lepton::registry
