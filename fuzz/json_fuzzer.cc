// Fuzzes lepton's JSON layer: `ParseJson` (depth guard + nlohmann), `DumpJson` and the
// `JsonFields` reader.
//
// Invariants (a violation traps):
//  - ParseJson fails only with InvalidArgument and a message;
//  - on success DumpJson re-parses to an equal value, and dumping that gives the same text;
//  - JsonFields reads of any type on any key of any object never crash, a typed read that
//    returns a value agrees with the JSON, and Finish is OK or InvalidArgument.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "fuzz_check.h"
#include "lepton/base/json.h"
#include "lepton/base/strings.h"

namespace {

using lepton::Json;
using lepton::JsonFields;

void CheckFinish(const absl::Status& s) {
  FUZZ_CHECK(s.ok() || (s.code() == absl::StatusCode::kInvalidArgument && !s.message().empty()),
             s.ToString().c_str());
}

// Reads every key of `value` (when an object) with a type picked by `selector`, then a missing
// key, and recurses into nested values. `budget` bounds the work on wide documents.
void Walk(const Json& value, const std::string& path, uint32_t selector, int* budget) {
  if (--*budget < 0) return;
  JsonFields f(value, path);
  if (value.is_object()) {
    uint32_t sel = selector;
    for (auto it = value.begin(); it != value.end(); ++it) {
      const std::string& key = it.key();
      const Json& v = it.value();
      switch (sel % 7) {
        case 0: {
          auto s = f.OptionalString(key);
          if (s) FUZZ_CHECK(v.is_string() && *s == v.get<std::string>(), key.c_str());
          break;
        }
        case 1: (void)f.String(key); break;
        case 2: {
          auto i = f.OptionalInt(key);
          if (i) FUZZ_CHECK(v.is_number_integer(), key.c_str());
          break;
        }
        case 3: (void)f.Int(key); break;
        case 4: {
          auto b = f.OptionalBool(key);
          if (b) FUZZ_CHECK(v.is_boolean() && *b == v.get<bool>(), key.c_str());
          break;
        }
        case 5: {
          auto a = f.OptionalStringArray(key);
          if (a) FUZZ_CHECK(v.is_array() && a->size() == v.size(), key.c_str());
          break;
        }
        default: {
          auto any = f.OptionalValue(key);
          FUZZ_CHECK(v.is_null() ? !any.has_value() : (any.has_value() && *any == v),
                     key.c_str());
          break;
        }
      }
      sel = sel * 1103515245u + 12345u;
      Walk(v, lepton::StrCat(path, ".", key), sel >> 8, budget);
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size() && *budget >= 0; ++i) {
      Walk(value[i], lepton::StrCat(path, "[", i, "]"), selector + static_cast<uint32_t>(i),
           budget);
    }
  }
  // Keys that are absent: optional reads give nothing, required reads fail.
  FUZZ_CHECK(!f.OptionalString("\x01missing").has_value(), "absent key read as present");
  if (selector & 1) (void)f.String("\x01missing");
  const absl::Status s = f.Finish();
  CheckFinish(s);
  if (!value.is_object()) FUZZ_CHECK(!s.ok(), "Finish OK on a non-object");
  if (selector & 1) FUZZ_CHECK(!s.ok(), "Finish OK after a missing required field");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Json> parsed = lepton::ParseJson(text);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument &&
                   !parsed.status().message().empty(),
               parsed.status().ToString().c_str());
    return 0;
  }

  const std::string dumped = lepton::DumpJson(*parsed);
  absl::StatusOr<Json> again = lepton::ParseJson(dumped);
  FUZZ_CHECK(again.ok(), lepton::StrCat(dumped.substr(0, 200), " -> ",
                                        again.status().ToString()).c_str());
  FUZZ_CHECK(*again == *parsed, dumped.substr(0, 200).c_str());
  FUZZ_CHECK(lepton::DumpJson(*again) == dumped, "DumpJson is not idempotent");

  uint32_t selector = 0;
  for (size_t i = 0; i < size && i < 4; ++i) selector = selector * 131 + data[i];
  int budget = 2000;
  Walk(*parsed, "", selector, &budget);
  return 0;
}
