#pragma once
// JSON for the whole code base: nlohmann::json plus strict decoding helpers that turn malformed
// documents, wrong types and unknown fields into InvalidArgument errors naming the JSON path.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace lepton {

using Json = nlohmann::json;

// Parses `text`. InvalidArgument ("malformed JSON at byte N: …") when it is not one JSON value.
absl::StatusOr<Json> ParseJson(std::string_view text);

// Serializes `value` compactly; invalid UTF-8 in strings is replaced, never thrown on.
std::string DumpJson(const Json& value);

// Hot-path JSON text without a document (response bodies, log lines): appends `s` as a quoted
// JSON string — '"', '\\' and control characters escaped, other bytes copied, so `s` must be
// valid UTF-8 (strings that came from parsed JSON are) — and `v` as the shortest number that
// reads back exactly (null for NaN and infinities, which JSON cannot hold).
void AppendJsonString(std::string_view s, std::string* out);
void AppendJsonNumber(double v, std::string* out);
void AppendJsonNumber(int64_t v, std::string* out);

// Reads the fields of one JSON object with type checks. The first problem is remembered and
// returned by `Finish()`, so callers read every field and check once:
//
//   JsonFields f(body, "body");
//   std::string name = f.String("name");
//   std::optional<int64_t> ttl = f.OptionalInt("ttl_seconds");
//   LEPTON_RETURN_IF_ERROR(f.Finish());   // also rejects fields nobody read
//
// Not thread-safe; `value` must outlive the reader.
class JsonFields {
 public:
  JsonFields(const Json& value, std::string path);

  std::string String(std::string_view key);
  std::optional<std::string> OptionalString(std::string_view key);
  int64_t Int(std::string_view key);
  std::optional<int64_t> OptionalInt(std::string_view key);
  std::optional<bool> OptionalBool(std::string_view key);
  std::optional<std::vector<std::string>> OptionalStringArray(std::string_view key);
  // Any JSON value (objects included); nullopt when absent.
  std::optional<Json> OptionalValue(std::string_view key);

  // OK, or InvalidArgument naming the first missing/mistyped field or the first unknown field.
  absl::Status Finish();

 private:
  const Json* Field(std::string_view key, bool required);
  void Fail(std::string message);

  const Json& value_;
  std::string path_;
  std::set<std::string, std::less<>> seen_;
  absl::Status status_;
};

}  // namespace lepton
