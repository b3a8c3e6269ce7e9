// Rendering of `Profile`s: JSON for the API, a fixed-width table for the CLI.

#include <cmath>
#include <cstdio>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "lepton/base/strings.h"
#include "lepton/lake/profile/profile.h"

namespace lepton::lake::profile {
namespace {

std::string FormatDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string FormatDate(int64_t days) {
  const absl::CivilDay day = absl::CivilDay(1970, 1, 1) + days;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d", static_cast<long long>(day.year()),
                day.month(), day.day());
  return buf;
}

std::string FormatTimestamp(int64_t micros) {
  return std::string(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(micros), absl::UTCTimeZone()));
}

Json NumberJson(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json OptionalJson(const std::optional<double>& v) { return v ? NumberJson(*v) : Json(nullptr); }

Json ScalarJson(const Scalar& v, DataType type) {
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  if (const auto* i = std::get_if<int64_t>(&v)) {
    if (type == DataType::kDate) return FormatDate(*i);
    if (type == DataType::kTimestamp) return FormatTimestamp(*i);
    return *i;
  }
  if (const auto* d = std::get_if<double>(&v)) return NumberJson(*d);
  return std::get<std::string>(v);
}

// `s` padded or cut (with "..") to exactly `width` bytes; right-aligned when `right`.
std::string Cell(std::string_view s, size_t width, bool right = false) {
  if (s.size() > width) {
    return StrCat(s.substr(0, width >= 2 ? width - 2 : 0), width >= 2 ? ".." : "");
  }
  const std::string pad(width - s.size(), ' ');
  return right ? StrCat(pad, s) : StrCat(s, pad);
}

}  // namespace

std::string FormatScalar(const Scalar& value, DataType type) {
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const auto* i = std::get_if<int64_t>(&value)) {
    if (type == DataType::kDate) return FormatDate(*i);
    if (type == DataType::kTimestamp) return FormatTimestamp(*i);
    return StrCat(*i);
  }
  if (const auto* d = std::get_if<double>(&value)) return FormatDouble(*d);
  return std::get<std::string>(value);
}

Json ProfileToJson(const Profile& p) {
  Json columns = Json::array();
  for (const ColumnProfile& c : p.columns) {
    Json quantiles = Json::array();
    for (const Quantile& q : c.quantiles) {
      quantiles.push_back({{"q", q.q}, {"value", NumberJson(q.value)}});
    }
    Json histogram = Json::array();
    for (const HistogramBin& b : c.histogram) {
      histogram.push_back(
          {{"lower", NumberJson(b.lower)}, {"upper", NumberJson(b.upper)}, {"count", b.count}});
    }
    Json top = Json::array();
    for (const TopValue& t : c.top_values) {
      top.push_back({{"value", ScalarJson(t.value, c.type)}, {"count", t.count}});
    }
    Json col = Json::object();
    col["name"] = c.name;
    col["type"] = std::string(DataTypeName(c.type));
    col["count"] = c.count;
    col["null_count"] = c.null_count;
    col["null_share"] = c.null_share();
    col["nan_count"] = c.nan_count;
    col["distinct"] = c.distinct;
    col["distinct_exact"] = c.distinct_exact;
    col["min"] = c.min ? ScalarJson(*c.min, c.type) : Json(nullptr);
    col["max"] = c.max ? ScalarJson(*c.max, c.type) : Json(nullptr);
    col["mean"] = OptionalJson(c.mean);
    col["std"] = OptionalJson(c.std);
    col["skewness"] = OptionalJson(c.skewness);
    col["quantiles"] = std::move(quantiles);
    col["quantiles_exact"] = c.quantiles_exact;
    col["histogram"] = std::move(histogram);
    col["top_values"] = std::move(top);
    col["top_values_exact"] = c.top_values_exact;
    columns.push_back(std::move(col));
  }
  Json alerts = Json::array();
  for (const Alert& a : p.alerts) {
    Json alert = Json::object();
    alert["column"] = a.column.empty() ? Json(nullptr) : Json(a.column);
    alert["kind"] = std::string(AlertKindName(a.kind));
    alert["message"] = a.message;
    alert["value"] = NumberJson(a.value);
    alerts.push_back(std::move(alert));
  }
  Json out = Json::object();
  out["version"] = p.version >= 0 ? Json(p.version) : Json(nullptr);
  out["rows"] = p.rows;
  out["duplicate_rows"] = p.duplicate_rows;
  out["duplicate_rows_exact"] = p.duplicate_rows_exact;
  out["columns"] = std::move(columns);
  out["alerts"] = std::move(alerts);
  return out;
}

std::string ProfileToTable(const Profile& p) {
  struct Spec {
    std::string_view title;
    size_t width;
    bool right;
  };
  static constexpr Spec kSpecs[] = {{"column", 20, false}, {"type", 9, false}, {"nulls%", 7, true},
                                    {"distinct", 9, true}, {"min", 14, false}, {"max", 14, false},
                                    {"mean", 11, true},    {"std", 11, true},  {"p50", 11, true}};
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += "  ";
      out += Cell(cells[i], kSpecs[i].width, kSpecs[i].right);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = StrCat(p.version >= 0 ? StrCat("version ", p.version, ": ") : "", p.rows,
                           " rows, ", p.duplicate_rows_exact ? "" : "about ", p.duplicate_rows,
                           " duplicate rows, ", p.columns.size(), " columns\n\n");
  std::vector<std::string> header;
  size_t total = 0;
  for (const Spec& s : kSpecs) {
    header.emplace_back(s.title);
    total += s.width + 2;
  }
  out += line(header);
  out += std::string(total - 2, '-') + "\n";
  auto opt = [](const std::optional<double>& v) { return v ? FormatDouble(*v) : std::string(); };
  for (const ColumnProfile& c : p.columns) {
    char nulls[32];
    std::snprintf(nulls, sizeof nulls, "%.1f", c.null_share() * 100);
    out +=
        line({c.name, std::string(DataTypeName(c.type)), nulls,
              StrCat(c.distinct_exact ? "" : "~", c.distinct),
              c.min ? FormatScalar(*c.min, c.type) : "", c.max ? FormatScalar(*c.max, c.type) : "",
              opt(c.mean), opt(c.std), opt(c.QuantileAt(0.5))});
  }
  out += "\n";
  if (p.alerts.empty()) {
    out += "No alerts.\n";
  } else {
    out += StrCat("Alerts (", p.alerts.size(), "):\n");
    for (const Alert& a : p.alerts) {
      out += StrCat("  [", AlertKindName(a.kind), "] ", a.column.empty() ? "(table)" : a.column,
                    ": ", a.message, "\n");
    }
  }
  return out;
}

}  // namespace lepton::lake::profile
