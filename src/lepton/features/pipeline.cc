#include "lepton/features/pipeline.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/features/internal/json_util.h"
#include "lepton/features/internal/steps.h"

namespace lepton::features {
namespace internal {

namespace {
Kind KindOf(lake::DataType t) {
  switch (t) {
    case lake::DataType::kString:
      return Kind::kString;
    case lake::DataType::kDate:
    case lake::DataType::kTimestamp:
      return Kind::kTime;
    default:
      return Kind::kNumeric;
  }
}
}  // namespace

// One input column and its steps. Immutable once fitted.
class Chain {
 public:
  std::string column;
  lake::DataType type = lake::DataType::kDouble;
  std::string path;  // spec path of the column's steps, for error messages
  std::vector<std::unique_ptr<Step>> steps;
  Kind input_kind = Kind::kNumeric;
  bool indicator = false;
  const Step* terminal = nullptr;
  std::vector<std::string> names;  // outputs: the terminal's (or one) then the indicator
  size_t main_width = 0;           // outputs before the indicator

  // Makes the chain's steps and checks that each takes what the one before yields.
  static absl::StatusOr<std::unique_ptr<Chain>> Build(std::string column, lake::DataType type,
                                                      const Json& step_configs,
                                                      const std::string& path,
                                                      bool saved_form) {
    auto c = std::make_unique<Chain>();
    c->column = std::move(column);
    c->type = type;
    c->path = path;
    c->input_kind = KindOf(type);
    Kind kind = c->input_kind;
    for (size_t j = 0; j < step_configs.size(); ++j) {
      const std::string sp = StrCat(path, "[", j, "]");
      const Json& config = saved_form ? step_configs[j]["config"] : step_configs[j];
      LEPTON_ASSIGN_OR_RETURN(std::unique_ptr<Step> step,
                              MakeStep(config, saved_form ? sp + ".config" : sp));
      if (c->terminal != nullptr) {
        return absl::InvalidArgumentError(StrCat(sp, ": no step may follow \"",
                                                 c->terminal->type(), "\", which must be last"));
      }
      if (!step->Takes(kind)) {
        return absl::InvalidArgumentError(
            StrCat(sp, ": \"", step->type(), "\" needs ", step->takes(), ", but column \"",
                   c->column, "\" is ", KindName(kind), " here (", lake::DataTypeName(type),
                   " in the data)"));
      }
      if (AddsMissingIndicator(*step)) {
        if (c->indicator) {
          return absl::InvalidArgumentError(
              StrCat(sp, ": only one impute step per column may add an indicator"));
        }
        c->indicator = true;
      }
      kind = step->Yields(kind);
      if (step->terminal()) c->terminal = step.get();
      c->steps.push_back(std::move(step));
    }
    if (c->terminal == nullptr && kind != Kind::kNumeric) {
      return absl::InvalidArgumentError(
          StrCat(path, ": column \"", c->column, "\" is ", KindName(kind),
                 kind == Kind::kString
                     ? "; its steps must end with an encoder (one_hot, ordinal, woe, tfidf or "
                       "hash)"
                     : "; its steps must end with date_parts"));
    }
    return c;
  }

  bool needs_target() const {
    return std::any_of(steps.begin(), steps.end(),
                       [](const auto& s) { return s->needs_target(); });
  }
  bool sparse() const { return terminal != nullptr && terminal->sparse(); }

  // Sets the output names once fitted or loaded.
  void Finalize() {
    if (terminal != nullptr) {
      names = terminal->OutputNames(column);
    } else {
      std::string name = column;
      for (const auto& s : steps) {
        if (s->type() == "woe" || s->type() == "ordinal") name = StrCat(column, ":", s->type());
      }
      names = {name};
    }
    main_width = names.size();
    if (indicator) names.push_back(StrCat(column, ":missing"));
  }

  // Reads `col` into `v`.
  void Load(const lake::Column& col, Values* v) const {
    const int64_t n = col.size();
    v->kind = input_kind;
    v->num.clear();
    v->str.clear();
    v->present.clear();
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    auto fill = [&](auto span, double scale) {
      v->num.resize(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) {
        v->num[static_cast<size_t>(i)] =
            col.IsValid(i) ? static_cast<double>(span[static_cast<size_t>(i)]) * scale : kNaN;
      }
    };
    switch (col.type()) {
      case lake::DataType::kBool:
        fill(col.Values<uint8_t>(), 1.0);
        break;
      case lake::DataType::kInt32:
        fill(col.Values<int32_t>(), 1.0);
        break;
      case lake::DataType::kInt64:
      case lake::DataType::kTimestamp:
        fill(col.Values<int64_t>(), 1.0);
        break;
      case lake::DataType::kFloat:
        fill(col.Values<float>(), 1.0);
        break;
      case lake::DataType::kDouble:
        fill(col.Values<double>(), 1.0);
        break;
      case lake::DataType::kDate:
        fill(col.Values<int32_t>(), 86400.0 * 1e6);
        break;
      case lake::DataType::kString:
        v->str.resize(static_cast<size_t>(n));
        v->present.resize(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
          const bool ok = col.IsValid(i);
          v->present[static_cast<size_t>(i)] = ok;
          v->str[static_cast<size_t>(i)] = ok ? col.StringAt(i) : std::string_view();
        }
        break;
    }
  }

  // Missing flags of `v` (for the indicator).
  static void MissingOf(const Values& v, std::vector<uint8_t>* missing) {
    missing->resize(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      (*missing)[i] = v.kind == Kind::kString ? !v.present[i] : std::isnan(v.num[i]);
    }
  }

  absl::Status Fit(const lake::Column& col, std::span<const double> target) {
    Values v;
    Load(col, &v);
    for (const auto& step : steps) {
      LEPTON_RETURN_IF_ERROR(step->Fit(v, step->needs_target() ? target : std::span<const double>(),
                                       column));
      if (!step->terminal()) step->Apply(&v);
    }
    Finalize();
    return absl::OkStatus();
  }

  // Runs the non-terminal steps over `col`, leaving the values for the terminal (or output) in
  // `v` and the indicator's flags in `missing`.
  void Run(const lake::Column& col, Values* v, std::vector<uint8_t>* missing) const {
    Load(col, v);
    for (const auto& step : steps) {
      if (indicator && AddsMissingIndicator(*step)) MissingOf(*v, missing);
      if (!step->terminal()) step->Apply(v);
    }
  }

  // Dense outputs (all of them, or only the indicator for a sparse chain) from column `out`.
  void WriteDense(const Values& v, const std::vector<uint8_t>& missing, float* out,
                  size_t stride) const {
    size_t at = 0;
    if (!sparse()) {
      if (terminal != nullptr) {
        terminal->WriteDense(v, out, stride);
      } else {
        for (size_t r = 0; r < v.num.size(); ++r) out[r * stride] = static_cast<float>(v.num[r]);
      }
      at = main_width;
    }
    if (indicator) {
      for (size_t r = 0; r < v.size(); ++r) out[r * stride + at] = missing[r] ? 1.0f : 0.0f;
    }
  }
  size_t dense_width() const { return sparse() ? (indicator ? 1 : 0) : names.size(); }
};

}  // namespace internal

using internal::Chain;
using internal::Kind;
using internal::KindOf;
using internal::Params;

namespace {

constexpr std::string_view kFormat = "lepton.features.pipeline/1";

// The spec of one explicit column rule, after validation.
struct ColumnRule {
  std::string name;
  Json steps;
  std::string steps_path;
};

struct AutoRule {
  bool present = false;
  std::set<std::string, std::less<>> exclude;
  std::optional<Json> numeric, boolean, string, date;
  std::string path;
};

struct ParsedSpec {
  std::vector<ColumnRule> columns;
  AutoRule auto_rule;
};

// Validates an array of step objects (each step's parameters and the position of terminal
// steps; kinds are checked at `Fit`, when the column types are known).
absl::Status ValidateSteps(const Json& steps, const std::string& path) {
  if (!steps.is_array()) {
    return absl::InvalidArgumentError(
        StrCat(path, ": expected an array of step objects, got ", steps.type_name()));
  }
  for (size_t j = 0; j < steps.size(); ++j) {
    const std::string sp = StrCat(path, "[", j, "]");
    LEPTON_ASSIGN_OR_RETURN(auto step, internal::MakeStep(steps[j], sp));
    if (step->terminal() && j + 1 < steps.size()) {
      return absl::InvalidArgumentError(StrCat(path, "[", j + 1, "]: no step may follow \"",
                                               step->type(), "\", which must be last"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ParsedSpec> ParseSpec(const Json& spec, const std::string& path) {
  Params top(spec, path);
  std::optional<Json> columns = top.OptionalValue("columns");
  std::optional<Json> auto_json = top.OptionalValue("auto");
  LEPTON_RETURN_IF_ERROR(top.Finish());
  if (!columns && !auto_json) {
    return absl::InvalidArgumentError(
        StrCat(path, ": expected \"columns\" (a list of column rules) and/or \"auto\""));
  }
  ParsedSpec out;
  std::map<std::string, std::string, std::less<>> listed;  // column -> its rule's path
  if (columns) {
    const std::string cp = top.PathOf("columns");
    if (!columns->is_array()) {
      return absl::InvalidArgumentError(
          StrCat(cp, ": expected an array of column rules, got ", columns->type_name()));
    }
    for (size_t i = 0; i < columns->size(); ++i) {
      const std::string rp = StrCat(cp, "[", i, "]");
      Params r((*columns)[i], rp);
      std::optional<std::string> name = r.OptionalString("name");
      std::optional<std::vector<std::string>> names = r.OptionalStringArray("names");
      std::optional<Json> steps = r.OptionalValue("steps");
      if (r.ok()) {
        if (name && names) r.Fail("names", "give either \"name\" or \"names\", not both");
        if (!name && !names) r.Fail("name", "required field is missing (or give \"names\")");
        if (names && names->empty()) r.Fail("names", "expected at least one column name");
        if (!steps) r.Fail("steps", "required field is missing (use [] to pass a numeric "
                                    "column through)");
      }
      LEPTON_RETURN_IF_ERROR(r.Finish());
      LEPTON_RETURN_IF_ERROR(ValidateSteps(*steps, r.PathOf("steps")));
      std::vector<std::string> all = names ? *names : std::vector<std::string>{*name};
      for (size_t k = 0; k < all.size(); ++k) {
        const std::string np = names ? StrCat(r.PathOf("names"), "[", k, "]") : r.PathOf("name");
        if (all[k].empty()) {
          return absl::InvalidArgumentError(StrCat(np, ": expected a non-empty column name"));
        }
        auto [it, fresh] = listed.emplace(all[k], np);
        if (!fresh) {
          return absl::InvalidArgumentError(
              StrCat(np, ": column \"", all[k], "\" is already listed at ", it->second));
        }
        out.columns.push_back({all[k], *steps, r.PathOf("steps")});
      }
    }
  }
  if (auto_json) {
    AutoRule& a = out.auto_rule;
    a.present = true;
    a.path = top.PathOf("auto");
    Params ap(*auto_json, a.path);
    for (auto& e : ap.OptionalStringArray("exclude").value_or(std::vector<std::string>{})) {
      a.exclude.insert(std::move(e));
    }
    a.numeric = ap.OptionalValue("numeric");
    a.boolean = ap.OptionalValue("bool");
    a.string = ap.OptionalValue("string");
    a.date = ap.OptionalValue("date");
    LEPTON_RETURN_IF_ERROR(ap.Finish());
    if (a.numeric) LEPTON_RETURN_IF_ERROR(ValidateSteps(*a.numeric, ap.PathOf("numeric")));
    if (a.boolean) LEPTON_RETURN_IF_ERROR(ValidateSteps(*a.boolean, ap.PathOf("bool")));
    if (a.string) LEPTON_RETURN_IF_ERROR(ValidateSteps(*a.string, ap.PathOf("string")));
    if (a.date) LEPTON_RETURN_IF_ERROR(ValidateSteps(*a.date, ap.PathOf("date")));
  }
  return out;
}

bool Compatible(lake::DataType trained, lake::DataType given) {
  return KindOf(trained) == KindOf(given);
}

absl::Status CheckColumn(const Chain& c, const lake::Schema& schema, int* index) {
  *index = schema.Find(c.column);
  if (*index < 0) {
    return absl::InvalidArgumentError(
        StrCat("column \"", c.column, "\": missing from the input (the pipeline needs it as ",
               lake::DataTypeName(c.type), ")"));
  }
  const lake::DataType given = schema.field(static_cast<size_t>(*index)).type;
  if (!Compatible(c.type, given)) {
    return absl::InvalidArgumentError(
        StrCat("column \"", c.column, "\": expected ", internal::KindName(KindOf(c.type)),
               " (trained on ", lake::DataTypeName(c.type), "), got ",
               lake::DataTypeName(given)));
  }
  return absl::OkStatus();
}

}  // namespace

Pipeline::Pipeline() = default;
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;
Pipeline::~Pipeline() = default;

absl::StatusOr<Pipeline> Pipeline::Create(const Json& spec, std::string path) {
  LEPTON_RETURN_IF_ERROR(ParseSpec(spec, path).status());
  Pipeline p;
  p.spec_ = spec;
  p.path_ = std::move(path);
  return p;
}

absl::Status Pipeline::Fit(const lake::RecordBatch& rows, std::span<const double> target) {
  fitted_ = false;
  chains_.clear();
  inputs_.clear();
  output_columns_.clear();
  sparse_ = false;
  LEPTON_ASSIGN_OR_RETURN(ParsedSpec parsed, ParseSpec(spec_, path_));
  const lake::Schema& schema = rows.schema();

  std::vector<std::unique_ptr<Chain>> chains;
  for (const ColumnRule& rule : parsed.columns) {
    const int idx = schema.Find(rule.name);
    if (idx < 0) {
      return absl::InvalidArgumentError(
          StrCat(rule.steps_path, ": column \"", rule.name, "\" is not in the training rows"));
    }
    LEPTON_ASSIGN_OR_RETURN(
        auto chain, Chain::Build(rule.name, schema.field(static_cast<size_t>(idx)).type,
                                 rule.steps, rule.steps_path, /*saved_form=*/false));
    chains.push_back(std::move(chain));
  }
  if (parsed.auto_rule.present) {
    const AutoRule& a = parsed.auto_rule;
    std::set<std::string, std::less<>> listed;
    for (const ColumnRule& rule : parsed.columns) listed.insert(rule.name);
    for (const lake::Field& f : schema.fields()) {
      if (listed.contains(f.name) || a.exclude.contains(f.name)) continue;
      const std::optional<Json>* steps = nullptr;
      std::string key;
      switch (KindOf(f.type)) {
        case Kind::kString:
          steps = &a.string;
          key = "string";
          break;
        case Kind::kTime:
          steps = &a.date;
          key = "date";
          break;
        case Kind::kNumeric:
          if (f.type == lake::DataType::kBool && a.boolean) {
            steps = &a.boolean;
            key = "bool";
          } else {
            steps = &a.numeric;
            key = "numeric";
          }
          break;
      }
      if (!steps->has_value()) continue;
      LEPTON_ASSIGN_OR_RETURN(auto chain, Chain::Build(f.name, f.type, **steps,
                                                       StrCat(a.path, ".", key), false));
      chains.push_back(std::move(chain));
    }
  }

  const bool needs_target = std::any_of(chains.begin(), chains.end(),
                                        [](const auto& c) { return c->needs_target(); });
  if (needs_target) {
    if (target.size() != static_cast<size_t>(rows.num_rows())) {
      return absl::InvalidArgumentError(
          StrCat("target: expected one 0/1 value per training row for the woe steps, got ",
                 target.size(), " values for ", rows.num_rows(), " rows"));
    }
    for (size_t i = 0; i < target.size(); ++i) {
      if (target[i] != 0.0 && target[i] != 1.0) {
        return absl::InvalidArgumentError(
            StrCat("target: value ", target[i], " at row ", i, " is not 0 or 1"));
      }
    }
  }

  for (auto& chain : chains) {
    const int idx = schema.Find(chain->column);
    LEPTON_RETURN_IF_ERROR(chain->Fit(rows.column(static_cast<size_t>(idx)), target));
  }
  chains_ = std::move(chains);
  for (const auto& c : chains_) {
    inputs_.push_back({c->column, c->type, true});
    output_columns_.insert(output_columns_.end(), c->names.begin(), c->names.end());
    sparse_ = sparse_ || c->sparse();
  }
  fitted_ = true;
  return absl::OkStatus();
}

std::vector<int> Pipeline::OutputSources() const {
  // `inputs_[k]` is chain k's column and the outputs are the chains' names in chain order.
  std::vector<int> sources;
  sources.reserve(output_columns_.size());
  for (size_t k = 0; k < chains_.size(); ++k) {
    sources.insert(sources.end(), chains_[k]->names.size(), static_cast<int>(k));
  }
  return sources;
}

absl::Status Pipeline::ValidateInput(const lake::Schema& schema) const {
  int idx;
  for (const auto& c : chains_) LEPTON_RETURN_IF_ERROR(CheckColumn(*c, schema, &idx));
  return absl::OkStatus();
}

absl::StatusOr<FeatureMatrix> Pipeline::Transform(const lake::RecordBatch& batch) const {
  FeatureMatrix out;
  LEPTON_RETURN_IF_ERROR(TransformInto(batch, &out));
  return out;
}

absl::Status Pipeline::TransformInto(const lake::RecordBatch& batch, FeatureMatrix* out) const {
  if (!fitted_) return absl::FailedPreconditionError("feature pipeline: not fitted");
  const lake::Schema& schema = batch.schema();
  // Column lookups first, so that a bad request fails before any work.
  thread_local std::vector<int> indices;
  indices.resize(chains_.size());
  for (size_t k = 0; k < chains_.size(); ++k) {
    LEPTON_RETURN_IF_ERROR(CheckColumn(*chains_[k], schema, &indices[k]));
  }
  const int64_t rows = batch.num_rows();
  const size_t width = output_columns_.size();
  out->rows = rows;
  // A matrix reused across calls (online inference) already has the names: no copy then.
  if (out->columns != output_columns_) out->columns = output_columns_;
  out->sparse = sparse_;
  thread_local internal::Values v;
  thread_local std::vector<uint8_t> missing;
  if (!sparse_) {
    out->col_indices.clear();
    out->row_offsets.clear();
    out->values.assign(static_cast<size_t>(rows) * width, 0.0f);
    size_t at = 0;
    for (size_t k = 0; k < chains_.size(); ++k) {
      const Chain& c = *chains_[k];
      c.Run(batch.column(static_cast<size_t>(indices[k])), &v, &missing);
      c.WriteDense(v, missing, out->values.data() + at, width);
      at += c.names.size();
    }
    return absl::OkStatus();
  }

  // CSR: each chain's block is computed column-wise, then the rows are assembled in column
  // order. Dense-part values are all stored (zeros and NaN too).
  struct Block {
    std::vector<float> dense;  // rows x dense_width
    internal::SparseRows sparse;
  };
  std::vector<Block> blocks(chains_.size());
  for (size_t k = 0; k < chains_.size(); ++k) {
    const Chain& c = *chains_[k];
    c.Run(batch.column(static_cast<size_t>(indices[k])), &v, &missing);
    Block& b = blocks[k];
    b.dense.assign(static_cast<size_t>(rows) * c.dense_width(), 0.0f);
    if (c.dense_width() > 0) c.WriteDense(v, missing, b.dense.data(), c.dense_width());
    if (c.sparse()) {
      b.sparse.Clear();
      c.terminal->WriteSparse(v, &b.sparse);
    }
  }
  out->values.clear();
  out->col_indices.clear();
  out->row_offsets.assign(1, 0);
  for (int64_t r = 0; r < rows; ++r) {
    uint32_t base = 0;
    for (size_t k = 0; k < chains_.size(); ++k) {
      const Chain& c = *chains_[k];
      const Block& b = blocks[k];
      uint32_t dense_base = base;
      if (c.sparse()) {
        const auto from = static_cast<size_t>(b.sparse.offsets[static_cast<size_t>(r)]);
        const auto to = static_cast<size_t>(b.sparse.offsets[static_cast<size_t>(r) + 1]);
        for (size_t e = from; e < to; ++e) {
          out->col_indices.push_back(base + b.sparse.cols[e]);
          out->values.push_back(b.sparse.vals[e]);
        }
        dense_base = base + static_cast<uint32_t>(c.main_width);
      }
      const size_t dw = c.dense_width();
      for (size_t j = 0; j < dw; ++j) {
        out->col_indices.push_back(dense_base + static_cast<uint32_t>(j));
        out->values.push_back(b.dense[static_cast<size_t>(r) * dw + j]);
      }
      base += static_cast<uint32_t>(c.names.size());
    }
    out->row_offsets.push_back(static_cast<int64_t>(out->values.size()));
  }
  return absl::OkStatus();
}

Json Pipeline::ToJson() const {
  Json inputs = Json::array();
  for (const auto& f : inputs_) {
    inputs.push_back({{"name", f.name}, {"type", lake::DataTypeName(f.type)}});
  }
  Json chains = Json::array();
  for (const auto& c : chains_) {
    Json steps = Json::array();
    for (const auto& s : c->steps) {
      steps.push_back({{"config", s->config()}, {"fitted", s->FittedJson()}});
    }
    chains.push_back({{"column", c->column},
                      {"type", lake::DataTypeName(c->type)},
                      {"path", c->path},
                      {"steps", std::move(steps)}});
  }
  return {{"format", kFormat}, {"spec", spec_},          {"path", path_},
          {"fitted", fitted_}, {"inputs", std::move(inputs)}, {"chains", std::move(chains)}};
}

absl::StatusOr<Pipeline> Pipeline::FromJson(const Json& saved) {
  Params top(saved, "pipeline");
  const std::string format = top.String("format");
  std::optional<Json> spec = top.OptionalValue("spec");
  const std::string path = top.OptionalString("path").value_or("features");
  const bool fitted = top.Bool("fitted", false);
  top.OptionalValue("inputs");  // derived from "chains" on load
  std::optional<Json> chains = top.OptionalValue("chains");
  if (top.ok() && format != kFormat) {
    top.Fail("format", StrCat("expected \"", kFormat, "\", got \"", format, "\""));
  }
  if (top.ok() && !spec) top.Fail("spec", "required field is missing");
  if (top.ok() && (!chains || !chains->is_array())) {
    top.Fail("chains", "expected an array of fitted column chains");
  }
  LEPTON_RETURN_IF_ERROR(top.Finish());
  LEPTON_ASSIGN_OR_RETURN(Pipeline p, Create(*spec, path));
  for (size_t i = 0; i < chains->size(); ++i) {
    const std::string cp = StrCat("pipeline.chains[", i, "]");
    const Json& cj = (*chains)[i];
    Params cf(cj, cp);
    const std::string column = cf.String("column");
    const std::string type_name = cf.String("type");
    const std::string spec_path = cf.OptionalString("path").value_or(cp);
    std::optional<Json> steps = cf.OptionalValue("steps");
    if (cf.ok() && (!steps || !steps->is_array())) cf.Fail("steps", "expected an array");
    LEPTON_RETURN_IF_ERROR(cf.Finish());
    absl::StatusOr<lake::DataType> type = lake::ParseDataType(type_name);
    if (!type.ok()) return Annotate(type.status(), cf.PathOf("type"));
    for (size_t j = 0; j < steps->size(); ++j) {
      if (!(*steps)[j].is_object() || !(*steps)[j].contains("config") ||
          !(*steps)[j].contains("fitted")) {
        return absl::InvalidArgumentError(
            StrCat(cp, ".steps[", j, "]: expected {\"config\": …, \"fitted\": …}"));
      }
    }
    LEPTON_ASSIGN_OR_RETURN(auto chain, Chain::Build(column, *type, *steps,
                                                     StrCat(cp, ".steps"), /*saved_form=*/true));
    for (size_t j = 0; j < steps->size(); ++j) {
      LEPTON_RETURN_IF_ERROR(chain->steps[j]->LoadFitted((*steps)[j]["fitted"],
                                                         StrCat(cp, ".steps[", j, "].fitted")));
    }
    chain->path = spec_path;
    chain->Finalize();
    p.chains_.push_back(std::move(chain));
  }
  for (const auto& c : p.chains_) {
    p.inputs_.push_back({c->column, c->type, true});
    p.output_columns_.insert(p.output_columns_.end(), c->names.begin(), c->names.end());
    p.sparse_ = p.sparse_ || c->sparse();
  }
  p.fitted_ = fitted;
  return p;
}

Json Pipeline::Report() const {
  Json columns = Json::array();
  std::vector<std::pair<double, std::string>> ivs;
  for (const auto& c : chains_) {
    Json steps = Json::array();
    for (const auto& s : c->steps) {
      Json r = s->Report();
      if (!r.is_object()) r = {{"value", r}};
      r["type"] = s->type();
      steps.push_back(std::move(r));
      if (const WoeBinning* b = s->woe_binning()) ivs.emplace_back(b->iv, c->column);
    }
    columns.push_back({{"column", c->column},
                       {"type", lake::DataTypeName(c->type)},
                       {"outputs", c->names.size()},
                       {"steps", std::move(steps)}});
  }
  std::stable_sort(ivs.begin(), ivs.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  Json iv = Json::array();
  for (const auto& [value, column] : ivs) {
    iv.push_back({{"column", column}, {"iv", internal::EncodeDouble(value)}});
  }
  return {{"columns", std::move(columns)},
          {"iv", std::move(iv)},
          {"outputs", output_columns_.size()},
          {"sparse", sparse_}};
}

std::vector<WoeFeature> Pipeline::WoeBinnings() const {
  std::vector<WoeFeature> out;
  for (const auto& c : chains_) {
    for (const auto& s : c->steps) {
      if (const WoeBinning* b = s->woe_binning()) {
        out.push_back({c->column, c->names.empty() ? c->column : c->names[0], *b});
      }
    }
  }
  return out;
}

}  // namespace lepton::features
