#include "lepton/lake/clean/plan.h"

#include <charconv>
#include <cmath>
#include <map>
#include <regex>
#include <utility>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "yaml-cpp/yaml.h"

namespace lepton::lake::clean {
namespace {

// Field paths of YAML nodes ("rules[2].outliers.k") to their 1-based line numbers, so that
// errors can point into the YAML text. Empty for JSON input.
using LineMap = std::map<std::string, int, std::less<>>;

std::string ChildPath(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : StrCat(path, ".", key);
}
std::string IndexPath(const std::string& path, size_t i) { return StrCat(path, "[", i, "]"); }

// ---- YAML -> JSON ----

bool MatchesInt(std::string_view s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

bool MatchesFloat(std::string_view s) {
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  return std::regex_match(s.begin(), s.end(), kFloat);
}

// Resolves a plain (unquoted) scalar by the YAML 1.2 core schema.
Json ResolvePlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (MatchesInt(s)) {
    int64_t v = 0;
    const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
    auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), v);
    if (ec == std::errc() && ptr == s.data() + s.size()) return v;
  }
  if (MatchesFloat(s) || MatchesInt(s)) return std::strtod(s.c_str(), nullptr);
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf" || s == "+.Inf" || s == "+.INF") {
    return std::numeric_limits<double>::infinity();
  }
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return -std::numeric_limits<double>::infinity();
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return std::numeric_limits<double>::quiet_NaN();
  return s;
}

Json YamlToJson(const YAML::Node& node, const std::string& path, LineMap& lines) {
  if (node.Mark().line >= 0) lines.emplace(path, node.Mark().line + 1);
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar:
      // Plain scalars have the non-specific tag "?"; quoted ones "!" (always strings).
      if (node.Tag() == "?") return ResolvePlainScalar(node.Scalar());
      return node.Scalar();
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        out.push_back(YamlToJson(node[i], IndexPath(path, i), lines));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node) {
        const std::string key = kv.first.Scalar();
        out[key] = YamlToJson(kv.second, ChildPath(path, key), lines);
      }
      return out;
    }
  }
  return nullptr;
}

// ---- Plan parsing ----

std::string Describe(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return StrCat("boolean ", v.get<bool>() ? "true" : "false");
    case Json::value_t::string:
      return StrCat("string ", DumpJson(v));
    case Json::value_t::array:
      return "a list";
    case Json::value_t::object:
      return "a mapping";
    default:
      return StrCat("number ", DumpJson(v));
  }
}

class PlanParser {
 public:
  explicit PlanParser(const LineMap* lines) : lines_(lines) {}

  absl::StatusOr<CleaningPlan> Parse(const Json& root) {
    if (!root.is_object()) return Error("", StrCat("expected a mapping with `rules`, got ", Describe(root)));
    LEPTON_RETURN_IF_ERROR(CheckKeys(root, "", {"rules"}));
    if (!root.contains("rules")) return Error("rules", "missing (expected a list of rules)");
    const Json& rules = root["rules"];
    if (!rules.is_array()) return Error("rules", StrCat("expected a list of rules, got ", Describe(rules)));
    CleaningPlan plan;
    for (size_t i = 0; i < rules.size(); ++i) {
      LEPTON_ASSIGN_OR_RETURN(Rule rule, ParseRule(rules[i], IndexPath("rules", i)));
      plan.rules.push_back(std::move(rule));
    }
    return plan;
  }

 private:
  absl::Status Error(const std::string& path, std::string_view message) const {
    std::string text = path.empty() ? std::string(message) : StrCat(path, ": ", message);
    if (lines_ != nullptr) {
      // The node itself, or the nearest enclosing node that has a line.
      std::string p = path;
      while (true) {
        auto it = lines_->find(p);
        if (it != lines_->end()) {
          StrAppend(&text, " (line ", it->second, ")");
          break;
        }
        const size_t cut = p.find_last_of(".[");
        if (cut == std::string::npos) break;
        p.resize(cut);
      }
    }
    return absl::InvalidArgumentError(text);
  }

  absl::Status CheckKeys(const Json& obj, const std::string& path,
                         std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, value] : obj.items()) {
      bool ok = false;
      for (std::string_view a : allowed) ok = ok || key == a;
      if (!ok) {
        return Error(ChildPath(path, key),
                     StrCat("unknown field (expected one of: ", StrJoin(allowed, ", "), ")"));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Rule> ParseRule(const Json& item, const std::string& path) {
    static constexpr std::string_view kKinds = "dedup, missing, outliers, coerce, strings, constraint";
    if (!item.is_object() || item.size() != 1) {
      return Error(path, StrCat("expected a mapping with exactly one rule kind (", kKinds,
                                "), got ", item.is_object() ? StrCat("a mapping with ", item.size(), " keys") : Describe(item)));
    }
    const std::string kind = item.begin().key();
    const Json& options = item.begin().value();
    const std::string p = ChildPath(path, kind);
    if (kind != "dedup" && kind != "missing" && kind != "outliers" && kind != "coerce" &&
        kind != "strings" && kind != "constraint") {
      return Error(path, StrCat("unknown rule kind '", kind, "' (expected one of: ", kKinds, ")"));
    }
    if (!options.is_object()) {
      return Error(p, StrCat("expected a mapping of options, got ", Describe(options)));
    }
    Rule rule;
    if (kind == "dedup") {
      LEPTON_ASSIGN_OR_RETURN(rule.spec, ParseDedup(options, p));
    } else if (kind == "missing") {
      LEPTON_ASSIGN_OR_RETURN(rule.spec, ParseMissing(options, p));
    } else if (kind == "outliers") {
      LEPTON_ASSIGN_OR_RETURN(rule.spec, ParseOutliers(options, p));
    } else if (kind == "coerce") {
      LEPTON_ASSIGN_OR_RETURN(rule.spec, ParseCoerce(options, p));
    } else if (kind == "strings") {
      LEPTON_ASSIGN_OR_RETURN(rule.spec, ParseStrings(options, p));
    } else {
      LEPTON_ASSIGN_OR_RETURN(rule.spec, ParseConstraint(options, p));
    }
    return rule;
  }

  // Field readers: nullopt when absent (or null); errors for a present value of the wrong type.
  const Json* Find(const Json& obj, std::string_view key) const {
    auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
  }

  absl::StatusOr<std::optional<std::string>> OptString(const Json& obj, const std::string& path,
                                                       std::string_view key) const {
    const Json* v = Find(obj, key);
    if (v == nullptr) return std::optional<std::string>();
    if (!v->is_string()) {
      return Error(ChildPath(path, key), StrCat("expected a string, got ", Describe(*v)));
    }
    return std::optional<std::string>(v->get<std::string>());
  }

  absl::StatusOr<std::string> ReqString(const Json& obj, const std::string& path,
                                        std::string_view key) const {
    LEPTON_ASSIGN_OR_RETURN(std::optional<std::string> s, OptString(obj, path, key));
    if (!s) return Error(ChildPath(path, key), "missing (expected a string)");
    if (s->empty()) return Error(ChildPath(path, key), "expected a non-empty string");
    return *s;
  }

  absl::StatusOr<std::optional<bool>> OptBool(const Json& obj, const std::string& path,
                                              std::string_view key) const {
    const Json* v = Find(obj, key);
    if (v == nullptr) return std::optional<bool>();
    if (!v->is_boolean()) {
      return Error(ChildPath(path, key), StrCat("expected true or false, got ", Describe(*v)));
    }
    return std::optional<bool>(v->get<bool>());
  }

  absl::StatusOr<std::optional<double>> OptNumber(const Json& obj, const std::string& path,
                                                  std::string_view key) const {
    const Json* v = Find(obj, key);
    if (v == nullptr) return std::optional<double>();
    if (!v->is_number()) {
      return Error(ChildPath(path, key), StrCat("expected a number, got ", Describe(*v)));
    }
    return std::optional<double>(v->get<double>());
  }

  // A list of non-empty strings; a single string is accepted as a list of one.
  absl::StatusOr<std::optional<std::vector<std::string>>> OptStringList(
      const Json& obj, const std::string& path, std::string_view key) const {
    const Json* v = Find(obj, key);
    if (v == nullptr) return std::optional<std::vector<std::string>>();
    const std::string p = ChildPath(path, key);
    std::vector<std::string> out;
    if (v->is_string()) {
      out.push_back(v->get<std::string>());
    } else if (v->is_array()) {
      for (size_t i = 0; i < v->size(); ++i) {
        if (!(*v)[i].is_string()) {
          return Error(IndexPath(p, i), StrCat("expected a column name, got ", Describe((*v)[i])));
        }
        out.push_back((*v)[i].get<std::string>());
      }
    } else {
      return Error(p, StrCat("expected a list of column names, got ", Describe(*v)));
    }
    if (out.empty()) return Error(p, "expected at least one column name");
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i].empty()) return Error(IndexPath(p, i), "expected a non-empty column name");
    }
    return std::optional<std::vector<std::string>>(std::move(out));
  }

  absl::StatusOr<std::vector<std::string>> ReqStringList(const Json& obj, const std::string& path,
                                                         std::string_view key) const {
    LEPTON_ASSIGN_OR_RETURN(auto list, OptStringList(obj, path, key));
    if (!list) return Error(ChildPath(path, key), "missing (expected a list of column names)");
    return *list;
  }

  template <typename E>
  absl::StatusOr<E> Enum(const Json& obj, const std::string& path, std::string_view key,
                         std::initializer_list<std::pair<std::string_view, E>> values,
                         std::optional<E> default_value) const {
    std::vector<std::string_view> names;
    for (const auto& [name, e] : values) names.push_back(name);
    const Json* v = Find(obj, key);
    if (v == nullptr) {
      if (default_value) return *default_value;
      return Error(ChildPath(path, key),
                   StrCat("missing (expected one of: ", StrJoin(names, ", "), ")"));
    }
    if (v->is_string()) {
      for (const auto& [name, e] : values) {
        if (v->get<std::string>() == name) return e;
      }
    }
    return Error(ChildPath(path, key), StrCat("expected one of: ", StrJoin(names, ", "),
                                              "; got ", Describe(*v)));
  }

  absl::StatusOr<DedupRule> ParseDedup(const Json& o, const std::string& p) const {
    LEPTON_RETURN_IF_ERROR(CheckKeys(o, p, {"keys", "keep"}));
    DedupRule r;
    LEPTON_ASSIGN_OR_RETURN(auto keys, OptStringList(o, p, "keys"));
    if (keys) r.keys = std::move(*keys);
    LEPTON_ASSIGN_OR_RETURN(r.keep, Enum<Keep>(o, p, "keep", {{"first", Keep::kFirst}, {"last", Keep::kLast}},
                                               Keep::kFirst));
    return r;
  }

  absl::StatusOr<MissingRule> ParseMissing(const Json& o, const std::string& p) const {
    LEPTON_RETURN_IF_ERROR(CheckKeys(o, p, {"columns", "strategy", "value", "indicator"}));
    MissingRule r;
    LEPTON_ASSIGN_OR_RETURN(r.columns, ReqStringList(o, p, "columns"));
    LEPTON_ASSIGN_OR_RETURN(
        r.strategy, Enum<MissingStrategy>(o, p, "strategy",
                                          {{"drop", MissingStrategy::kDrop},
                                           {"constant", MissingStrategy::kConstant},
                                           {"mean", MissingStrategy::kMean},
                                           {"median", MissingStrategy::kMedian},
                                           {"mode", MissingStrategy::kMode}},
                                          std::nullopt));
    const Json* value = Find(o, "value");
    if (r.strategy == MissingStrategy::kConstant) {
      if (value == nullptr) return Error(ChildPath(p, "value"), "missing (strategy constant needs a fill value)");
      if (value->is_object() || value->is_array()) {
        return Error(ChildPath(p, "value"), StrCat("expected a scalar, got ", Describe(*value)));
      }
      r.value = *value;
    } else if (value != nullptr) {
      return Error(ChildPath(p, "value"), "only allowed with strategy constant");
    }
    LEPTON_ASSIGN_OR_RETURN(std::optional<bool> indicator, OptBool(o, p, "indicator"));
    r.indicator = indicator.value_or(false);
    if (r.indicator && r.strategy == MissingStrategy::kDrop) {
      return Error(ChildPath(p, "indicator"), "not allowed with strategy drop (no rows keep a null)");
    }
    return r;
  }

  absl::StatusOr<OutlierRule> ParseOutliers(const Json& o, const std::string& p) const {
    LEPTON_RETURN_IF_ERROR(CheckKeys(o, p, {"columns", "method", "k", "threshold", "action"}));
    OutlierRule r;
    LEPTON_ASSIGN_OR_RETURN(r.columns, ReqStringList(o, p, "columns"));
    LEPTON_ASSIGN_OR_RETURN(r.method, Enum<OutlierMethod>(o, p, "method",
                                                          {{"iqr", OutlierMethod::kIqr},
                                                           {"zscore", OutlierMethod::kZScore}},
                                                          OutlierMethod::kIqr));
    LEPTON_ASSIGN_OR_RETURN(std::optional<double> k, OptNumber(o, p, "k"));
    LEPTON_ASSIGN_OR_RETURN(std::optional<double> threshold, OptNumber(o, p, "threshold"));
    if (k) {
      if (r.method != OutlierMethod::kIqr) return Error(ChildPath(p, "k"), "only allowed with method iqr");
      if (!(*k > 0) || !std::isfinite(*k)) return Error(ChildPath(p, "k"), "expected a positive number");
      r.k = *k;
    }
    if (threshold) {
      if (r.method != OutlierMethod::kZScore) {
        return Error(ChildPath(p, "threshold"), "only allowed with method zscore");
      }
      if (!(*threshold > 0) || !std::isfinite(*threshold)) {
        return Error(ChildPath(p, "threshold"), "expected a positive number");
      }
      r.threshold = *threshold;
    }
    LEPTON_ASSIGN_OR_RETURN(r.action, Enum<OutlierAction>(o, p, "action",
                                                          {{"clip", OutlierAction::kClip},
                                                           {"drop", OutlierAction::kDrop},
                                                           {"flag", OutlierAction::kFlag}},
                                                          std::nullopt));
    return r;
  }

  absl::StatusOr<CoerceRule> ParseCoerce(const Json& o, const std::string& p) const {
    LEPTON_RETURN_IF_ERROR(CheckKeys(o, p, {"column", "type"}));
    CoerceRule r;
    LEPTON_ASSIGN_OR_RETURN(r.column, ReqString(o, p, "column"));
    LEPTON_ASSIGN_OR_RETURN(std::string type, ReqString(o, p, "type"));
    auto parsed = ParseDataType(type);
    if (!parsed.ok()) return Error(ChildPath(p, "type"), ToStd(parsed.status().message()));
    r.type = *parsed;
    return r;
  }

  absl::StatusOr<StringsRule> ParseStrings(const Json& o, const std::string& p) const {
    LEPTON_RETURN_IF_ERROR(CheckKeys(o, p, {"columns", "trim", "case", "normalize"}));
    StringsRule r;
    LEPTON_ASSIGN_OR_RETURN(r.columns, ReqStringList(o, p, "columns"));
    LEPTON_ASSIGN_OR_RETURN(std::optional<bool> trim, OptBool(o, p, "trim"));
    r.trim = trim.value_or(false);
    LEPTON_ASSIGN_OR_RETURN(r.case_mode, Enum<CaseMode>(o, p, "case",
                                                        {{"none", CaseMode::kNone},
                                                         {"lower", CaseMode::kLower},
                                                         {"upper", CaseMode::kUpper}},
                                                        CaseMode::kNone));
    LEPTON_ASSIGN_OR_RETURN(r.normalize, Enum<NormalForm>(o, p, "normalize",
                                                          {{"none", NormalForm::kNone},
                                                           {"nfc", NormalForm::kNfc},
                                                           {"nfd", NormalForm::kNfd},
                                                           {"nfkc", NormalForm::kNfkc},
                                                           {"nfkd", NormalForm::kNfkd}},
                                                          NormalForm::kNone));
    if (!r.trim && r.case_mode == CaseMode::kNone && r.normalize == NormalForm::kNone) {
      return Error(p, "nothing to do (expected at least one of trim: true, case, normalize)");
    }
    return r;
  }

  absl::StatusOr<ConstraintRule> ParseConstraint(const Json& o, const std::string& p) const {
    LEPTON_RETURN_IF_ERROR(
        CheckKeys(o, p, {"column", "range", "allowed", "regex", "allow_null", "action"}));
    ConstraintRule r;
    LEPTON_ASSIGN_OR_RETURN(r.column, ReqString(o, p, "column"));
    if (const Json* range = Find(o, "range")) {
      const std::string rp = ChildPath(p, "range");
      if (!range->is_array() || range->size() != 2) {
        return Error(rp, StrCat("expected [min, max] (numbers, null for an open end), got ",
                                Describe(*range)));
      }
      for (size_t i = 0; i < 2; ++i) {
        const Json& b = (*range)[i];
        if (b.is_null()) continue;
        if (!b.is_number()) {
          return Error(IndexPath(rp, i), StrCat("expected a number or null, got ", Describe(b)));
        }
        (i == 0 ? r.min : r.max) = b.get<double>();
      }
      if (r.min && r.max && *r.min > *r.max) return Error(rp, "min is greater than max");
      r.has_range = true;
    }
    if (const Json* allowed = Find(o, "allowed")) {
      const std::string ap = ChildPath(p, "allowed");
      if (!allowed->is_array() || allowed->empty()) {
        return Error(ap, StrCat("expected a non-empty list of values, got ", Describe(*allowed)));
      }
      for (size_t i = 0; i < allowed->size(); ++i) {
        const Json& v = (*allowed)[i];
        if (v.is_object() || v.is_array() || v.is_null()) {
          return Error(IndexPath(ap, i), StrCat("expected a scalar value, got ", Describe(v)));
        }
        r.allowed.push_back(v);
      }
    }
    LEPTON_ASSIGN_OR_RETURN(r.regex, OptString(o, p, "regex"));
    if (r.regex) {
      try {
        std::regex re(*r.regex, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return Error(ChildPath(p, "regex"), StrCat("invalid regular expression: ", e.what()));
      }
    }
    LEPTON_ASSIGN_OR_RETURN(std::optional<bool> allow_null, OptBool(o, p, "allow_null"));
    r.allow_null = allow_null.value_or(true);
    if (!r.has_range && r.allowed.empty() && !r.regex && r.allow_null) {
      return Error(p, "nothing to check (expected at least one of range, allowed, regex, "
                      "allow_null: false)");
    }
    LEPTON_ASSIGN_OR_RETURN(r.action, Enum<ViolationAction>(o, p, "action",
                                                            {{"drop", ViolationAction::kDrop},
                                                             {"quarantine", ViolationAction::kQuarantine}},
                                                            ViolationAction::kDrop));
    return r;
  }

  const LineMap* lines_;
};

std::string_view KeepName(Keep k) { return k == Keep::kFirst ? "first" : "last"; }
std::string_view StrategyName(MissingStrategy s) {
  switch (s) {
    case MissingStrategy::kDrop: return "drop";
    case MissingStrategy::kConstant: return "constant";
    case MissingStrategy::kMean: return "mean";
    case MissingStrategy::kMedian: return "median";
    case MissingStrategy::kMode: return "mode";
  }
  return "";
}
std::string_view OutlierActionName(OutlierAction a) {
  switch (a) {
    case OutlierAction::kClip: return "clip";
    case OutlierAction::kDrop: return "drop";
    case OutlierAction::kFlag: return "flag";
  }
  return "";
}
std::string_view CaseName(CaseMode c) {
  switch (c) {
    case CaseMode::kNone: return "none";
    case CaseMode::kLower: return "lower";
    case CaseMode::kUpper: return "upper";
  }
  return "";
}
std::string_view NormalFormName(NormalForm n) {
  switch (n) {
    case NormalForm::kNone: return "none";
    case NormalForm::kNfc: return "nfc";
    case NormalForm::kNfd: return "nfd";
    case NormalForm::kNfkc: return "nfkc";
    case NormalForm::kNfkd: return "nfkd";
  }
  return "";
}

Json RuleToJson(const Rule& rule) {
  Json o = Json::object();
  switch (rule.kind()) {
    case RuleKind::kDedup: {
      const auto& r = std::get<DedupRule>(rule.spec);
      if (!r.keys.empty()) o["keys"] = r.keys;
      o["keep"] = KeepName(r.keep);
      break;
    }
    case RuleKind::kMissing: {
      const auto& r = std::get<MissingRule>(rule.spec);
      o["columns"] = r.columns;
      o["strategy"] = StrategyName(r.strategy);
      if (r.strategy == MissingStrategy::kConstant) o["value"] = r.value;
      o["indicator"] = r.indicator;
      break;
    }
    case RuleKind::kOutliers: {
      const auto& r = std::get<OutlierRule>(rule.spec);
      o["columns"] = r.columns;
      if (r.method == OutlierMethod::kIqr) {
        o["method"] = "iqr";
        o["k"] = r.k;
      } else {
        o["method"] = "zscore";
        o["threshold"] = r.threshold;
      }
      o["action"] = OutlierActionName(r.action);
      break;
    }
    case RuleKind::kCoerce: {
      const auto& r = std::get<CoerceRule>(rule.spec);
      o["column"] = r.column;
      o["type"] = DataTypeName(r.type);
      break;
    }
    case RuleKind::kStrings: {
      const auto& r = std::get<StringsRule>(rule.spec);
      o["columns"] = r.columns;
      o["trim"] = r.trim;
      o["case"] = CaseName(r.case_mode);
      o["normalize"] = NormalFormName(r.normalize);
      break;
    }
    case RuleKind::kConstraint: {
      const auto& r = std::get<ConstraintRule>(rule.spec);
      o["column"] = r.column;
      if (r.has_range) {
        o["range"] = Json::array({r.min ? Json(*r.min) : Json(nullptr),
                                  r.max ? Json(*r.max) : Json(nullptr)});
      }
      if (!r.allowed.empty()) o["allowed"] = r.allowed;
      if (r.regex) o["regex"] = *r.regex;
      o["allow_null"] = r.allow_null;
      o["action"] = r.action == ViolationAction::kDrop ? "drop" : "quarantine";
      break;
    }
  }
  return Json{{std::string(RuleKindName(rule.kind())), o}};
}

}  // namespace

std::string_view RuleKindName(RuleKind kind) {
  switch (kind) {
    case RuleKind::kDedup: return "dedup";
    case RuleKind::kMissing: return "missing";
    case RuleKind::kOutliers: return "outliers";
    case RuleKind::kCoerce: return "coerce";
    case RuleKind::kStrings: return "strings";
    case RuleKind::kConstraint: return "constraint";
  }
  return "unknown";
}

absl::StatusOr<CleaningPlan> ParsePlanJson(const Json& json) { return PlanParser(nullptr).Parse(json); }

absl::StatusOr<CleaningPlan> ParsePlan(std::string_view text) {
  const std::string_view stripped = StripWhitespace(text);
  absl::Status json_error;
  if (!stripped.empty() && (stripped[0] == '{' || stripped[0] == '[')) {
    auto json = ParseJson(text);
    if (json.ok()) return ParsePlanJson(*json);
    json_error = json.status();  // maybe YAML flow style: try that before giving up
  }
  LineMap lines;
  Json root;
  try {
    const YAML::Node node = YAML::Load(std::string(text));
    root = YamlToJson(node, "", lines);
  } catch (const YAML::Exception& e) {
    if (!json_error.ok()) return json_error;
    return absl::InvalidArgumentError(StrCat("malformed YAML: ", e.what()));
  }
  return PlanParser(&lines).Parse(root);
}

Json PlanToJson(const CleaningPlan& plan) {
  Json rules = Json::array();
  for (const Rule& r : plan.rules) rules.push_back(RuleToJson(r));
  return Json{{"rules", rules}};
}

}  // namespace lepton::lake::clean
