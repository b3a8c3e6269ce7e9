#include "lepton/registry/model_card.h"

#include <algorithm>
#include <vector>

#include "lepton/base/strings.h"

namespace lepton::registry {
namespace {

struct Editable {
  const char* name;
  enum Kind { kText, kStrings, kChoice } kind;
  std::vector<std::string> choices;
  const char* fallback;
};

const std::vector<Editable>& EditableFields() {
  static const auto* fields = new std::vector<Editable>{
      {"intended_use", Editable::kText, {}, ""},
      {"out_of_scope_uses", Editable::kText, {}, ""},
      {"limitations", Editable::kText, {}, ""},
      {"ethical_considerations", Editable::kText, {}, ""},
      {"caveats", Editable::kText, {}, ""},
      {"owners", Editable::kStrings, {}, ""},
      {"risk_rating", Editable::kChoice, {"high", "medium", "low", "unknown"}, "unknown"},
      {"status", Editable::kChoice, {"draft", "pending_review", "approved", "archived"}, "draft"},
  };
  return *fields;
}

const Editable* FindEditable(std::string_view name) {
  for (const Editable& e : EditableFields()) {
    if (name == e.name) return &e;
  }
  return nullptr;
}

Json Get(const Json& j, const char* key) {
  return j.is_object() && j.contains(key) ? j[key] : Json();
}

std::string Fmt(const Json& v) {
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", v.get<double>());
    return buf;
  }
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "–";
  return v.dump();
}

}  // namespace

Json BuildCard(const CardSource& s, const Json& edits) {
  const Json& manifest = s.manifest;
  const Json& metrics = s.metrics;
  Json card = {{"model", s.model},
               {"version", s.version},
               {"description", s.description},
               {"flavor", Get(manifest, "flavor")},
               {"task", Get(manifest, "task")},
               {"target", Get(manifest, "target")},
               {"classes", Get(manifest, "classes")},
               {"threshold", Get(manifest, "threshold")},
               {"run_id", Get(manifest, "run_id")},
               {"created_by", Get(manifest, "created_by")},
               {"created_at", Get(manifest, "created_at")},
               {"registered_by", s.created_by},
               {"registered_at", s.created_at}};
  const Json lineage = Get(manifest, "lineage");
  card["training_data"] = {{"dataset", Get(lineage, "dataset")},       {"version", Get(lineage, "version")},
                           {"digest", Get(lineage, "digest")},         {"rows", Get(lineage, "rows")},
                           {"train_rows", Get(lineage, "train_rows")}, {"test_rows", Get(lineage, "test_rows")},
                           {"label_balance", Get(lineage, "label_balance")}, {"split", Get(lineage, "split")}};
  card["features"] = Get(manifest, "input_signature").is_array() ? Get(manifest, "input_signature") : Json::array();
  // Test metrics, each with its bootstrap interval when the training computed one.
  Json m = Json::object();
  const Json summary = Get(metrics, "summary");
  const Json bootstrap = Get(metrics, "bootstrap");
  if (summary.is_object()) {
    for (auto it = summary.begin(); it != summary.end(); ++it) {
      Json entry = {{"value", *it}};
      const Json ci = Get(bootstrap, it.key().c_str());
      if (ci.is_object()) {
        entry["ci_lower"] = Get(ci, "lower");
        entry["ci_upper"] = Get(ci, "upper");
        entry["confidence"] = Get(ci, "confidence");
      }
      m[it.key()] = entry;
    }
  }
  card["metrics"] = m;
  const Json cv = Get(metrics, "cv");
  if (cv.is_object()) {
    card["cross_validation"] = {{"folds", Get(cv, "folds")}, {"metric", Get(cv, "metric")},
                                {"best_params", Get(cv, "best_params")}, {"best_score", Get(cv, "best_score")}};
  }
  Json fairness = Json::object();
  const Json slices = Get(metrics, "slices");
  if (slices.is_object()) {
    for (auto it = slices.begin(); it != slices.end(); ++it) {
      Json rows = Json::array();
      for (const Json& sl : Get(*it, "slices")) {
        rows.push_back({{"slice", Get(sl, "key")}, {"rows", Get(sl, "rows")}, {"auc", Get(sl, "auc")},
                        {"positive_rate", Get(sl, "positive_rate")}});
      }
      fairness[it.key()] = {{"gaps", Get(*it, "gaps")}, {"slices", rows}};
    }
  }
  card["fairness"] = fairness;
  const Json importance = Get(metrics, "permutation_importance");
  if (importance.is_object() && importance.contains("columns")) {
    Json top = Json::array();
    for (const Json& c : importance["columns"]) {
      if (top.size() >= 10) break;
      top.push_back({{"column", Get(c, "column")}, {"mean", Get(c, "mean")}, {"std", Get(c, "std")}});
    }
    card["importance"] = {{"metric", Get(importance, "metric")}, {"top", top}};
  }
  for (const Editable& e : EditableFields()) {
    if (edits.is_object() && edits.contains(e.name)) {
      card[e.name] = edits[e.name];
    } else {
      card[e.name] = e.kind == Editable::kStrings ? Json::array() : Json(std::string(e.fallback));
    }
  }
  return card;
}

absl::StatusOr<Json> ApplyCardEdits(const Json& current, const Json& changes) {
  if (!changes.is_object()) return absl::InvalidArgumentError("card: expected an object of editable fields");
  Json out = current.is_object() ? current : Json::object();
  for (auto it = changes.begin(); it != changes.end(); ++it) {
    const Editable* e = FindEditable(it.key());
    if (e == nullptr) {
      std::vector<std::string> names;
      for (const Editable& f : EditableFields()) names.push_back(f.name);
      return absl::InvalidArgumentError(StrCat("card.", it.key(), ": not an editable field (editable: ",
                                               StrJoin(names, ", "), "; the rest is generated from the bundle)"));
    }
    const Json& v = *it;
    switch (e->kind) {
      case Editable::kText:
        if (!v.is_string() || v.get<std::string>().size() > 20000) {
          return absl::InvalidArgumentError(StrCat("card.", e->name, ": expected a string of at most 20000 bytes"));
        }
        break;
      case Editable::kStrings:
        if (!v.is_array() || !std::all_of(v.begin(), v.end(), [](const Json& x) { return x.is_string(); })) {
          return absl::InvalidArgumentError(StrCat("card.", e->name, ": expected an array of strings"));
        }
        break;
      case Editable::kChoice:
        if (!v.is_string() || std::find(e->choices.begin(), e->choices.end(), v.get<std::string>()) == e->choices.end()) {
          return absl::InvalidArgumentError(StrCat("card.", e->name, ": expected one of ", StrJoin(e->choices, ", ")));
        }
        break;
    }
    out[it.key()] = v;
  }
  return out;
}

std::string CardMarkdown(const Json& card) {
  std::string md = StrCat("# Model card: ", Fmt(Get(card, "model")), " version ", Fmt(Get(card, "version")), "\n\n");
  if (!Fmt(Get(card, "description")).empty()) md += Fmt(Get(card, "description")) + "\n\n";
  md += StrCat("- Flavor: ", Fmt(Get(card, "flavor")), "; task: ", Fmt(Get(card, "task")), "; target: ",
               Fmt(Get(card, "target")), "\n- Status: ", Fmt(Get(card, "status")), "; risk rating: ",
               Fmt(Get(card, "risk_rating")), "\n- Owners: ",
               Get(card, "owners").empty() ? std::string("–") : StrJoin(Get(card, "owners").get<std::vector<std::string>>(), ", "),
               "\n- Registered by ", Fmt(Get(card, "registered_by")), " at ", Fmt(Get(card, "registered_at")),
               "; training run ", Fmt(Get(card, "run_id")), "\n\n");
  for (const char* section : {"intended_use", "out_of_scope_uses", "limitations", "ethical_considerations", "caveats"}) {
    std::string title = section;
    std::replace(title.begin(), title.end(), '_', ' ');
    title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
    const std::string text = Fmt(Get(card, section));
    md += StrCat("## ", title, "\n\n", text.empty() ? "_(not filled in)_" : text, "\n\n");
  }
  const Json data = Get(card, "training_data");
  md += StrCat("## Training data\n\n- Dataset: ", Fmt(Get(data, "dataset")), " version ", Fmt(Get(data, "version")),
               " (digest ", Fmt(Get(data, "digest")), ")\n- Rows: ", Fmt(Get(data, "rows")), " (train ",
               Fmt(Get(data, "train_rows")), ", test ", Fmt(Get(data, "test_rows")), ")\n- Split: ",
               Fmt(Get(data, "split")), "\n- Label balance: ", Fmt(Get(data, "label_balance")), "\n\n");
  md += "## Features\n\n";
  for (const Json& f : Get(card, "features")) md += StrCat("- ", Fmt(Get(f, "name")), " (", Fmt(Get(f, "type")), ")\n");
  md += "\n## Test metrics\n\n| metric | value | 95% interval |\n|---|---|---|\n";
  const Json metrics = Get(card, "metrics");
  for (auto it = metrics.begin(); it != metrics.end(); ++it) {
    const std::string ci = it->contains("ci_lower") ? StrCat(Fmt((*it)["ci_lower"]), " – ", Fmt((*it)["ci_upper"])) : "";
    md += StrCat("| ", it.key(), " | ", Fmt(Get(*it, "value")), " | ", ci, " |\n");
  }
  const Json fairness = Get(card, "fairness");
  if (fairness.is_object() && !fairness.empty()) {
    md += "\n## Fairness slices\n";
    for (auto it = fairness.begin(); it != fairness.end(); ++it) {
      md += StrCat("\n### ", it.key(), "\n\n| slice | rows | auc | positive rate |\n|---|---|---|---|\n");
      for (const Json& s : Get(*it, "slices")) {
        md += StrCat("| ", Fmt(Get(s, "slice")), " | ", Fmt(Get(s, "rows")), " | ", Fmt(Get(s, "auc")), " | ",
                     Fmt(Get(s, "positive_rate")), " |\n");
      }
      const Json gaps = Get(*it, "gaps");
      for (auto g = gaps.begin(); g != gaps.end(); ++g) md += StrCat("\n- ", g.key(), " gap: ", Fmt(Get(*g, "value")));
      md += "\n";
    }
  }
  const Json importance = Get(card, "importance");
  if (importance.is_object()) {
    md += StrCat("\n## Most important inputs (permutation, ", Fmt(Get(importance, "metric")), ")\n\n");
    for (const Json& c : Get(importance, "top")) md += StrCat("- ", Fmt(Get(c, "column")), ": ", Fmt(Get(c, "mean")), "\n");
  }
  return md;
}

}  // namespace lepton::registry
