#include "lepton/lake/sources/json_lines_source.h"

#include "lepton/lake/ingest/input.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/lake/ingest/infer.h"

namespace lepton::lake::sources {
namespace {

using OrderedJson = nlohmann::ordered_json;

// Values quoted in error messages are cut to this many bytes (as in the CSV reader).
constexpr size_t kMaxQuotedValueBytes = 64;
// Matches `ParseJson`'s limit: deeper documents are refused before parsing.
constexpr int kMaxJsonDepth = 128;

std::string Dump(const OrderedJson& v) {
  return v.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

std::string Quote(std::string_view v) {
  if (v.size() <= kMaxQuotedValueBytes) return StrCat("\"", v, "\"");
  return StrCat("\"", v.substr(0, kMaxQuotedValueBytes), "\"...");
}

std::string Describe(const OrderedJson& v) {
  if (v.is_string()) return Quote(v.get_ref<const std::string&>());
  std::string text = Dump(v);
  if (text.size() > kMaxQuotedValueBytes) text = StrCat(text.substr(0, kMaxQuotedValueBytes), "...");
  return text;
}

bool TooDeep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
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

// Parses one line; on failure `*reason` says why and the result is discarded.
OrderedJson ParseLine(std::string_view text, std::string* reason) {
  if (TooDeep(text)) {
    *reason = StrCat("malformed JSON: nested deeper than ", kMaxJsonDepth, " levels");
    return OrderedJson(OrderedJson::value_t::discarded);
  }
  OrderedJson value = OrderedJson::parse(text.begin(), text.end(), nullptr,
                                         /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    // Parse again for the message (only for bad lines).
    absl::StatusOr<Json> again = ParseJson(text);
    *reason = again.ok() ? std::string("malformed JSON") : std::string(ToStd(again.status().message()));
    return value;
  }
  if (!value.is_object()) {
    *reason = StrCat("expected a JSON object, got ", Describe(value));
    return OrderedJson(OrderedJson::value_t::discarded);
  }
  return value;
}

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != '\v') return false;
  }
  return true;
}

// Evidence about one key's values during inference.
struct KeyEvidence {
  bool saw_bool = false;
  bool saw_number = false;
  bool saw_string = false;
  bool saw_other = false;  // objects and arrays
  bool beyond_int32 = false;
  bool non_integral = false;  // a float, or an integer beyond int64
  bool all_dates = true;
  bool all_timestamps = true;

  void Observe(const OrderedJson& v) {
    switch (v.type()) {
      case OrderedJson::value_t::null:
      case OrderedJson::value_t::discarded:
        return;
      case OrderedJson::value_t::boolean:
        saw_bool = true;
        return;
      case OrderedJson::value_t::number_integer: {
        saw_number = true;
        const int64_t x = v.get<int64_t>();
        if (x < std::numeric_limits<int32_t>::min() || x > std::numeric_limits<int32_t>::max()) {
          beyond_int32 = true;
        }
        return;
      }
      case OrderedJson::value_t::number_unsigned: {
        saw_number = true;
        const uint64_t x = v.get<uint64_t>();
        if (x > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) beyond_int32 = true;
        if (x > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) non_integral = true;
        return;
      }
      case OrderedJson::value_t::number_float:
        saw_number = true;
        non_integral = true;
        return;
      case OrderedJson::value_t::string: {
        saw_string = true;
        const std::string& s = v.get_ref<const std::string&>();
        int32_t days;
        int64_t micros;
        if (all_dates && !ingest::ParseDate(s, &days)) all_dates = false;
        if (all_timestamps && !ingest::ParseTimestamp(s, &micros)) all_timestamps = false;
        return;
      }
      default:
        saw_other = true;
        return;
    }
  }

  DataType Result() const {
    const int kinds = int{saw_bool} + int{saw_number} + int{saw_string} + int{saw_other};
    if (kinds != 1 || saw_other) return DataType::kString;
    if (saw_bool) return DataType::kBool;
    if (saw_number) {
      if (non_integral) return DataType::kDouble;
      return beyond_int32 ? DataType::kInt64 : DataType::kInt32;
    }
    if (all_dates) return DataType::kDate;
    if (all_timestamps) return DataType::kTimestamp;
    return DataType::kString;
  }
};

// A converted value waiting for the whole row to pass.
struct Staged {
  bool null = false;
  bool b = false;
  int32_t i32 = 0;
  int64_t i64 = 0;
  float f = 0;
  double d = 0;
  std::string s;
};

// The integral value of `v`, if it is an exact integer in [lo, hi].
bool ToInteger(const OrderedJson& v, int64_t lo, int64_t hi, int64_t* out) {
  if (v.is_number_integer() && !v.is_number_unsigned()) {
    const int64_t x = v.get<int64_t>();
    if (x < lo || x > hi) return false;
    *out = x;
    return true;
  }
  if (v.is_number_unsigned()) {
    const uint64_t x = v.get<uint64_t>();
    if (x > static_cast<uint64_t>(hi)) return false;
    *out = static_cast<int64_t>(x);
    return true;
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    // Beyond 2^53 a double no longer pins down one integer.
    if (!std::isfinite(d) || d != std::trunc(d) || std::fabs(d) > 9007199254740992.0) return false;
    if (d < static_cast<double>(lo) || d > static_cast<double>(hi)) return false;
    *out = static_cast<int64_t>(d);
    return true;
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    int64_t x;
    if (!ingest::ParseInt64(s, &x) || x < lo || x > hi) return false;
    *out = x;
    return true;
  }
  return false;
}

// Converts `v` (not null) to `type`; false when the column cannot take it.
bool Stage(const OrderedJson& v, DataType type, Staged* out) {
  switch (type) {
    case DataType::kBool:
      if (v.is_boolean()) {
        out->b = v.get<bool>();
        return true;
      }
      return v.is_string() && ingest::ParseBool(v.get_ref<const std::string&>(), &out->b);
    case DataType::kInt32: {
      int64_t x;
      if (!ToInteger(v, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(),
                     &x)) {
        return false;
      }
      out->i32 = static_cast<int32_t>(x);
      return true;
    }
    case DataType::kInt64:
      return ToInteger(v, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                       &out->i64);
    case DataType::kFloat:
      if (v.is_number()) {
        out->f = v.get<float>();
        return true;
      }
      return v.is_string() && ingest::ParseFloat(v.get_ref<const std::string&>(), &out->f);
    case DataType::kDouble:
      if (v.is_number()) {
        out->d = v.get<double>();
        return true;
      }
      return v.is_string() && ingest::ParseDouble(v.get_ref<const std::string&>(), &out->d);
    case DataType::kString:
      out->s = v.is_string() ? v.get_ref<const std::string&>() : Dump(v);
      return true;
    case DataType::kDate:
      return v.is_string() && ingest::ParseDate(v.get_ref<const std::string&>(), &out->i32);
    case DataType::kTimestamp:
      return v.is_string() && ingest::ParseTimestamp(v.get_ref<const std::string&>(), &out->i64);
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<JsonLinesSource>> JsonLinesSource::Open(const std::string& path,
                                                                       JsonLinesOptions options) {
  LEPTON_ASSIGN_OR_RETURN(auto file, ingest::OpenInputFile(path));
  if (options.source_name.empty()) options.source_name = path;
  std::unique_ptr<JsonLinesSource> source(new JsonLinesSource());
  source->file_ = std::move(file);
  LEPTON_RETURN_IF_ERROR(source->Init(source->file_.get(), std::move(options)));
  return source;
}

absl::StatusOr<std::unique_ptr<JsonLinesSource>> JsonLinesSource::Create(std::istream* in,
                                                                         JsonLinesOptions options) {
  if (options.source_name.empty()) options.source_name = "<input>";
  std::unique_ptr<JsonLinesSource> source(new JsonLinesSource());
  LEPTON_RETURN_IF_ERROR(source->Init(in, std::move(options)));
  return source;
}

std::string JsonLinesSource::description() const {
  return StrCat("jsonl: ", options_.source_name);
}

absl::Status JsonLinesSource::Init(std::istream* in, JsonLinesOptions options) {
  options_ = std::move(options);
  in_ = in;
  if (options_.batch_rows <= 0 || options_.buffer_bytes == 0 || options_.max_line_bytes == 0) {
    return absl::InvalidArgumentError(
        StrCat(options_.source_name, ": batch_rows, buffer_bytes and max_line_bytes must be > 0"));
  }

  // 1. The sample.
  std::vector<Field> fields;
  std::vector<KeyEvidence> evidence;
  size_t sample_bytes = 0;
  while (sample_.empty() ||
         (static_cast<int64_t>(sample_.size()) < options_.infer_rows &&
          sample_bytes < options_.infer_max_bytes)) {
    Line line;
    LEPTON_ASSIGN_OR_RETURN(bool more, NextLine(&line));
    if (!more) break;
    std::string reason;
    OrderedJson value = ParseLine(line.text, &reason);
    if (!value.is_discarded()) {
      for (const auto& [key, v] : value.items()) {
        auto [it, inserted] = index_.emplace(key, fields.size());
        if (inserted) {
          fields.push_back(Field{key, DataType::kString, true});
          evidence.emplace_back();
        }
        evidence[it->second].Observe(v);
      }
    }
    sample_bytes += line.text.size();
    sample_.push_back(std::move(line));
  }
  // 2. Types.
  for (size_t i = 0; i < fields.size(); ++i) fields[i].type = evidence[i].Result();
  // 3. Overrides.
  if (options_.schema.has_value()) {
    for (const Field& f : options_.schema->fields()) {
      auto [it, inserted] = index_.emplace(f.name, fields.size());
      if (inserted) {
        fields.push_back(f);
      } else {
        fields[it->second].type = f.type;
        fields[it->second].nullable = f.nullable;
      }
    }
  }
  schema_ = Schema(std::move(fields));
  staged_.assign(schema_.size(), nullptr);
  return absl::OkStatus();
}

absl::StatusOr<bool> JsonLinesSource::NextLine(Line* line) {
  while (true) {
    line->text.clear();
    bool got_any = false;
    while (true) {
      if (buffer_pos_ == buffer_.size()) {
        if (eof_) break;
        buffer_.resize(options_.buffer_bytes);
        in_->read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
        if (in_->bad()) {
          return absl::DataLossError(StrCat(options_.source_name, ": failed to read the input"));
        }
        buffer_.resize(static_cast<size_t>(in_->gcount()));
        buffer_pos_ = 0;
        if (buffer_.empty()) {
          eof_ = true;
          break;
        }
      }
      got_any = true;
      const size_t nl = buffer_.find('\n', buffer_pos_);
      const size_t end = nl == std::string::npos ? buffer_.size() : nl;
      if (line->text.size() + (end - buffer_pos_) > options_.max_line_bytes) {
        return absl::InvalidArgumentError(StrCat(options_.source_name, ":", line_number_ + 1,
                                                 ": line longer than ", options_.max_line_bytes,
                                                 " bytes"));
      }
      line->text.append(buffer_, buffer_pos_, end - buffer_pos_);
      if (nl != std::string::npos) {
        buffer_pos_ = nl + 1;
        break;
      }
      buffer_pos_ = buffer_.size();
    }
    if (!got_any) return false;
    line->number = ++line_number_;
    if (!line->text.empty() && line->text.back() == '\r') line->text.pop_back();
    if (line->number == 1 && line->text.starts_with("\xEF\xBB\xBF")) line->text.erase(0, 3);
    if (!IsBlank(line->text)) return true;
  }
}

absl::StatusOr<std::optional<RecordBatch>> JsonLinesSource::ReadNext() {
  if (done_ || schema_.size() == 0) {
    done_ = true;
    return std::optional<RecordBatch>();
  }
  RecordBatch batch(schema_);
  while (batch.num_rows() < options_.batch_rows) {
    Line line;
    if (!sample_.empty()) {
      line = std::move(sample_.front());
      sample_.pop_front();
    } else {
      absl::StatusOr<bool> more = NextLine(&line);
      if (!more.ok()) {
        done_ = true;
        return more.status();
      }
      if (!*more) {
        done_ = true;
        break;
      }
    }
    absl::Status status = Convert(line, &batch);
    if (!status.ok()) {
      done_ = true;
      return status;
    }
  }
  rows_read_ += batch.num_rows();
  if (batch.num_rows() == 0) return std::optional<RecordBatch>();
  return std::optional<RecordBatch>(std::move(batch));
}

absl::Status JsonLinesSource::Convert(const Line& line, RecordBatch* batch) {
  std::string reason;
  const OrderedJson value = ParseLine(line.text, &reason);
  std::vector<Staged> staged(schema_.size());
  if (!value.is_discarded()) {
    std::fill(staged_.begin(), staged_.end(), nullptr);
    for (const auto& [key, v] : value.items()) {
      auto it = index_.find(key);
      if (it != index_.end()) staged_[it->second] = &v;
    }
    for (size_t i = 0; i < schema_.size() && reason.empty(); ++i) {
      const Field& field = schema_.field(i);
      const OrderedJson* v = staged_[i];
      if (v == nullptr || v->is_null()) {
        staged[i].null = true;
        if (!field.nullable) {
          reason = StrCat("key \"", field.name, "\": null in a non-nullable column");
        }
      } else if (!Stage(*v, field.type, &staged[i])) {
        reason = StrCat("key \"", field.name, "\": expected ", DataTypeName(field.type), ", got ",
                        Describe(*v));
      }
    }
  }
  if (reason.empty()) {
    for (size_t i = 0; i < schema_.size(); ++i) {
      ingest::AppendStaged(staged[i], schema_.field(i).type, &batch->mutable_column(i));
    }
    return absl::OkStatus();
  }
  return ingest::ApplyBadRowPolicy(options_.bad_rows, StrCat(options_.source_name, ":", line.number),
                                   ingest::BadRow{line.number, line.text, reason}, &bad_rows_,
                                   &quarantined_);
}

std::vector<ingest::BadRow> JsonLinesSource::TakeQuarantined() {
  std::vector<ingest::BadRow> out;
  out.swap(quarantined_);
  return out;
}

}  // namespace lepton::lake::sources
