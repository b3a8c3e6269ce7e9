#include "lepton/train/json_rows.h"

#include <cmath>
#include <limits>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "lepton/base/strings.h"
#include "lepton/lake/ingest/infer.h"

namespace lepton::train {
namespace {

std::string Got(const Json& v) {
  if (v.is_string()) return DumpJson(v).substr(0, 60);
  if (v.is_number() || v.is_boolean()) return DumpJson(v);
  return std::string(v.type_name());
}

bool Integral(const Json& v, int64_t low, int64_t high, int64_t* out) {
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    const int64_t x = v.get<int64_t>();
    if (x < low || x > high) return false;
    *out = x;
    return true;
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d) || std::floor(d) != d || d < static_cast<double>(low) || d > static_cast<double>(high)) return false;
    *out = static_cast<int64_t>(d);
    return true;
  }
  return false;
}

}  // namespace

absl::Status AppendJsonValue(const lake::Field& f, const Json& v, lake::Column& col, std::string_view where) {
  if (v.is_null()) {
    col.AppendNull();
    return absl::OkStatus();
  }
  auto bad = [&](std::string_view expected) {
    return absl::InvalidArgumentError(StrCat(where, ": expected ", expected, ", got ", Got(v)));
  };
  int64_t i = 0;
  switch (f.type) {
    case lake::DataType::kBool:
      if (!v.is_boolean()) return bad("true or false");
      col.AppendBool(v.get<bool>());
      break;
    case lake::DataType::kInt32:
      if (!Integral(v, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), &i)) {
        return bad("a 32-bit integer");
      }
      col.AppendInt32(static_cast<int32_t>(i));
      break;
    case lake::DataType::kInt64:
      if (!Integral(v, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), &i)) {
        return bad("an integer");
      }
      col.AppendInt64(i);
      break;
    case lake::DataType::kFloat:
      if (!v.is_number()) return bad("a number");
      col.AppendFloat(v.get<float>());
      break;
    case lake::DataType::kDouble:
      if (!v.is_number()) return bad("a number");
      col.AppendDouble(v.get<double>());
      break;
    case lake::DataType::kString:
      if (!v.is_string()) return bad("a string");
      col.AppendString(v.get_ref<const std::string&>());
      break;
    case lake::DataType::kDate: {
      int32_t days = 0;
      if (v.is_string() && lake::ingest::ParseDate(v.get_ref<const std::string&>(), &days)) {
        col.AppendInt32(days);
      } else if (Integral(v, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), &i)) {
        col.AppendInt32(static_cast<int32_t>(i));
      } else {
        return bad("a date \"YYYY-MM-DD\" or days since 1970-01-01");
      }
      break;
    }
    case lake::DataType::kTimestamp: {
      int64_t micros = 0;
      if (v.is_string() && lake::ingest::ParseTimestamp(v.get_ref<const std::string&>(), &micros)) {
        col.AppendInt64(micros);
      } else if (Integral(v, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), &i)) {
        col.AppendInt64(i);
      } else {
        return bad("an ISO 8601 time or microseconds since the epoch");
      }
      break;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<lake::RecordBatch> RowsFromJson(const std::vector<lake::Field>& signature, const Json& rows,
                                               std::string_view path) {
  if (!rows.is_array()) return absl::InvalidArgumentError(StrCat(path, ": expected an array of objects, got ", Got(rows)));
  lake::RecordBatch batch{lake::Schema(signature)};
  for (size_t r = 0; r < rows.size(); ++r) {
    LEPTON_RETURN_IF_ERROR(AppendRowFromJson(signature, rows[r], batch, StrCat(path, "[", r, "]")));
  }
  return batch;
}

absl::Status AppendRowFromJson(const std::vector<lake::Field>& signature, const Json& row, lake::RecordBatch& batch,
                               std::string_view where) {
  if (!row.is_object()) {
    return absl::InvalidArgumentError(StrCat(where, ": expected an object of column values, got ", Got(row)));
  }
  for (size_t c = 0; c < signature.size(); ++c) {
    const lake::Field& f = signature[c];
    lake::Column& col = batch.mutable_column(c);
    auto it = row.find(f.name);
    if (it == row.end()) {
      col.AppendNull();
      continue;
    }
    if (absl::Status s = AppendJsonValue(f, *it, col, ""); !s.ok()) {
      return absl::InvalidArgumentError(StrCat(where, ".", f.name, s.message()));
    }
  }
  return absl::OkStatus();
}

Json RowToJson(const lake::RecordBatch& batch, int64_t row) {
  Json out = Json::object();
  for (size_t c = 0; c < batch.num_columns(); ++c) {
    const lake::Column& col = batch.column(c);
    const std::string& name = batch.schema().field(c).name;
    if (col.IsNull(row)) {
      out[name] = nullptr;
      continue;
    }
    switch (col.type()) {
      case lake::DataType::kBool: out[name] = col.ValueAt<uint8_t>(row) != 0; break;
      case lake::DataType::kInt32: out[name] = col.ValueAt<int32_t>(row); break;
      case lake::DataType::kInt64: out[name] = col.ValueAt<int64_t>(row); break;
      case lake::DataType::kFloat: out[name] = col.ValueAt<float>(row); break;
      case lake::DataType::kDouble: out[name] = col.ValueAt<double>(row); break;
      case lake::DataType::kString: out[name] = std::string(col.StringAt(row)); break;
      case lake::DataType::kDate: {
        const absl::CivilDay day = absl::CivilDay(1970, 1, 1) + col.ValueAt<int32_t>(row);
        out[name] = absl::FormatCivilTime(day);
        break;
      }
      case lake::DataType::kTimestamp:
        out[name] = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(col.ValueAt<int64_t>(row)),
                                     absl::UTCTimeZone());
        break;
    }
  }
  return out;
}

void AppendRowJsonText(const lake::RecordBatch& batch, int64_t row, std::string* out) {
  out->push_back('{');
  for (size_t c = 0; c < batch.num_columns(); ++c) {
    if (c > 0) out->push_back(',');
    const lake::Column& col = batch.column(c);
    AppendJsonString(batch.schema().field(c).name, out);
    out->push_back(':');
    if (col.IsNull(row)) {
      out->append("null");
      continue;
    }
    switch (col.type()) {
      case lake::DataType::kBool: out->append(col.ValueAt<uint8_t>(row) != 0 ? "true" : "false"); break;
      case lake::DataType::kInt32: AppendJsonNumber(int64_t{col.ValueAt<int32_t>(row)}, out); break;
      case lake::DataType::kInt64: AppendJsonNumber(col.ValueAt<int64_t>(row), out); break;
      case lake::DataType::kFloat: AppendJsonNumber(static_cast<double>(col.ValueAt<float>(row)), out); break;
      case lake::DataType::kDouble: AppendJsonNumber(col.ValueAt<double>(row), out); break;
      case lake::DataType::kString: AppendJsonString(col.StringAt(row), out); break;
      case lake::DataType::kDate:
        AppendJsonString(absl::FormatCivilTime(absl::CivilDay(1970, 1, 1) + col.ValueAt<int32_t>(row)), out);
        break;
      case lake::DataType::kTimestamp:
        AppendJsonString(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(col.ValueAt<int64_t>(row)),
                                          absl::UTCTimeZone()),
                         out);
        break;
    }
  }
  out->push_back('}');
}

}  // namespace lepton::train
