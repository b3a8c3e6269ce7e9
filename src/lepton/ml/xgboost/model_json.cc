#include "lepton/ml/xgboost/model_json.h"

#include "lepton/base/strings.h"

namespace lepton::ml::xgboost_json {

absl::Status ModelError(std::string_view path, std::string_view what) {
  return absl::InvalidArgumentError(StrCat("xgboost model: ", path, path.empty() ? "" : ": ", what));
}

const Json* Member(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

absl::StatusOr<const Json*> Child(const Json& object, const char* key, std::string_view path, bool array) {
  const Json* j = Member(object, key);
  if (j == nullptr || (array ? !j->is_array() : !j->is_object())) {
    return ModelError(path.empty() ? std::string(key) : StrCat(path, ".", key),
                      array ? "expected an array" : "expected an object");
  }
  return j;
}

absl::StatusOr<int64_t> IntParam(const Json& object, const char* key, std::string_view path, int64_t lo, int64_t hi) {
  const Json* j = Member(object, key);
  int64_t v = 0;
  if (j == nullptr || !j->is_string() || !ParseInt(j->get<std::string>(), &v) || v < lo || v > hi) {
    return ModelError(StrCat(path, ".", key), StrCat("expected an integer in [", lo, ", ", hi, "] as a string"));
  }
  return v;
}

}  // namespace lepton::ml::xgboost_json
