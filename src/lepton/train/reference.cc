#include "lepton/train/reference.h"

#include <cmath>
#include <limits>
#include <string_view>
#include <vector>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/metrics/drift.h"

namespace lepton::train {
namespace {

bool IsString(const lake::Column& c) { return c.type() == lake::DataType::kString; }

std::vector<double> Numbers(const lake::Column& c) {
  std::vector<double> out(static_cast<size_t>(c.size()));
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  for (int64_t i = 0; i < c.size(); ++i) {
    double v = kNaN;
    if (c.IsValid(i)) {
      switch (c.type()) {
        case lake::DataType::kBool: v = c.ValueAt<uint8_t>(i); break;
        case lake::DataType::kInt32:
        case lake::DataType::kDate: v = c.ValueAt<int32_t>(i); break;
        case lake::DataType::kInt64:
        case lake::DataType::kTimestamp: v = static_cast<double>(c.ValueAt<int64_t>(i)); break;
        case lake::DataType::kFloat: v = c.ValueAt<float>(i); break;
        case lake::DataType::kDouble: v = c.ValueAt<double>(i); break;
        case lake::DataType::kString: break;
      }
    }
    out[static_cast<size_t>(i)] = v;
  }
  return out;
}

void Strings(const lake::Column& c, std::vector<std::string_view>* values, std::vector<uint8_t>* present) {
  values->resize(static_cast<size_t>(c.size()));
  present->resize(static_cast<size_t>(c.size()));
  for (int64_t i = 0; i < c.size(); ++i) {
    (*present)[static_cast<size_t>(i)] = c.IsValid(i);
    (*values)[static_cast<size_t>(i)] = c.IsValid(i) ? c.StringAt(i) : std::string_view();
  }
}

}  // namespace

absl::StatusOr<Json> BuildReference(const lake::RecordBatch& inputs, std::span<const double> scores) {
  if (inputs.num_rows() == 0) return absl::InvalidArgumentError("reference: no rows");
  Json columns = Json::object();
  for (size_t c = 0; c < inputs.num_columns(); ++c) {
    const lake::Column& col = inputs.column(c);
    absl::StatusOr<ml::ReferenceProfile> p;
    if (IsString(col)) {
      std::vector<std::string_view> values;
      std::vector<uint8_t> present;
      Strings(col, &values, &present);
      p = ml::CategoricalReference(values, present);
    } else {
      p = ml::NumericReference(Numbers(col));
    }
    if (!p.ok()) return Annotate(p.status(), StrCat("reference of column \"", inputs.schema().field(c).name, "\""));
    columns[inputs.schema().field(c).name] = p->ToJson();
  }
  Json score = nullptr;
  if (!scores.empty()) {
    LEPTON_ASSIGN_OR_RETURN(ml::ReferenceProfile p, ml::NumericReference(scores));
    score = p.ToJson();
  }
  return Json{{"rows", inputs.num_rows()}, {"columns", std::move(columns)}, {"score", std::move(score)}};
}

absl::StatusOr<Json> CompareToReference(const Json& reference, const lake::RecordBatch& current,
                                        std::span<const double> scores) {
  if (current.num_rows() == 0) return absl::InvalidArgumentError("drift: no rows to compare");
  if (!reference.is_object() || !reference.contains("columns") || !reference["columns"].is_object()) {
    return absl::InvalidArgumentError("drift: the reference profile is malformed");
  }
  Json columns = Json::object();
  for (size_t c = 0; c < current.num_columns(); ++c) {
    const std::string& name = current.schema().field(c).name;
    if (!reference["columns"].contains(name)) continue;
    LEPTON_ASSIGN_OR_RETURN(ml::ReferenceProfile p, ml::ReferenceProfile::FromJson(reference["columns"][name]));
    const lake::Column& col = current.column(c);
    absl::StatusOr<ml::DriftResult> d;
    if (IsString(col)) {
      std::vector<std::string_view> values;
      std::vector<uint8_t> present;
      Strings(col, &values, &present);
      d = ml::CategoricalDrift(p, values, present);
    } else {
      d = ml::NumericDrift(p, Numbers(col));
    }
    if (!d.ok()) return Annotate(d.status(), StrCat("drift of column \"", name, "\""));
    columns[name] = d->ToJson();
  }
  Json score = nullptr;
  if (!scores.empty() && reference.contains("score") && reference["score"].is_object()) {
    LEPTON_ASSIGN_OR_RETURN(ml::ReferenceProfile p, ml::ReferenceProfile::FromJson(reference["score"]));
    LEPTON_ASSIGN_OR_RETURN(ml::DriftResult d, ml::NumericDrift(p, scores));
    score = d.ToJson();
  }
  return Json{{"rows", current.num_rows()}, {"columns", std::move(columns)}, {"score", std::move(score)}};
}

}  // namespace lepton::train
