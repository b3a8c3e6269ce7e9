#include "lepton/lake/ingest/infer.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::lake::ingest {
namespace {

constexpr uint32_t Bit(DataType t) { return 1u << static_cast<int>(t); }

constexpr DataType kInferenceOrder[] = {DataType::kBool,   DataType::kInt32, DataType::kInt64,
                                        DataType::kDouble, DataType::kDate,  DataType::kTimestamp};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads `n` digits at `s[pos]` into `*out`.
bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// [-]digits.
bool IsPlainInteger(std::string_view s) {
  size_t i = (!s.empty() && s[0] == '-') ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (!IsDigit(s[i])) return false;
  }
  return true;
}

bool HasLeadingZero(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  return s.size() > 1 && s[0] == '0';
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// YYYY-MM-DD at the start of `s`.
bool ParseDatePrefix(std::string_view s, int64_t* days) {
  int y, m, d;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  if (!Digits(s, 0, 4, &y) || !Digits(s, 5, 2, &m) || !Digits(s, 8, 2, &d)) return false;
  if (m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, m)) return false;
  *days = DaysFromCivil(y, m, d);
  return true;
}

// The integral value of a non-plain numeric spelling, if it is exact and in [lo, hi].
template <typename T>
bool ParseIntegralNumber(std::string_view text, T* out) {
  double d;
  if (!ParseDouble(text, &d) || !std::isfinite(d) || d != std::trunc(d)) return false;
  // Beyond 2^53 a double no longer pins down one integer.
  if (std::fabs(d) > 9007199254740992.0) return false;
  if (d < static_cast<double>(std::numeric_limits<T>::min()) ||
      d > static_cast<double>(std::numeric_limits<T>::max())) {
    return false;
  }
  *out = static_cast<T>(d);
  return true;
}

template <typename T>
bool ParseInteger(std::string_view text, T* out) {
  T v;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec == std::errc() && ptr == end && !text.empty()) {
    *out = v;
    return true;
  }
  // Out-of-range plain integers are not integers of this type; other spellings may be.
  if (IsPlainInteger(text)) return false;
  return ParseIntegralNumber(text, out);
}

template <typename T>
bool ParseFloating(std::string_view text, T* out) {
  if (text.empty()) return false;
  T v;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v, std::chars_format::general);
  if (ec != std::errc() || ptr != end) return false;
  *out = v;
  return true;
}

}  // namespace

int64_t DaysFromCivil(int64_t year, int month, int day) {
  // Howard Hinnant's days_from_civil.
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t yoe = year - era * 400;
  const int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool ParseBool(std::string_view text, bool* out) {
  if (text == "true" || text == "TRUE" || text == "True") {
    *out = true;
    return true;
  }
  if (text == "false" || text == "FALSE" || text == "False") {
    *out = false;
    return true;
  }
  return false;
}

bool ParseInt32(std::string_view text, int32_t* out) { return ParseInteger(text, out); }
bool ParseInt64(std::string_view text, int64_t* out) { return ParseInteger(text, out); }
bool ParseFloat(std::string_view text, float* out) { return ParseFloating(text, out); }
bool ParseDouble(std::string_view text, double* out) { return ParseFloating(text, out); }

bool ParseDate(std::string_view text, int32_t* days) {
  int64_t d;
  if (text.size() != 10 || !ParseDatePrefix(text, &d)) return false;
  *days = static_cast<int32_t>(d);
  return true;
}

bool ParseTimestamp(std::string_view text, int64_t* micros) {
  int64_t days;
  if (!ParseDatePrefix(text, &days)) return false;
  int64_t seconds = days * 86400;
  int64_t fraction_us = 0;
  size_t pos = 10;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != ' ') return false;
    int h, m, s;
    if (text.size() < pos + 9 || text[pos + 3] != ':' || text[pos + 6] != ':') return false;
    if (!Digits(text, pos + 1, 2, &h) || !Digits(text, pos + 4, 2, &m) ||
        !Digits(text, pos + 7, 2, &s) || h > 23 || m > 59 || s > 59) {
      return false;
    }
    seconds += h * 3600 + m * 60 + s;
    pos += 9;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      const size_t first = pos;
      int64_t scale = 100000;
      while (pos < text.size() && IsDigit(text[pos])) {
        fraction_us += (text[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == first || pos - first > 9) return false;
    }
    if (pos < text.size()) {
      if (text[pos] == 'Z') {
        ++pos;
      } else if (text[pos] == '+' || text[pos] == '-') {
        const int sign = text[pos] == '+' ? 1 : -1;
        int oh, om;
        if (!Digits(text, pos + 1, 2, &oh)) return false;
        pos += 3;
        if (pos < text.size() && text[pos] == ':') ++pos;
        if (!Digits(text, pos, 2, &om) || oh > 23 || om > 59) return false;
        pos += 2;
        // Local time = UTC + offset.
        seconds -= sign * (oh * 3600 + om * 60);
      } else {
        return false;
      }
    }
    if (pos != text.size()) return false;
  }
  *micros = seconds * 1000000 + fraction_us;
  return true;
}

TypeInferrer::TypeInferrer(size_t num_columns) : columns_(num_columns) {
  uint32_t all = 0;
  for (DataType t : kInferenceOrder) all |= Bit(t);
  for (ColumnState& c : columns_) c.candidates = all;
}

void TypeInferrer::Observe(size_t column, std::string_view value) {
  ColumnState& c = columns_[column];
  ++c.observed;
  if (c.candidates == 0) return;
  bool b;
  if ((c.candidates & Bit(DataType::kBool)) && !ParseBool(value, &b)) {
    c.candidates &= ~Bit(DataType::kBool);
  }
  constexpr uint32_t kNumeric =
      Bit(DataType::kInt32) | Bit(DataType::kInt64) | Bit(DataType::kDouble);
  if (c.candidates & kNumeric) {
    if (IsPlainInteger(value)) {
      if (HasLeadingZero(value)) {
        c.candidates &= ~kNumeric;
      } else {
        int32_t i32;
        int64_t i64;
        if (!ParseInt32(value, &i32)) c.candidates &= ~Bit(DataType::kInt32);
        if (!ParseInt64(value, &i64)) c.candidates &= ~Bit(DataType::kInt64);
        c.saw_finite_number = true;
      }
    } else {
      // Inference only takes plain integers as integer evidence.
      c.candidates &= ~(Bit(DataType::kInt32) | Bit(DataType::kInt64));
      double d;
      if (!ParseDouble(value, &d)) {
        c.candidates &= ~Bit(DataType::kDouble);
      } else if (std::isfinite(d)) {
        c.saw_finite_number = true;
      }
    }
  }
  int32_t days;
  if ((c.candidates & Bit(DataType::kDate)) && !ParseDate(value, &days)) {
    c.candidates &= ~Bit(DataType::kDate);
  }
  int64_t micros;
  if ((c.candidates & Bit(DataType::kTimestamp)) && !ParseTimestamp(value, &micros)) {
    c.candidates &= ~Bit(DataType::kTimestamp);
  }
}

DataType TypeInferrer::Result(size_t column) const {
  const ColumnState& c = columns_[column];
  if (c.observed == 0) return DataType::kString;
  for (DataType t : kInferenceOrder) {
    if (!(c.candidates & Bit(t))) continue;
    if (t == DataType::kDouble && !c.saw_finite_number) continue;  // only "nan"/"inf" words
    return t;
  }
  return DataType::kString;
}

DataType InferType(const std::vector<std::string_view>& values) {
  TypeInferrer inferrer(1);
  for (std::string_view v : values) inferrer.Observe(0, v);
  return inferrer.Result(0);
}

absl::StatusOr<Schema> ApplySchemaOverride(const Schema& inferred, const Schema& override_schema) {
  std::vector<Field> fields = inferred.fields();
  for (const Field& f : override_schema.fields()) {
    const int i = inferred.Find(f.name);
    if (i < 0) {
      std::vector<std::string_view> names;
      for (const Field& g : fields) names.push_back(g.name);
      return absl::InvalidArgumentError(StrCat("schema override names unknown column \"", f.name,
                                               "\"; the columns are: ", StrJoin(names, ", ")));
    }
    fields[static_cast<size_t>(i)].type = f.type;
    fields[static_cast<size_t>(i)].nullable = f.nullable;
  }
  return Schema(std::move(fields));
}

}  // namespace lepton::lake::ingest
