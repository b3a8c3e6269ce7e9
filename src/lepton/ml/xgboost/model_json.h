#pragma once
// Reading an XGBoost model document (the JSON/UBJSON `XGBoosterSaveModelToBuffer` gives) with
// errors that name the path inside the document: shared by the structural checks in xgboost.cc
// (run before libxgboost parses a file) and the flat-forest compiler. Internal to ml/xgboost.

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"

namespace lepton::ml::xgboost_json {

// InvalidArgument "xgboost model: <path>: <what>".
absl::Status ModelError(std::string_view path, std::string_view what);
// `object[key]`, or null when `object` is not an object or lacks the key.
const Json* Member(const Json& object, const char* key);
// `object[key]`, which must be an object (or an array with `array`).
absl::StatusOr<const Json*> Child(const Json& object, const char* key, std::string_view path, bool array = false);
// An integer parameter kept as a string ("4"), in [lo, hi].
absl::StatusOr<int64_t> IntParam(const Json& object, const char* key, std::string_view path, int64_t lo, int64_t hi);

}  // namespace lepton::ml::xgboost_json
