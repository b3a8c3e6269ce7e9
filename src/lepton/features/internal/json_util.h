#pragma once
// JSON helpers private to the features module: exact double encoding for fitted state and a
// parameter reader that extends `JsonFields` with numbers and bounded values, every error naming
// the JSON path and what was expected.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/base/json.h"

namespace lepton::features::internal {

// A double as JSON: finite values as numbers (nlohmann writes the shortest representation that
// parses back to the same bits), NaN and infinities as the strings "nan", "inf", "-inf".
Json EncodeDouble(double v);
// The inverse; InvalidArgument naming `path` for anything else.
absl::StatusOr<double> DecodeDouble(const Json& v, std::string_view path);
Json EncodeDoubles(const std::vector<double>& v);
absl::StatusOr<std::vector<double>> DecodeDoubles(const Json& v, std::string_view path);

// `JsonFields` plus numbers and range checks. Reads never fail on the spot: the first problem
// is kept and returned by `Finish()` (which also rejects unknown fields).
class Params {
 public:
  Params(const Json& value, std::string path);

  const std::string& path() const { return path_; }
  // `path.key`
  std::string PathOf(std::string_view key) const;

  std::string String(std::string_view key) { return fields_.String(key); }
  std::optional<std::string> OptionalString(std::string_view key) {
    return fields_.OptionalString(key);
  }
  // One of `allowed`, else `fallback` when absent.
  std::string Enum(std::string_view key, const std::vector<std::string>& allowed,
                   std::string fallback);
  std::optional<bool> OptionalBool(std::string_view key) { return fields_.OptionalBool(key); }
  bool Bool(std::string_view key, bool fallback) {
    return fields_.OptionalBool(key).value_or(fallback);
  }
  std::optional<int64_t> OptionalInt(std::string_view key, int64_t min, int64_t max);
  int64_t Int(std::string_view key, int64_t fallback, int64_t min, int64_t max) {
    return OptionalInt(key, min, max).value_or(fallback);
  }
  // Any JSON number (integer or not), within [min, max].
  std::optional<double> OptionalNumber(std::string_view key, double min, double max);
  double Number(std::string_view key, double fallback, double min, double max) {
    return OptionalNumber(key, min, max).value_or(fallback);
  }
  std::optional<std::vector<std::string>> OptionalStringArray(std::string_view key) {
    return fields_.OptionalStringArray(key);
  }
  std::optional<Json> OptionalValue(std::string_view key) { return fields_.OptionalValue(key); }

  // Records an error for `key` ("<path>.<key>: <message>") unless one is already recorded.
  void Fail(std::string_view key, std::string_view message);
  bool ok() const { return status_.ok(); }
  absl::Status Finish();

 private:
  JsonFields fields_;
  std::string path_;
  absl::Status status_;
};

}  // namespace lepton::features::internal
