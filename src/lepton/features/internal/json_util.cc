#include "lepton/features/internal/json_util.h"

#include <cmath>
#include <limits>

#include "lepton/base/strings.h"

namespace lepton::features::internal {

Json EncodeDouble(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

absl::StatusOr<double> DecodeDouble(const Json& v, std::string_view path) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
  }
  return absl::InvalidArgumentError(
      StrCat(path, ": expected a number or \"nan\"/\"inf\"/\"-inf\", got ", v.dump()));
}

Json EncodeDoubles(const std::vector<double>& v) {
  Json out = Json::array();
  for (double d : v) out.push_back(EncodeDouble(d));
  return out;
}

absl::StatusOr<std::vector<double>> DecodeDoubles(const Json& v, std::string_view path) {
  if (!v.is_array()) {
    return absl::InvalidArgumentError(StrCat(path, ": expected an array of numbers, got ",
                                             v.type_name()));
  }
  std::vector<double> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    auto d = DecodeDouble(v[i], StrCat(path, "[", i, "]"));
    if (!d.ok()) return d.status();
    out.push_back(*d);
  }
  return out;
}

Params::Params(const Json& value, std::string path) : fields_(value, path), path_(std::move(path)) {}

std::string Params::PathOf(std::string_view key) const {
  return StrCat(path_, path_.empty() ? "" : ".", key);
}

void Params::Fail(std::string_view key, std::string_view message) {
  if (status_.ok()) status_ = absl::InvalidArgumentError(StrCat(PathOf(key), ": ", message));
}

std::string Params::Enum(std::string_view key, const std::vector<std::string>& allowed,
                         std::string fallback) {
  std::optional<std::string> v = fields_.OptionalString(key);
  if (!v) return fallback;
  for (const auto& a : allowed) {
    if (*v == a) return *v;
  }
  Fail(key, StrCat("expected one of \"", StrJoin(allowed, "\", \""), "\", got \"", *v, "\""));
  return fallback;
}

std::optional<int64_t> Params::OptionalInt(std::string_view key, int64_t min, int64_t max) {
  std::optional<int64_t> v = fields_.OptionalInt(key);
  if (v && (*v < min || *v > max)) {
    Fail(key, StrCat("expected an integer in [", min, ", ", max, "], got ", *v));
    return std::nullopt;
  }
  return v;
}

std::optional<double> Params::OptionalNumber(std::string_view key, double min, double max) {
  std::optional<Json> v = fields_.OptionalValue(key);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    Fail(key, StrCat("expected a number, got ", v->type_name()));
    return std::nullopt;
  }
  const double d = v->get<double>();
  if (!(d >= min && d <= max)) {
    Fail(key, StrCat("expected a number in [", min, ", ", max, "], got ", v->dump()));
    return std::nullopt;
  }
  return d;
}

absl::Status Params::Finish() {
  absl::Status fields = fields_.Finish();
  if (!fields.ok()) return fields;
  return status_;
}

}  // namespace lepton::features::internal
