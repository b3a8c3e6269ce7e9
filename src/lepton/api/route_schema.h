#pragma once
// Small helpers the route files share: JSON Schema fragments for the OpenAPI document
// (`Str()`, `Obj({...}, {"required"})`, …) and reading a body field that must be an object of
// strings (tags).

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/base/strings.h"

namespace lepton::api::schema {

inline Json Str() { return {{"type", "string"}}; }
inline Json Int() { return {{"type", "integer"}}; }
inline Json Num() { return {{"type", "number"}}; }
inline Json NullableStr() { return {{"type", "string"}, {"nullable", true}}; }
inline Json StrMap() { return {{"type", "object"}, {"additionalProperties", Str()}}; }
inline Json Array(Json items) { return {{"type", "array"}, {"items", std::move(items)}}; }
inline Json Obj(Json props, std::vector<std::string> required = {}) {
  Json j = {{"type", "object"}, {"properties", std::move(props)}};
  if (!required.empty()) j["required"] = required;
  return j;
}

// The optional body field `j` (at JSON path `path`) as a string map: empty when absent,
// InvalidArgument naming the path when it is not an object of strings.
inline absl::StatusOr<std::map<std::string, std::string>> StringMap(const std::optional<Json>& j,
                                                                    std::string_view path) {
  std::map<std::string, std::string> out;
  if (!j) return out;
  if (!j->is_object()) return absl::InvalidArgumentError(StrCat(path, ": expected an object of strings"));
  for (const auto& [k, v] : j->items()) {
    if (!v.is_string()) return absl::InvalidArgumentError(StrCat(path, ".", k, ": expected a string"));
    out[k] = v.get<std::string>();
  }
  return out;
}

}  // namespace lepton::api::schema
