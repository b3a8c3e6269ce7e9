#include "lepton/base/json.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "lepton/base/strings.h"

#include "absl/strings/str_cat.h"

namespace lepton {

namespace {
// Deeply nested documents are refused before parsing: nothing we accept nests past this, and
// it bounds the work any recursive consumer of the result can do.
constexpr int kMaxJsonDepth = 128;

bool TooDeep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}
}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t plain = 0;  // start of the run of bytes copied as they are
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  out->append(s.data() + plain, s.size() - plain);
  out->push_back('"');
}

void AppendJsonNumber(double v, std::string* out) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

void AppendJsonNumber(int64_t v, std::string* out) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

absl::StatusOr<Json> ParseJson(std::string_view text) {
  if (TooDeep(text)) {
    return absl::InvalidArgumentError(
        lepton::StrCat("malformed JSON: nested deeper than ", kMaxJsonDepth, " levels"));
  }
  Json out = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) {
    // Parse again with exceptions only to learn where it broke: errors are rare.
    try {
      [[maybe_unused]] Json ignored = Json::parse(text);
    } catch (const Json::parse_error& e) {
      return absl::InvalidArgumentError(
          lepton::StrCat("malformed JSON at byte ", e.byte, ": ", e.what()));
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(lepton::StrCat("malformed JSON: ", e.what()));
    }
    return absl::InvalidArgumentError("malformed JSON");
  }
  return out;
}

std::string DumpJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

JsonFields::JsonFields(const Json& value, std::string path)
    : value_(value), path_(std::move(path)) {
  if (!value_.is_object()) {
    Fail(lepton::StrCat(path_.empty() ? "document" : path_, ": expected a JSON object, got ",
                      value_.type_name()));
  }
}

void JsonFields::Fail(std::string message) {
  if (status_.ok()) status_ = absl::InvalidArgumentError(std::move(message));
}

const Json* JsonFields::Field(std::string_view key, bool required) {
  seen_.emplace(key);
  if (!value_.is_object()) return nullptr;
  auto it = value_.find(key);
  if (it == value_.end() || it->is_null()) {
    if (required) Fail(lepton::StrCat(path_, path_.empty() ? "" : ".", absl::string_view(key.data(), key.size()),
                          ": required field is missing"));
    return nullptr;
  }
  return &*it;
}

namespace {
std::string WrongType(std::string_view path, std::string_view key, std::string_view want,
                      const Json& got) {
  return lepton::StrCat(absl::string_view(path.data(), path.size()), path.empty() ? "" : ".",
                      absl::string_view(key.data(), key.size()), ": expected ",
                      absl::string_view(want.data(), want.size()), ", got ", got.type_name());
}
}  // namespace

std::string JsonFields::String(std::string_view key) {
  auto v = OptionalString(key);
  if (!v && status_.ok()) Field(key, /*required=*/true);
  return v.value_or("");
}

std::optional<std::string> JsonFields::OptionalString(std::string_view key) {
  const Json* f = Field(key, false);
  if (f == nullptr) return std::nullopt;
  if (!f->is_string()) {
    Fail(WrongType(path_, key, "a string", *f));
    return std::nullopt;
  }
  return f->get<std::string>();
}

int64_t JsonFields::Int(std::string_view key) {
  auto v = OptionalInt(key);
  if (!v && status_.ok()) Field(key, /*required=*/true);
  return v.value_or(0);
}

std::optional<int64_t> JsonFields::OptionalInt(std::string_view key) {
  const Json* f = Field(key, false);
  if (f == nullptr) return std::nullopt;
  if (!f->is_number_integer()) {
    Fail(WrongType(path_, key, "an integer", *f));
    return std::nullopt;
  }
  // nlohmann keeps integers above INT64_MAX as unsigned; get<int64_t> would wrap them.
  if (f->is_number_unsigned() &&
      f->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    Fail(lepton::StrCat(path_, path_.empty() ? "" : ".", key, ": integer ", f->dump(),
                        " is out of range"));
    return std::nullopt;
  }
  return f->get<int64_t>();
}

std::optional<bool> JsonFields::OptionalBool(std::string_view key) {
  const Json* f = Field(key, false);
  if (f == nullptr) return std::nullopt;
  if (!f->is_boolean()) {
    Fail(WrongType(path_, key, "a boolean", *f));
    return std::nullopt;
  }
  return f->get<bool>();
}

std::optional<std::vector<std::string>> JsonFields::OptionalStringArray(std::string_view key) {
  const Json* f = Field(key, false);
  if (f == nullptr) return std::nullopt;
  if (!f->is_array()) {
    Fail(WrongType(path_, key, "an array of strings", *f));
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < f->size(); ++i) {
    const Json& e = (*f)[i];
    if (!e.is_string()) {
      Fail(WrongType(path_, lepton::StrCat(absl::string_view(key.data(), key.size()), "[", i, "]"), "a string", e));
      return std::nullopt;
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::optional<Json> JsonFields::OptionalValue(std::string_view key) {
  const Json* f = Field(key, false);
  if (f == nullptr) return std::nullopt;
  return *f;
}

absl::Status JsonFields::Finish() {
  if (!status_.ok()) return status_;
  for (auto it = value_.begin(); it != value_.end(); ++it) {
    if (!seen_.contains(it.key())) {
      return absl::InvalidArgumentError(
          lepton::StrCat(path_, path_.empty() ? "" : ".", it.key(), ": unknown field"));
    }
  }
  return absl::OkStatus();
}

}  // namespace lepton
