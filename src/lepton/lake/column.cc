#include "lepton/lake/column.h"

#include <cstring>
#include <set>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::lake {
namespace {

constexpr DataType kAllTypes[] = {DataType::kBool,  DataType::kInt32,  DataType::kInt64,
                                  DataType::kFloat, DataType::kDouble, DataType::kString,
                                  DataType::kDate,  DataType::kTimestamp};

}  // namespace

std::string_view DataTypeName(DataType type) {
  switch (type) {
    case DataType::kBool: return "bool";
    case DataType::kInt32: return "int32";
    case DataType::kInt64: return "int64";
    case DataType::kFloat: return "float";
    case DataType::kDouble: return "double";
    case DataType::kString: return "string";
    case DataType::kDate: return "date";
    case DataType::kTimestamp: return "timestamp";
  }
  return "unknown";
}

absl::StatusOr<DataType> ParseDataType(std::string_view name) {
  std::vector<std::string_view> names;
  for (DataType t : kAllTypes) {
    if (DataTypeName(t) == name) return t;
    names.push_back(DataTypeName(t));
  }
  return absl::InvalidArgumentError(
      StrCat("unknown type '", name, "'; expected one of ", StrJoin(names, ", ")));
}

int FixedWidth(DataType type) {
  switch (type) {
    case DataType::kBool: return 1;
    case DataType::kInt32:
    case DataType::kDate:
    case DataType::kFloat: return 4;
    case DataType::kInt64:
    case DataType::kTimestamp:
    case DataType::kDouble: return 8;
    case DataType::kString: return 0;
  }
  return 0;
}

int Schema::Find(std::string_view name) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Json Schema::ToJson() const {
  Json fields = Json::array();
  for (const Field& f : fields_) {
    fields.push_back({{"name", f.name}, {"type", std::string(DataTypeName(f.type))}, {"nullable", f.nullable}});
  }
  return {{"fields", fields}};
}

absl::StatusOr<Schema> Schema::FromJson(const Json& json) {
  JsonFields top(json, "schema");
  std::optional<Json> fields = top.OptionalValue("fields");
  LEPTON_RETURN_IF_ERROR(top.Finish());
  if (!fields || !fields->is_array()) {
    return absl::InvalidArgumentError("schema.fields: expected an array of fields");
  }
  std::vector<Field> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < fields->size(); ++i) {
    const std::string path = StrCat("schema.fields[", i, "]");
    JsonFields f((*fields)[i], path);
    Field field;
    field.name = f.String("name");
    const std::string type = f.String("type");
    field.nullable = f.OptionalBool("nullable").value_or(true);
    LEPTON_RETURN_IF_ERROR(f.Finish());
    if (field.name.empty()) return absl::InvalidArgumentError(StrCat(path, ".name: empty"));
    if (!seen.insert(field.name).second) {
      return absl::InvalidArgumentError(StrCat(path, ".name: duplicate field '", field.name, "'"));
    }
    auto t = ParseDataType(type);
    if (!t.ok()) return Annotate(t.status(), StrCat(path, ".type"));
    field.type = *t;
    out.push_back(std::move(field));
  }
  return Schema(std::move(out));
}

Column::Column(DataType type) : type_(type) {
  if (type_ == DataType::kString) offsets_.push_back(0);
}

void Column::MarkValid(bool valid) {
  if (!valid && validity_.empty()) {
    // First null: materialize the bitmap with every earlier value valid.
    validity_.assign(static_cast<size_t>((size_ + 8) / 8), 0xff);
  }
  if (!validity_.empty()) {
    const auto byte = static_cast<size_t>(size_ >> 3);
    if (byte >= validity_.size()) validity_.push_back(0);
    const auto bit = static_cast<uint8_t>(1u << (size_ & 7));
    if (valid) validity_[byte] |= bit;
    else validity_[byte] &= static_cast<uint8_t>(~bit);
  }
  if (!valid) ++null_count_;
}

void Column::AppendFixed(const void* value, int width) {
  const size_t at = data_.size();
  data_.resize(at + static_cast<size_t>(width));
  std::memcpy(data_.data() + at, value, static_cast<size_t>(width));
}

void Column::AppendNull() {
  MarkValid(false);
  if (type_ == DataType::kString) {
    offsets_.push_back(static_cast<int64_t>(data_.size()));
  } else {
    data_.resize(data_.size() + static_cast<size_t>(FixedWidth(type_)), 0);
  }
  ++size_;
}

void Column::AppendRange(const Column& other, int64_t offset, int64_t length) {
  LEPTON_CHECK(other.type_ == type_);
  LEPTON_CHECK(offset >= 0 && length >= 0 && offset + length <= other.size_);
  if (other.validity_.empty() && validity_.empty()) {
    if (type_ == DataType::kString) {
      const int64_t b = other.offsets_[static_cast<size_t>(offset)];
      const int64_t e = other.offsets_[static_cast<size_t>(offset + length)];
      const int64_t shift = static_cast<int64_t>(data_.size()) - b;
      data_.insert(data_.end(), other.data_.begin() + b, other.data_.begin() + e);
      offsets_.reserve(offsets_.size() + static_cast<size_t>(length));
      for (int64_t j = offset + 1; j <= offset + length; ++j) {
        offsets_.push_back(other.offsets_[static_cast<size_t>(j)] + shift);
      }
    } else {
      const auto w = static_cast<size_t>(FixedWidth(type_));
      const auto* from = other.data_.data() + static_cast<size_t>(offset) * w;
      data_.insert(data_.end(), from, from + static_cast<size_t>(length) * w);
    }
    size_ += length;
    return;
  }
  for (int64_t i = 0; i < length; ++i) {
    const int64_t j = offset + i;
    if (!other.IsValid(j)) {
      AppendNull();
      continue;
    }
    MarkValid(true);
    if (type_ == DataType::kString) {
      const std::string_view s = other.StringAt(j);
      data_.insert(data_.end(), s.begin(), s.end());
      offsets_.push_back(static_cast<int64_t>(data_.size()));
    } else {
      const int w = FixedWidth(type_);
      AppendFixed(other.data_.data() + static_cast<size_t>(j) * static_cast<size_t>(w), w);
    }
    ++size_;
  }
}

namespace {

// data[at + i] = from[rows[i]] for fixed-width T.
template <typename T>
void Gather(const uint8_t* from, std::span<const uint32_t> rows, uint8_t* to) {
  for (size_t i = 0; i < rows.size(); ++i) {
    std::memcpy(to + i * sizeof(T), from + static_cast<size_t>(rows[i]) * sizeof(T), sizeof(T));
  }
}

}  // namespace

void Column::AppendTake(const Column& other, std::span<const uint32_t> rows) {
  LEPTON_CHECK(other.type_ == type_);
  if (!other.validity_.empty() || !validity_.empty()) {
    for (uint32_t r : rows) AppendRange(other, r, 1);
    return;
  }
  const auto n = static_cast<int64_t>(rows.size());
  if (type_ == DataType::kString) {
    offsets_.reserve(offsets_.size() + rows.size());
    for (uint32_t r : rows) {
      const std::string_view s = other.StringAt(r);
      data_.insert(data_.end(), s.begin(), s.end());
      offsets_.push_back(static_cast<int64_t>(data_.size()));
    }
  } else {
    const size_t at = data_.size();
    const int w = FixedWidth(type_);
    data_.resize(at + rows.size() * static_cast<size_t>(w));
    switch (w) {
      case 1: Gather<uint8_t>(other.data_.data(), rows, data_.data() + at); break;
      case 4: Gather<uint32_t>(other.data_.data(), rows, data_.data() + at); break;
      default: Gather<uint64_t>(other.data_.data(), rows, data_.data() + at); break;
    }
  }
  size_ += n;
}

void Column::Reserve(int64_t values, int64_t string_bytes) {
  if (type_ == DataType::kString) {
    offsets_.reserve(static_cast<size_t>(size_ + values + 1));
    data_.reserve(data_.size() + static_cast<size_t>(string_bytes));
  } else {
    data_.reserve(static_cast<size_t>((size_ + values) * FixedWidth(type_)));
  }
}

void Column::Clear() {
  size_ = 0;
  null_count_ = 0;
  validity_.clear();
  data_.clear();
  offsets_.clear();
  if (type_ == DataType::kString) offsets_.push_back(0);
}

int64_t Column::memory_bytes() const {
  return static_cast<int64_t>(validity_.capacity() + data_.capacity() +
                              offsets_.capacity() * sizeof(int64_t));
}

RecordBatch::RecordBatch(Schema schema) : schema_(std::move(schema)) {
  for (const Field& f : schema_.fields()) columns_.emplace_back(f.type);
}

absl::StatusOr<RecordBatch> RecordBatch::Make(Schema schema, std::vector<Column> columns) {
  if (columns.size() != schema.size()) {
    return absl::InvalidArgumentError(
        StrCat("batch has ", columns.size(), " columns for a schema of ", schema.size()));
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].type() != schema.field(i).type) {
      return absl::InvalidArgumentError(StrCat("column '", schema.field(i).name, "' is ",
                                               DataTypeName(columns[i].type()), ", schema says ",
                                               DataTypeName(schema.field(i).type)));
    }
    if (columns[i].size() != columns[0].size()) {
      return absl::InvalidArgumentError(StrCat("column '", schema.field(i).name, "' has ",
                                               columns[i].size(), " values, the first has ",
                                               columns[0].size()));
    }
  }
  RecordBatch b;
  b.schema_ = std::move(schema);
  b.columns_ = std::move(columns);
  return b;
}

RecordBatch RecordBatch::Slice(int64_t offset, int64_t length) const {
  RecordBatch out(schema_);
  for (size_t i = 0; i < columns_.size(); ++i) out.columns_[i].AppendRange(columns_[i], offset, length);
  return out;
}

RecordBatch RecordBatch::Project(const std::vector<int>& indices) const {
  std::vector<Field> fields;
  RecordBatch out;
  for (int i : indices) {
    fields.push_back(schema_.field(static_cast<size_t>(i)));
    out.columns_.push_back(columns_[static_cast<size_t>(i)]);
  }
  out.schema_ = Schema(std::move(fields));
  return out;
}

}  // namespace lepton::lake
