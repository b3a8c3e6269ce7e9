#include "lepton/lake/clean/apply.h"

#include <algorithm>
#include <charconv>
#include <cfloat>
#include <cmath>
#include <limits>
#include <regex>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "absl/time/time.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/lake/clean/unicode.h"
#include "lepton/lake/ingest/infer.h"

namespace lepton::lake::clean {
namespace {

constexpr int64_t kMicrosPerDay = int64_t{86400} * 1000 * 1000;

// The table while the rules run: one column per field over all rows, plus the input position
// of each row (for quarantine records).
struct Table {
  std::vector<Field> fields;
  std::vector<Column> columns;
  std::vector<int64_t> row_ids;
  int64_t rows() const { return static_cast<int64_t>(row_ids.size()); }
  bool Has(std::string_view name) const {
    return std::any_of(fields.begin(), fields.end(), [&](const Field& f) { return f.name == name; });
  }
};

std::string RulePath(int index, RuleKind kind) {
  return StrCat("rules[", index, "].", RuleKindName(kind));
}
std::string ItemPath(const std::string& path, std::string_view list, size_t i) {
  return StrCat(path, ".", list, "[", i, "]");
}

absl::StatusOr<int> Resolve(const Table& t, const std::string& path, const std::string& name) {
  std::vector<std::string_view> names;
  for (size_t i = 0; i < t.fields.size(); ++i) {
    if (t.fields[i].name == name) return static_cast<int>(i);
    names.push_back(t.fields[i].name);
  }
  return absl::InvalidArgumentError(StrCat(path, ": unknown column '", name, "' (columns: ",
                                           StrJoin(names, ", "), ")"));
}

bool IsNumeric(DataType t) {
  return t == DataType::kInt32 || t == DataType::kInt64 || t == DataType::kFloat ||
         t == DataType::kDouble;
}
bool IsInteger(DataType t) { return t == DataType::kInt32 || t == DataType::kInt64; }

absl::Status NeedNumeric(const Table& t, int c, const std::string& path, std::string_view what) {
  if (IsNumeric(t.fields[c].type)) return absl::OkStatus();
  return absl::InvalidArgumentError(StrCat(path, ": column '", t.fields[c].name, "' is ",
                                           DataTypeName(t.fields[c].type), "; ", what,
                                           " needs a numeric column"));
}

absl::Status AddColumnName(const Table& t, std::vector<std::string>& added,
                           const std::string& path, const std::string& name) {
  if (t.Has(name) || std::find(added.begin(), added.end(), name) != added.end()) {
    return absl::InvalidArgumentError(
        StrCat(path, ": cannot add column '", name, "': a column of that name exists"));
  }
  added.push_back(name);
  return absl::OkStatus();
}

double NumberAt(const Column& c, int64_t i) {
  switch (c.type()) {
    case DataType::kBool: return c.ValueAt<uint8_t>(i);
    case DataType::kInt32:
    case DataType::kDate: return c.ValueAt<int32_t>(i);
    case DataType::kInt64:
    case DataType::kTimestamp: return static_cast<double>(c.ValueAt<int64_t>(i));
    case DataType::kFloat: return c.ValueAt<float>(i);
    case DataType::kDouble: return c.ValueAt<double>(i);
    case DataType::kString: break;
  }
  return 0;
}

// Appends `v` to a numeric column; integer columns get it rounded half away from zero and
// saturated to their range.
void AppendNumber(Column& c, double v) {
  switch (c.type()) {
    case DataType::kInt32:
      c.AppendInt32(static_cast<int32_t>(std::clamp(std::round(v), -2147483648.0, 2147483647.0)));
      break;
    case DataType::kInt64: {
      const double r = std::round(v);
      // 2^63 is the first double past int64's range.
      c.AppendInt64(r >= 9223372036854775808.0    ? std::numeric_limits<int64_t>::max()
                    : r < -9223372036854775808.0 ? std::numeric_limits<int64_t>::min()
                                                  : static_cast<int64_t>(r));
      break;
    }
    case DataType::kFloat: c.AppendFloat(static_cast<float>(v)); break;
    case DataType::kDouble: c.AppendDouble(v); break;
    default: c.AppendNull(); break;
  }
}

// Appends an encoding of value `i` to `key` such that equal values (and nulls) encode equally.
void AppendKey(const Column& c, int64_t i, std::string& key) {
  if (c.IsNull(i)) {
    key.push_back('\0');
    return;
  }
  key.push_back('\1');
  if (c.type() == DataType::kString) {
    const std::string_view s = c.StringAt(i);
    const uint64_t n = s.size();
    key.append(reinterpret_cast<const char*>(&n), sizeof(n));
    key.append(s);
    return;
  }
  const int width = FixedWidth(c.type());
  key.append(reinterpret_cast<const char*>(c.data().data()) + i * width, static_cast<size_t>(width));
}

std::string KeyOf(const Column& c, int64_t i) {
  std::string key;
  AppendKey(c, i, key);
  return key;
}

Column FilterColumn(const Column& c, const std::vector<uint8_t>& keep) {
  Column out(c.type());
  const auto n = static_cast<int64_t>(keep.size());
  int64_t i = 0;
  while (i < n) {
    if (!keep[static_cast<size_t>(i)]) {
      ++i;
      continue;
    }
    int64_t j = i;
    while (j < n && keep[static_cast<size_t>(j)]) ++j;
    out.AppendRange(c, i, j - i);
    i = j;
  }
  return out;
}

void FilterTable(Table& t, const std::vector<uint8_t>& keep) {
  for (Column& c : t.columns) c = FilterColumn(c, keep);
  std::vector<int64_t> ids;
  for (size_t i = 0; i < keep.size(); ++i) {
    if (keep[i]) ids.push_back(t.row_ids[i]);
  }
  t.row_ids = std::move(ids);
}

std::string NumberText(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : StrCat(v);
}
std::string NumberText(float v) {
  if (std::isnan(v) || std::isinf(v)) return NumberText(static_cast<double>(v));
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : StrCat(v);
}

std::string DateText(int32_t days) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(int64_t{days} * 86400),
                          absl::UTCTimeZone());
}
std::string TimestampText(int64_t micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

// The text of a non-null value, as `coerce` to string writes it.
std::string ValueText(const Column& c, int64_t i) {
  switch (c.type()) {
    case DataType::kBool: return c.ValueAt<uint8_t>(i) ? "true" : "false";
    case DataType::kInt32: return StrCat(c.ValueAt<int32_t>(i));
    case DataType::kInt64: return StrCat(c.ValueAt<int64_t>(i));
    case DataType::kFloat: return NumberText(c.ValueAt<float>(i));
    case DataType::kDouble: return NumberText(c.ValueAt<double>(i));
    case DataType::kString: return std::string(c.StringAt(i));
    case DataType::kDate: return DateText(c.ValueAt<int32_t>(i));
    case DataType::kTimestamp: return TimestampText(c.ValueAt<int64_t>(i));
  }
  return "";
}

Json RowToJson(const Table& t, int64_t i) {
  Json row = Json::object();
  for (size_t c = 0; c < t.fields.size(); ++c) row[t.fields[c].name] = ValueToJson(t.columns[c], i);
  return row;
}

// A one-value column holding the JSON scalar `v` as a value of `type`.
absl::StatusOr<Column> ConvertJson(const Json& v, DataType type, const std::string& path,
                                   const std::string& column) {
  Column out(type);
  bool ok = false;
  switch (type) {
    case DataType::kBool:
      if ((ok = v.is_boolean())) out.AppendBool(v.get<bool>());
      break;
    case DataType::kInt32:
    case DataType::kInt64: {
      if (!v.is_number()) break;
      const double d = v.get<double>();
      if (v.is_number_integer()) {
        const int64_t x = v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX
                              ? INT64_MAX
                              : v.get<int64_t>();
        if (type == DataType::kInt64 && !(v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX)) {
          out.AppendInt64(x);
          ok = true;
        } else if (type == DataType::kInt32 && x >= INT32_MIN && x <= INT32_MAX) {
          out.AppendInt32(static_cast<int32_t>(x));
          ok = true;
        }
      } else if (std::trunc(d) == d) {
        if (type == DataType::kInt32 && d >= INT32_MIN && d <= INT32_MAX) {
          out.AppendInt32(static_cast<int32_t>(d));
          ok = true;
        } else if (type == DataType::kInt64 && d >= -9223372036854775808.0 &&
                   d < 9223372036854775808.0) {
          out.AppendInt64(static_cast<int64_t>(d));
          ok = true;
        }
      }
      break;
    }
    case DataType::kFloat:
      if ((ok = v.is_number())) out.AppendFloat(v.get<float>());
      break;
    case DataType::kDouble:
      if ((ok = v.is_number())) out.AppendDouble(v.get<double>());
      break;
    case DataType::kString:
      if ((ok = v.is_string())) out.AppendString(v.get<std::string>());
      break;
    case DataType::kDate: {
      int32_t days = 0;
      if ((ok = v.is_string() && ingest::ParseDate(v.get<std::string>(), &days))) out.AppendInt32(days);
      break;
    }
    case DataType::kTimestamp: {
      int64_t micros = 0;
      if ((ok = v.is_string() && ingest::ParseTimestamp(v.get<std::string>(), &micros))) {
        out.AppendInt64(micros);
      }
      break;
    }
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        StrCat(path, ": ", DumpJson(v), " is not a ", DataTypeName(type), " value (column '",
               column, "' is ", DataTypeName(type),
               type == DataType::kDate        ? "; write dates as \"YYYY-MM-DD\")"
               : type == DataType::kString    ? "; quote string values)"
               : type == DataType::kTimestamp ? "; write timestamps as \"YYYY-MM-DD HH:MM:SS\")"
                                              : ")"));
  }
  return out;
}

// Value at quantile `p` of sorted `v` (linear interpolation between closest ranks).
double Quantile(const std::vector<double>& v, double p) {
  const double h = static_cast<double>(v.size() - 1) * p;
  const auto lo = static_cast<size_t>(std::floor(h));
  if (lo + 1 >= v.size()) return v[lo];
  return v[lo] + (h - static_cast<double>(lo)) * (v[lo + 1] - v[lo]);
}

// Non-null, non-NaN values of a numeric column.
std::vector<double> Numbers(const Column& c) {
  std::vector<double> out;
  out.reserve(static_cast<size_t>(c.size() - c.null_count()));
  for (int64_t i = 0; i < c.size(); ++i) {
    if (c.IsNull(i)) continue;
    const double v = NumberAt(c, i);
    if (!std::isnan(v)) out.push_back(v);
  }
  return out;
}

int64_t CountSet(const std::vector<uint8_t>& v) {
  return static_cast<int64_t>(std::count(v.begin(), v.end(), uint8_t{1}));
}

// ---- Rules ----

absl::Status ApplyDedup(const DedupRule& r, const std::string& path, Table& t, RuleReport& rep) {
  std::vector<int> cols;
  if (r.keys.empty()) {
    for (size_t c = 0; c < t.fields.size(); ++c) cols.push_back(static_cast<int>(c));
  } else {
    for (size_t k = 0; k < r.keys.size(); ++k) {
      LEPTON_ASSIGN_OR_RETURN(int c, Resolve(t, ItemPath(path, "keys", k), r.keys[k]));
      cols.push_back(c);
    }
  }
  const int64_t n = t.rows();
  std::vector<uint8_t> keep(static_cast<size_t>(n), 1);
  std::unordered_set<std::string> seen;
  seen.reserve(static_cast<size_t>(n));
  std::string key;
  for (int64_t step = 0; step < n; ++step) {
    const int64_t i = r.keep == Keep::kFirst ? step : n - 1 - step;
    key.clear();
    for (int c : cols) AppendKey(t.columns[c], i, key);
    if (!seen.insert(key).second) keep[static_cast<size_t>(i)] = 0;
  }
  rep.rows_removed = n - CountSet(keep);
  rep.rows_affected = rep.rows_removed;
  if (rep.rows_removed > 0) FilterTable(t, keep);
  return absl::OkStatus();
}

absl::Status ApplyMissing(const MissingRule& r, const std::string& path, Table& t,
                          RuleReport& rep) {
  std::vector<int> cols;
  std::vector<std::string> added;
  for (size_t j = 0; j < r.columns.size(); ++j) {
    const std::string p = ItemPath(path, "columns", j);
    LEPTON_ASSIGN_OR_RETURN(int c, Resolve(t, p, r.columns[j]));
    if (r.strategy == MissingStrategy::kMean || r.strategy == MissingStrategy::kMedian) {
      LEPTON_RETURN_IF_ERROR(NeedNumeric(t, c, p, r.strategy == MissingStrategy::kMean
                                                      ? "strategy mean"
                                                      : "strategy median"));
    }
    if (r.indicator) LEPTON_RETURN_IF_ERROR(AddColumnName(t, added, p, r.columns[j] + "_missing"));
    cols.push_back(c);
  }
  const int64_t n = t.rows();
  std::vector<uint8_t> affected(static_cast<size_t>(n), 0);
  for (int c : cols) {
    for (int64_t i = 0; i < n; ++i) {
      if (t.columns[c].IsNull(i)) affected[static_cast<size_t>(i)] = 1;
    }
  }
  rep.rows_affected = CountSet(affected);
  if (r.strategy == MissingStrategy::kDrop) {
    for (uint8_t& a : affected) a = !a;
    rep.rows_removed = rep.rows_affected;
    if (rep.rows_removed > 0) FilterTable(t, affected);
    return absl::OkStatus();
  }

  Json fills = Json::object();
  std::vector<Column> indicators;
  for (size_t j = 0; j < cols.size(); ++j) {
    const int c = cols[j];
    const Column& col = t.columns[c];
    const Field& field = t.fields[c];
    if (r.indicator) {
      Column ind(DataType::kBool);
      ind.Reserve(n);
      for (int64_t i = 0; i < n; ++i) ind.AppendBool(col.IsNull(i));
      indicators.push_back(std::move(ind));
      rep.values_flagged += col.null_count();
    }
    std::optional<Column> fill;
    switch (r.strategy) {
      case MissingStrategy::kConstant: {
        LEPTON_ASSIGN_OR_RETURN(fill, ConvertJson(r.value, field.type, path + ".value", field.name));
        break;
      }
      case MissingStrategy::kMean: {
        const std::vector<double> v = Numbers(col);
        if (v.empty()) break;
        double sum = 0;
        for (double x : v) sum += x;
        fill.emplace(field.type);
        AppendNumber(*fill, sum / static_cast<double>(v.size()));
        break;
      }
      case MissingStrategy::kMedian: {
        std::vector<double> v = Numbers(col);
        if (v.empty()) break;
        std::sort(v.begin(), v.end());
        fill.emplace(field.type);
        AppendNumber(*fill, Quantile(v, 0.5));
        break;
      }
      case MissingStrategy::kMode: {
        // Most frequent value; ties go to the value seen first.
        std::unordered_map<std::string, std::pair<int64_t, int64_t>> counts;  // count, first row
        for (int64_t i = 0; i < n; ++i) {
          if (col.IsNull(i)) continue;
          auto [it, inserted] = counts.try_emplace(KeyOf(col, i), 0, i);
          ++it->second.first;
        }
        int64_t best_count = 0, best_row = -1;
        for (const auto& [key, cf] : counts) {
          if (cf.first > best_count || (cf.first == best_count && cf.second < best_row)) {
            best_count = cf.first;
            best_row = cf.second;
          }
        }
        if (best_row < 0) break;
        fill.emplace(field.type);
        fill->AppendRange(col, best_row, 1);
        break;
      }
      case MissingStrategy::kDrop: break;
    }
    fills[field.name] = fill ? ValueToJson(*fill, 0) : Json(nullptr);
    if (!fill || col.null_count() == 0) continue;
    Column out(field.type);
    for (int64_t i = 0; i < n; ++i) {
      if (col.IsNull(i)) {
        out.AppendRange(*fill, 0, 1);
      } else {
        out.AppendRange(col, i, 1);
      }
    }
    rep.values_changed += col.null_count();
    t.columns[c] = std::move(out);
  }
  rep.detail["fill"] = fills;
  for (size_t j = 0; j < indicators.size(); ++j) {
    t.fields.push_back({added[j], DataType::kBool, false});
    t.columns.push_back(std::move(indicators[j]));
  }
  rep.columns_added = added;
  return absl::OkStatus();
}

absl::Status ApplyOutliers(const OutlierRule& r, const std::string& path, Table& t,
                           RuleReport& rep) {
  std::vector<int> cols;
  std::vector<std::string> added;
  for (size_t j = 0; j < r.columns.size(); ++j) {
    const std::string p = ItemPath(path, "columns", j);
    LEPTON_ASSIGN_OR_RETURN(int c, Resolve(t, p, r.columns[j]));
    LEPTON_RETURN_IF_ERROR(NeedNumeric(t, c, p, "outliers"));
    if (r.action == OutlierAction::kFlag) {
      LEPTON_RETURN_IF_ERROR(AddColumnName(t, added, p, r.columns[j] + "_outlier"));
    }
    cols.push_back(c);
  }
  const int64_t n = t.rows();
  std::vector<uint8_t> affected(static_cast<size_t>(n), 0);
  Json bounds = Json::object();
  std::vector<Column> flags;
  for (int c : cols) {
    const Column& col = t.columns[c];
    std::vector<double> v = Numbers(col);
    double lo = -std::numeric_limits<double>::infinity();
    double hi = std::numeric_limits<double>::infinity();
    Json b = Json::object();
    if (!v.empty()) {
      if (r.method == OutlierMethod::kIqr) {
        std::sort(v.begin(), v.end());
        const double q1 = Quantile(v, 0.25), q3 = Quantile(v, 0.75);
        lo = q1 - r.k * (q3 - q1);
        hi = q3 + r.k * (q3 - q1);
        b = {{"q1", q1}, {"q3", q3}, {"lower", lo}, {"upper", hi}};
      } else {
        double sum = 0;
        for (double x : v) sum += x;
        const double mean = sum / static_cast<double>(v.size());
        double ss = 0;
        for (double x : v) ss += (x - mean) * (x - mean);
        const double sd = std::sqrt(ss / static_cast<double>(v.size()));
        lo = mean - r.threshold * sd;
        hi = mean + r.threshold * sd;
        b = {{"mean", mean}, {"stddev", sd}, {"lower", lo}, {"upper", hi}};
      }
    }
    std::vector<uint8_t> outlier(static_cast<size_t>(n), 0);
    int64_t count = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (col.IsNull(i)) continue;
      const double x = NumberAt(col, i);
      if (!std::isnan(x) && (x < lo || x > hi)) {
        outlier[static_cast<size_t>(i)] = 1;
        affected[static_cast<size_t>(i)] = 1;
        ++count;
      }
    }
    b["outliers"] = count;
    bounds[t.fields[c].name] = b;
    if (r.action == OutlierAction::kFlag) {
      Column flag(DataType::kBool);
      flag.Reserve(n);
      for (int64_t i = 0; i < n; ++i) flag.AppendBool(outlier[static_cast<size_t>(i)] != 0);
      flags.push_back(std::move(flag));
      rep.values_flagged += count;
    } else if (r.action == OutlierAction::kClip && count > 0) {
      double clip_lo = lo, clip_hi = hi;
      if (IsInteger(col.type())) {
        // The integers inside the bounds (or the one nearest to them when none is).
        clip_lo = std::ceil(lo);
        clip_hi = std::floor(hi);
        if (clip_lo > clip_hi) clip_lo = clip_hi = std::round((lo + hi) / 2);
      }
      Column out(col.type());
      for (int64_t i = 0; i < n; ++i) {
        if (outlier[static_cast<size_t>(i)]) {
          AppendNumber(out, NumberAt(col, i) < lo ? clip_lo : clip_hi);
        } else {
          out.AppendRange(col, i, 1);
        }
      }
      rep.values_changed += count;
      t.columns[c] = std::move(out);
    }
  }
  rep.detail["bounds"] = bounds;
  rep.rows_affected = CountSet(affected);
  if (r.action == OutlierAction::kDrop) {
    for (uint8_t& a : affected) a = !a;
    rep.rows_removed = rep.rows_affected;
    if (rep.rows_removed > 0) FilterTable(t, affected);
  }
  for (size_t j = 0; j < flags.size(); ++j) {
    t.fields.push_back({added[j], DataType::kBool, false});
    t.columns.push_back(std::move(flags[j]));
  }
  rep.columns_added = added;
  return absl::OkStatus();
}

bool ParseLooseBool(std::string_view s, bool* out) {
  if (ingest::ParseBool(s, out)) return true;
  const std::string lower = AsciiLower(s);
  if (lower == "true" || lower == "yes" || lower == "y" || lower == "t" || lower == "1") {
    *out = true;
    return true;
  }
  if (lower == "false" || lower == "no" || lower == "n" || lower == "f" || lower == "0") {
    *out = false;
    return true;
  }
  return false;
}

// Converts non-null value `i` of `c` into `out` (of the target type). False when it does not
// convert exactly; nothing is appended then.
bool ConvertValue(const Column& c, int64_t i, Column& out) {
  const DataType to = out.type();
  if (to == DataType::kString) {
    out.AppendString(ValueText(c, i));
    return true;
  }
  if (c.type() == DataType::kString) {
    const std::string_view s = StripWhitespace(c.StringAt(i));
    switch (to) {
      case DataType::kBool: {
        bool b = false;
        if (!ParseLooseBool(s, &b)) return false;
        out.AppendBool(b);
        return true;
      }
      case DataType::kInt32: {
        int32_t v = 0;
        if (!ingest::ParseInt32(s, &v)) return false;
        out.AppendInt32(v);
        return true;
      }
      case DataType::kInt64: {
        int64_t v = 0;
        if (!ingest::ParseInt64(s, &v)) return false;
        out.AppendInt64(v);
        return true;
      }
      case DataType::kFloat: {
        float v = 0;
        if (!ingest::ParseFloat(s, &v)) return false;
        out.AppendFloat(v);
        return true;
      }
      case DataType::kDouble: {
        double v = 0;
        if (!ingest::ParseDouble(s, &v)) return false;
        out.AppendDouble(v);
        return true;
      }
      case DataType::kDate: {
        int32_t v = 0;
        if (!ingest::ParseDate(s, &v)) return false;
        out.AppendInt32(v);
        return true;
      }
      case DataType::kTimestamp: {
        int64_t v = 0;
        if (!ingest::ParseTimestamp(s, &v)) return false;
        out.AppendInt64(v);
        return true;
      }
      case DataType::kString: break;
    }
    return false;
  }
  if (c.type() == DataType::kDate && to == DataType::kTimestamp) {
    out.AppendInt64(int64_t{c.ValueAt<int32_t>(i)} * kMicrosPerDay);
    return true;
  }
  if (c.type() == DataType::kTimestamp && to == DataType::kDate) {
    const int64_t micros = c.ValueAt<int64_t>(i);
    int64_t days = micros / kMicrosPerDay;
    if (micros % kMicrosPerDay < 0) --days;
    out.AppendInt32(static_cast<int32_t>(days));
    return true;
  }
  // Between bool and the numeric types: exact conversions only.
  const bool from_integer = c.type() == DataType::kBool || IsInteger(c.type());
  const int64_t iv = c.type() == DataType::kInt64 ? c.ValueAt<int64_t>(i)
                     : from_integer               ? static_cast<int64_t>(NumberAt(c, i))
                                                  : 0;
  const double dv = from_integer ? static_cast<double>(iv) : NumberAt(c, i);
  switch (to) {
    case DataType::kBool:
      if (dv != 0 && dv != 1) return false;
      out.AppendBool(dv == 1);
      return true;
    case DataType::kInt32:
      if (from_integer ? (iv < INT32_MIN || iv > INT32_MAX)
                       : !(std::trunc(dv) == dv && dv >= INT32_MIN && dv <= INT32_MAX)) {
        return false;
      }
      out.AppendInt32(from_integer ? static_cast<int32_t>(iv) : static_cast<int32_t>(dv));
      return true;
    case DataType::kInt64:
      if (from_integer) {
        out.AppendInt64(iv);
        return true;
      }
      if (!(std::trunc(dv) == dv && dv >= -9223372036854775808.0 && dv < 9223372036854775808.0)) {
        return false;
      }
      out.AppendInt64(static_cast<int64_t>(dv));
      return true;
    case DataType::kFloat:
      if (std::isfinite(dv) && std::fabs(dv) > FLT_MAX) return false;
      out.AppendFloat(static_cast<float>(dv));
      return true;
    case DataType::kDouble:
      out.AppendDouble(dv);
      return true;
    default:
      return false;
  }
}

absl::Status ApplyCoerce(const CoerceRule& r, const std::string& path, Table& t, RuleReport& rep) {
  LEPTON_ASSIGN_OR_RETURN(int c, Resolve(t, path + ".column", r.column));
  const DataType from = t.fields[c].type, to = r.type;
  rep.detail = {{"from", DataTypeName(from)}, {"to", DataTypeName(to)}};
  if (from == to) return absl::OkStatus();
  const auto number_like = [](DataType d) { return d == DataType::kBool || IsNumeric(d); };
  const auto temporal = [](DataType d) { return d == DataType::kDate || d == DataType::kTimestamp; };
  if (!(to == DataType::kString || from == DataType::kString ||
        (number_like(from) && number_like(to)) || (temporal(from) && temporal(to)))) {
    return absl::InvalidArgumentError(StrCat(path, ".type: cannot coerce column '", r.column,
                                             "' from ", DataTypeName(from), " to ",
                                             DataTypeName(to)));
  }
  const Column& col = t.columns[c];
  Column out(to);
  out.Reserve(col.size());
  int64_t blank = 0;
  for (int64_t i = 0; i < col.size(); ++i) {
    if (col.IsNull(i)) {
      out.AppendNull();
      continue;
    }
    ++rep.rows_affected;
    if (from == DataType::kString && StripWhitespace(col.StringAt(i)).empty()) {
      out.AppendNull();
      ++blank;
      ++rep.values_changed;
    } else if (ConvertValue(col, i, out)) {
      ++rep.values_changed;
    } else {
      out.AppendNull();
      ++rep.failures;
    }
  }
  rep.detail["blank"] = blank;
  t.columns[c] = std::move(out);
  t.fields[c].type = to;
  t.fields[c].nullable = true;
  return absl::OkStatus();
}

absl::Status ApplyStrings(const StringsRule& r, const std::string& path, Table& t,
                          RuleReport& rep) {
  std::vector<int> cols;
  for (size_t j = 0; j < r.columns.size(); ++j) {
    const std::string p = ItemPath(path, "columns", j);
    LEPTON_ASSIGN_OR_RETURN(int c, Resolve(t, p, r.columns[j]));
    if (t.fields[c].type != DataType::kString) {
      return absl::InvalidArgumentError(StrCat(p, ": column '", r.columns[j], "' is ",
                                               DataTypeName(t.fields[c].type),
                                               "; strings needs a string column"));
    }
    cols.push_back(c);
  }
  const int64_t n = t.rows();
  std::vector<uint8_t> affected(static_cast<size_t>(n), 0);
  const bool transform = r.normalize != NormalForm::kNone || r.case_mode != CaseMode::kNone;
  for (int c : cols) {
    const Column& col = t.columns[c];
    Column out(DataType::kString);
    out.Reserve(n, static_cast<int64_t>(col.data().size()));
    for (int64_t i = 0; i < n; ++i) {
      if (col.IsNull(i)) {
        out.AppendNull();
        continue;
      }
      const std::string_view s = col.StringAt(i);
      std::string v(s);
      if (transform) {
        // Normalization and case mapping never add or remove ASCII whitespace, so trimming
        // afterwards gives the documented normalize, trim, case order.
        auto mapped = TransformUtf8(s, r.normalize, r.case_mode);
        if (absl::IsInvalidArgument(mapped.status())) {
          ++rep.failures;
          out.AppendString(s);
          continue;
        }
        LEPTON_RETURN_IF_ERROR(mapped.status());
        v = std::move(*mapped);
      }
      if (r.trim) v = std::string(StripWhitespace(v));
      if (v != s) {
        ++rep.values_changed;
        affected[static_cast<size_t>(i)] = 1;
      }
      out.AppendString(v);
    }
    t.columns[c] = std::move(out);
  }
  rep.rows_affected = CountSet(affected);
  return absl::OkStatus();
}

std::string Bound(const std::optional<double>& b, bool lower) {
  return b ? NumberText(*b) : (lower ? "-inf" : "inf");
}

absl::Status ApplyConstraint(const ConstraintRule& r, int index, const std::string& path, Table& t,
                             RuleReport& rep, std::vector<QuarantinedRow>& quarantined) {
  LEPTON_ASSIGN_OR_RETURN(int c, Resolve(t, path + ".column", r.column));
  const Field& field = t.fields[c];
  if (r.has_range) LEPTON_RETURN_IF_ERROR(NeedNumeric(t, c, path + ".range", "range"));
  std::unordered_set<std::string> allowed;
  for (size_t j = 0; j < r.allowed.size(); ++j) {
    LEPTON_ASSIGN_OR_RETURN(Column v, ConvertJson(r.allowed[j], field.type,
                                                  ItemPath(path, "allowed", j), field.name));
    allowed.insert(KeyOf(v, 0));
  }
  std::optional<std::regex> re;
  if (r.regex) {
    if (field.type != DataType::kString) {
      return absl::InvalidArgumentError(StrCat(path, ".regex: column '", field.name, "' is ",
                                               DataTypeName(field.type),
                                               "; regex needs a string column"));
    }
    try {
      re.emplace(*r.regex, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return absl::InvalidArgumentError(StrCat(path, ".regex: invalid regular expression: ", e.what()));
    }
  }
  const Column& col = t.columns[c];
  const int64_t n = t.rows();
  std::vector<uint8_t> keep(static_cast<size_t>(n), 1);
  for (int64_t i = 0; i < n; ++i) {
    std::string reason;
    if (col.IsNull(i)) {
      if (r.allow_null) continue;
      reason = StrCat(field.name, " is null");
    } else {
      if (r.has_range) {
        const double v = NumberAt(col, i);
        if (std::isnan(v) || (r.min && v < *r.min) || (r.max && v > *r.max)) {
          reason = StrCat(field.name, "=", ValueText(col, i), " outside [", Bound(r.min, true),
                          ", ", Bound(r.max, false), "]");
        }
      }
      if (reason.empty() && !allowed.empty() && !allowed.contains(KeyOf(col, i))) {
        reason = StrCat(field.name, "=", DumpJson(ValueToJson(col, i)), " not in the allowed set");
      }
      if (reason.empty() && re) {
        const std::string_view s = col.StringAt(i);
        bool matched = false;
        try {
          matched = std::regex_match(s.begin(), s.end(), *re);
        } catch (const std::regex_error& e) {
          return absl::InvalidArgumentError(StrCat(path, ".regex: cannot match row ",
                                                   t.row_ids[static_cast<size_t>(i)], ": ", e.what()));
        }
        if (!matched) {
          reason = StrCat(field.name, "=", DumpJson(ValueToJson(col, i)), " does not match /",
                          *r.regex, "/");
        }
      }
    }
    if (reason.empty()) continue;
    keep[static_cast<size_t>(i)] = 0;
    if (r.action == ViolationAction::kQuarantine) {
      quarantined.push_back({t.row_ids[static_cast<size_t>(i)], index,
                             StrCat(path, ": ", reason), RowToJson(t, i)});
    }
  }
  const int64_t violations = n - CountSet(keep);
  rep.rows_affected = violations;
  (r.action == ViolationAction::kDrop ? rep.rows_removed : rep.rows_quarantined) = violations;
  if (violations > 0) FilterTable(t, keep);
  return absl::OkStatus();
}

}  // namespace

Json ValueToJson(const Column& c, int64_t i) {
  if (c.IsNull(i)) return nullptr;
  switch (c.type()) {
    case DataType::kBool: return c.ValueAt<uint8_t>(i) != 0;
    case DataType::kInt32: return c.ValueAt<int32_t>(i);
    case DataType::kInt64: return c.ValueAt<int64_t>(i);
    case DataType::kFloat: return c.ValueAt<float>(i);
    case DataType::kDouble: return c.ValueAt<double>(i);
    case DataType::kString: return std::string(c.StringAt(i));
    case DataType::kDate: return DateText(c.ValueAt<int32_t>(i));
    case DataType::kTimestamp: return TimestampText(c.ValueAt<int64_t>(i));
  }
  return nullptr;
}

Json RuleReport::ToJson() const {
  return {{"index", index},
          {"kind", RuleKindName(kind)},
          {"rows_in", rows_in},
          {"rows_out", rows_out},
          {"rows_affected", rows_affected},
          {"rows_removed", rows_removed},
          {"rows_quarantined", rows_quarantined},
          {"values_changed", values_changed},
          {"values_flagged", values_flagged},
          {"failures", failures},
          {"columns_added", columns_added},
          {"detail", detail}};
}

Json CleaningResult::ReportJson() const {
  Json out = Json::array();
  for (const RuleReport& r : report) out.push_back(r.ToJson());
  return out;
}

absl::StatusOr<CleaningResult> ApplyPlan(const CleaningPlan& plan, const Schema& schema,
                                         const std::vector<RecordBatch>& input,
                                         const ApplyOptions& options) {
  if (options.batch_rows <= 0) return absl::InvalidArgumentError("batch_rows must be positive");
  Table t;
  t.fields = schema.fields();
  for (const Field& f : t.fields) t.columns.emplace_back(f.type);
  int64_t rows = 0;
  for (size_t b = 0; b < input.size(); ++b) {
    const RecordBatch& batch = input[b];
    bool same = batch.schema().size() == schema.size();
    for (size_t c = 0; same && c < schema.size(); ++c) {
      same = batch.schema().field(c).name == schema.field(c).name &&
             batch.schema().field(c).type == schema.field(c).type;
    }
    if (!same) {
      return absl::InvalidArgumentError(StrCat("input batch ", b, " has schema ",
                                               DumpJson(batch.schema().ToJson()), ", expected ",
                                               DumpJson(schema.ToJson())));
    }
    for (size_t c = 0; c < schema.size(); ++c) {
      t.columns[c].AppendRange(batch.column(c), 0, batch.num_rows());
    }
    rows += batch.num_rows();
  }
  t.row_ids.resize(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) t.row_ids[static_cast<size_t>(i)] = i;

  CleaningResult result;
  result.rows_in = rows;
  for (size_t k = 0; k < plan.rules.size(); ++k) {
    const Rule& rule = plan.rules[k];
    const int index = static_cast<int>(k);
    const std::string path = RulePath(index, rule.kind());
    RuleReport rep;
    rep.index = index;
    rep.kind = rule.kind();
    rep.rows_in = t.rows();
    switch (rule.kind()) {
      case RuleKind::kDedup:
        LEPTON_RETURN_IF_ERROR(ApplyDedup(std::get<DedupRule>(rule.spec), path, t, rep));
        break;
      case RuleKind::kMissing:
        LEPTON_RETURN_IF_ERROR(ApplyMissing(std::get<MissingRule>(rule.spec), path, t, rep));
        break;
      case RuleKind::kOutliers:
        LEPTON_RETURN_IF_ERROR(ApplyOutliers(std::get<OutlierRule>(rule.spec), path, t, rep));
        break;
      case RuleKind::kCoerce:
        LEPTON_RETURN_IF_ERROR(ApplyCoerce(std::get<CoerceRule>(rule.spec), path, t, rep));
        break;
      case RuleKind::kStrings:
        LEPTON_RETURN_IF_ERROR(ApplyStrings(std::get<StringsRule>(rule.spec), path, t, rep));
        break;
      case RuleKind::kConstraint:
        LEPTON_RETURN_IF_ERROR(ApplyConstraint(std::get<ConstraintRule>(rule.spec), index, path,
                                               t, rep, result.quarantined));
        break;
    }
    rep.rows_out = t.rows();
    result.report.push_back(std::move(rep));
  }

  result.schema = Schema(t.fields);
  result.rows_out = t.rows();
  if (t.rows() > 0) {
    LEPTON_ASSIGN_OR_RETURN(RecordBatch all, RecordBatch::Make(result.schema, std::move(t.columns)));
    if (all.num_rows() <= options.batch_rows) {
      result.batches.push_back(std::move(all));
    } else {
      for (int64_t off = 0; off < all.num_rows(); off += options.batch_rows) {
        result.batches.push_back(all.Slice(off, std::min(options.batch_rows, all.num_rows() - off)));
      }
    }
  }
  return result;
}

absl::StatusOr<CleaningResult> ApplyPlan(const CleaningPlan& plan,
                                         const std::vector<RecordBatch>& input) {
  if (input.empty()) {
    return absl::InvalidArgumentError(
        "no input batches: the schema is unknown (pass it to the overload with a schema)");
  }
  return ApplyPlan(plan, input[0].schema(), input);
}

}  // namespace lepton::lake::clean
