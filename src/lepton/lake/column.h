#pragma once
// In-memory columnar data: typed columns with validity bitmaps, and record batches of them.
// The lake, the SQL engine, features and training all work on these without row-by-row copies.
//
// Layout (Arrow-like, little-endian):
//   - fixed-width types keep their values contiguously in `data` (bool as one byte per value,
//     date as int32 days since 1970-01-01, timestamp as int64 microseconds since the epoch, UTC);
//   - strings keep `size + 1` int64 offsets into `data` (value i is data[offsets[i],
//     offsets[i+1]));
//   - validity is a bitmap (bit i set = value i present), materialized only once the first null
//     arrives; a null slot still occupies its place in `data` (zero / empty string).
// Thread-compatible: concurrent const access is safe; mutation needs external locking.

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/base/status.h"

namespace lepton::lake {

enum class DataType { kBool, kInt32, kInt64, kFloat, kDouble, kString, kDate, kTimestamp };

// "bool", "int32", "int64", "float", "double", "string", "date", "timestamp".
std::string_view DataTypeName(DataType type);
// InvalidArgument listing the valid names when `name` is not one.
absl::StatusOr<DataType> ParseDataType(std::string_view name);
// Bytes per value of a fixed-width type; 0 for strings.
int FixedWidth(DataType type);

struct Field {
  std::string name;
  DataType type = DataType::kString;
  bool nullable = true;
  bool operator==(const Field&) const = default;
};

class Schema {
 public:
  Schema() = default;
  explicit Schema(std::vector<Field> fields) : fields_(std::move(fields)) {}
  const std::vector<Field>& fields() const { return fields_; }
  size_t size() const { return fields_.size(); }
  const Field& field(size_t i) const { return fields_[i]; }
  // Index of the field called `name`, or -1.
  int Find(std::string_view name) const;
  bool operator==(const Schema&) const = default;

  // {"fields": [{"name": …, "type": "int64", "nullable": true}, …]}
  Json ToJson() const;
  // InvalidArgument naming the problem (bad type, duplicate or empty name).
  static absl::StatusOr<Schema> FromJson(const Json& json);

 private:
  std::vector<Field> fields_;
};

class Column {
 public:
  explicit Column(DataType type);

  DataType type() const { return type_; }
  int64_t size() const { return size_; }
  int64_t null_count() const { return null_count_; }
  bool IsValid(int64_t i) const {
    return validity_.empty() || ((validity_[static_cast<size_t>(i >> 3)] >> (i & 7)) & 1);
  }
  bool IsNull(int64_t i) const { return !IsValid(i); }

  // Fixed-width values; `T` must match the type (uint8_t for bool, int32_t for int32 and date,
  // int64_t for int64 and timestamp, float, double). Null slots hold zero.
  template <typename T>
  std::span<const T> Values() const {
    return {reinterpret_cast<const T*>(data_.data()), static_cast<size_t>(size_)};
  }
  template <typename T>
  T ValueAt(int64_t i) const {
    return Values<T>()[static_cast<size_t>(i)];
  }
  // The string at `i` ("" for nulls). Precondition: type() == kString.
  std::string_view StringAt(int64_t i) const {
    const auto b = static_cast<size_t>(offsets_[static_cast<size_t>(i)]);
    const auto e = static_cast<size_t>(offsets_[static_cast<size_t>(i) + 1]);
    return {reinterpret_cast<const char*>(data_.data()) + b, e - b};
  }
  std::span<const int64_t> offsets() const { return offsets_; }
  std::span<const uint8_t> data() const { return data_; }
  // Empty when the column has no nulls.
  std::span<const uint8_t> validity() const { return validity_; }

  // Appending. The typed appends require the matching type (checked in debug builds). They are
  // inline: parsers call them once per value, so the call itself is a measurable share of
  // ingest time.
  void AppendNull();
  void AppendBool(bool v) {
    LEPTON_DCHECK(type_ == DataType::kBool);
    AppendValue<uint8_t>(v ? 1 : 0);
  }
  void AppendInt32(int32_t v) {  // int32 and date
    LEPTON_DCHECK(type_ == DataType::kInt32 || type_ == DataType::kDate);
    AppendValue(v);
  }
  void AppendInt64(int64_t v) {  // int64 and timestamp
    LEPTON_DCHECK(type_ == DataType::kInt64 || type_ == DataType::kTimestamp);
    AppendValue(v);
  }
  void AppendFloat(float v) {
    LEPTON_DCHECK(type_ == DataType::kFloat);
    AppendValue(v);
  }
  void AppendDouble(double v) {
    LEPTON_DCHECK(type_ == DataType::kDouble);
    AppendValue(v);
  }
  void AppendString(std::string_view v) {
    LEPTON_DCHECK(type_ == DataType::kString);
    if (!validity_.empty()) MarkValid(true);
    const size_t at = data_.size();
    data_.resize(at + v.size());
    if (!v.empty()) std::memcpy(data_.data() + at, v.data(), v.size());
    offsets_.push_back(static_cast<int64_t>(data_.size()));
    ++size_;
  }
  // Appends values [offset, offset + length) of `other` (same type). Block copies when neither
  // column has nulls.
  void AppendRange(const Column& other, int64_t offset, int64_t length);
  // Appends other[rows[0]], other[rows[1]], … (same type; every index < other.size()). The
  // gather behind dictionary decoding and filtered scans.
  void AppendTake(const Column& other, std::span<const uint32_t> rows);
  void Reserve(int64_t values, int64_t string_bytes = 0);
  // Drops all values, keeping the type.
  void Clear();

  // Approximate heap bytes held.
  int64_t memory_bytes() const;

 private:
  template <typename T>
  void AppendValue(T v) {
    if (!validity_.empty()) MarkValid(true);  // no bitmap yet: every value so far is valid
    const size_t at = data_.size();
    data_.resize(at + sizeof(T));
    std::memcpy(data_.data() + at, &v, sizeof(T));
    ++size_;
  }
  void AppendFixed(const void* value, int width);
  void MarkValid(bool valid);

  DataType type_;
  int64_t size_ = 0;
  int64_t null_count_ = 0;
  std::vector<uint8_t> validity_;
  std::vector<uint8_t> data_;
  std::vector<int64_t> offsets_;
};

// A schema and one column per field, all of `num_rows` values.
class RecordBatch {
 public:
  RecordBatch() = default;
  // Empty columns for `schema`.
  explicit RecordBatch(Schema schema);
  // InvalidArgument when the columns do not match the schema's types or have unequal lengths.
  static absl::StatusOr<RecordBatch> Make(Schema schema, std::vector<Column> columns);

  const Schema& schema() const { return schema_; }
  int64_t num_rows() const { return columns_.empty() ? 0 : columns_[0].size(); }
  size_t num_columns() const { return columns_.size(); }
  const Column& column(size_t i) const { return columns_[i]; }
  Column& mutable_column(size_t i) { return columns_[i]; }
  const std::vector<Column>& columns() const { return columns_; }

  // Rows [offset, offset + length) as a new batch.
  RecordBatch Slice(int64_t offset, int64_t length) const;
  // Only the columns at `indices`, in that order.
  RecordBatch Project(const std::vector<int>& indices) const;

 private:
  Schema schema_;
  std::vector<Column> columns_;
};

}  // namespace lepton::lake
