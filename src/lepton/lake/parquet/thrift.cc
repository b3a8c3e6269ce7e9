#include "lepton/lake/parquet/thrift.h"

#include <cstring>
#include <limits>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::lake::parquet {

namespace {
absl::Status Truncated(size_t pos) {
  return absl::DataLossError(StrCat("thrift: truncated input at byte ", pos));
}
}  // namespace

// ---- ThriftWriter ----

void ThriftWriter::Varint(uint64_t v) {
  while (v >= 0x80) {
    out_->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_->push_back(static_cast<char>(v));
}

void ThriftWriter::Zigzag(int64_t v) {
  Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

void ThriftWriter::StructBegin() {
  last_ids_.push_back(last_id_);
  last_id_ = 0;
}

void ThriftWriter::StructEnd() {
  out_->push_back(0);
  last_id_ = last_ids_.empty() ? 0 : last_ids_.back();
  if (!last_ids_.empty()) last_ids_.pop_back();
}

void ThriftWriter::FieldHeader(int16_t id, ThriftType type) {
  const int delta = id - last_id_;
  if (delta > 0 && delta <= 15) {
    out_->push_back(static_cast<char>((delta << 4) | static_cast<int>(type)));
  } else {
    out_->push_back(static_cast<char>(type));
    Zigzag(id);
  }
  last_id_ = id;
}

void ThriftWriter::FieldI32(int16_t id, int32_t v) {
  FieldHeader(id, ThriftType::kI32);
  Zigzag(v);
}

void ThriftWriter::FieldI64(int16_t id, int64_t v) {
  FieldHeader(id, ThriftType::kI64);
  Zigzag(v);
}

void ThriftWriter::FieldBool(int16_t id, bool v) {
  FieldHeader(id, v ? ThriftType::kBoolTrue : ThriftType::kBoolFalse);
}

void ThriftWriter::FieldBinary(int16_t id, std::string_view v) {
  FieldHeader(id, ThriftType::kBinary);
  Varint(v.size());
  out_->append(v);
}

void ThriftWriter::FieldStruct(int16_t id) { FieldHeader(id, ThriftType::kStruct); }

void ThriftWriter::FieldList(int16_t id, ThriftType element_type, int64_t size) {
  FieldHeader(id, ThriftType::kList);
  if (size < 15) {
    out_->push_back(static_cast<char>((size << 4) | static_cast<int>(element_type)));
  } else {
    out_->push_back(static_cast<char>(0xf0 | static_cast<int>(element_type)));
    Varint(static_cast<uint64_t>(size));
  }
}

void ThriftWriter::ElementI32(int32_t v) { Zigzag(v); }

void ThriftWriter::ElementBinary(std::string_view v) {
  Varint(v.size());
  out_->append(v);
}

// ---- ThriftReader ----

absl::StatusOr<uint64_t> ThriftReader::Varint() {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= data_.size()) return Truncated(pos_);
    const auto b = static_cast<uint8_t>(data_[pos_++]);
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return result;
  }
  return absl::DataLossError(StrCat("thrift: varint too long at byte ", pos_));
}

absl::StatusOr<int64_t> ThriftReader::Zigzag() {
  LEPTON_ASSIGN_OR_RETURN(uint64_t u, Varint());
  return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

absl::Status ThriftReader::StructBegin() {
  if (last_ids_.size() >= static_cast<size_t>(kMaxDepth)) {
    return absl::DataLossError("thrift: structs nested too deeply");
  }
  last_ids_.push_back(last_id_);
  last_id_ = 0;
  return absl::OkStatus();
}

void ThriftReader::StructEnd() {
  if (last_ids_.empty()) return;
  last_id_ = last_ids_.back();
  last_ids_.pop_back();
}

absl::Status ThriftReader::FieldHeader(int16_t* id, ThriftType* type) {
  if (pos_ >= data_.size()) return Truncated(pos_);
  const auto b = static_cast<uint8_t>(data_[pos_++]);
  const int t = b & 0x0f;
  if (t > static_cast<int>(ThriftType::kUuid)) {
    return absl::DataLossError(StrCat("thrift: bad type code ", t, " at byte ", pos_ - 1));
  }
  *type = static_cast<ThriftType>(t);
  if (*type == ThriftType::kStop) {
    if (b != 0) return absl::DataLossError(StrCat("thrift: bad stop byte at ", pos_ - 1));
    *id = 0;
    return absl::OkStatus();
  }
  const int delta = b >> 4;
  if (delta != 0) {
    *id = static_cast<int16_t>(last_id_ + delta);
  } else {
    LEPTON_ASSIGN_OR_RETURN(int64_t v, Zigzag());
    if (v < std::numeric_limits<int16_t>::min() || v > std::numeric_limits<int16_t>::max()) {
      return absl::DataLossError("thrift: field id out of range");
    }
    *id = static_cast<int16_t>(v);
  }
  last_id_ = *id;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ThriftReader::ReadInt(ThriftType type) {
  switch (type) {
    case ThriftType::kI8:
      if (pos_ >= data_.size()) return Truncated(pos_);
      return static_cast<int8_t>(data_[pos_++]);
    case ThriftType::kI16:
    case ThriftType::kI32:
    case ThriftType::kI64:
      return Zigzag();
    default:
      return absl::DataLossError(
          StrCat("thrift: expected an integer, got type ", static_cast<int>(type)));
  }
}

absl::StatusOr<int32_t> ThriftReader::ReadI32(ThriftType type) {
  LEPTON_ASSIGN_OR_RETURN(int64_t v, ReadInt(type));
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    return absl::DataLossError(StrCat("thrift: i32 out of range: ", v));
  }
  return static_cast<int32_t>(v);
}

absl::StatusOr<bool> ThriftReader::ReadBool(ThriftType type) {
  if (type == ThriftType::kBoolTrue) return true;
  if (type == ThriftType::kBoolFalse) return false;
  return absl::DataLossError(
      StrCat("thrift: expected a bool, got type ", static_cast<int>(type)));
}

absl::StatusOr<bool> ThriftReader::ReadBoolElement() {
  if (pos_ >= data_.size()) return Truncated(pos_);
  return static_cast<uint8_t>(data_[pos_++]) == 1;
}

absl::StatusOr<std::string> ThriftReader::ReadBinary(ThriftType type) {
  if (type != ThriftType::kBinary) {
    return absl::DataLossError(
        StrCat("thrift: expected a binary, got type ", static_cast<int>(type)));
  }
  LEPTON_ASSIGN_OR_RETURN(uint64_t n, Varint());
  if (n > static_cast<uint64_t>(kMaxLength) || n > data_.size() - pos_) return Truncated(pos_);
  std::string out(data_.substr(pos_, n));
  pos_ += n;
  return out;
}

absl::Status ThriftReader::ReadListHeader(ThriftType type, ThriftType* element_type,
                                          int64_t* size) {
  if (type != ThriftType::kList && type != ThriftType::kSet) {
    return absl::DataLossError(
        StrCat("thrift: expected a list, got type ", static_cast<int>(type)));
  }
  if (pos_ >= data_.size()) return Truncated(pos_);
  const auto b = static_cast<uint8_t>(data_[pos_++]);
  const int t = b & 0x0f;
  if (t == 0 || t > static_cast<int>(ThriftType::kUuid)) {
    return absl::DataLossError(StrCat("thrift: bad list element type ", t));
  }
  *element_type = static_cast<ThriftType>(t);
  uint64_t n = b >> 4;
  if (n == 15) {
    LEPTON_ASSIGN_OR_RETURN(n, Varint());
  }
  // Every element takes at least one byte, so the remaining input bounds the element count.
  if (n > static_cast<uint64_t>(kMaxLength) || n > data_.size() - pos_) {
    return absl::DataLossError(StrCat("thrift: list of ", n, " elements exceeds the input"));
  }
  *size = static_cast<int64_t>(n);
  return absl::OkStatus();
}

absl::Status ThriftReader::Skip(ThriftType type) { return SkipDepth(type, 0); }

absl::Status ThriftReader::SkipDepth(ThriftType type, int depth) {
  if (depth > kMaxDepth) return absl::DataLossError("thrift: values nested too deeply");
  switch (type) {
    case ThriftType::kBoolTrue:
    case ThriftType::kBoolFalse:
      return absl::OkStatus();
    case ThriftType::kI8:
    case ThriftType::kI16:
    case ThriftType::kI32:
    case ThriftType::kI64:
      return ReadInt(type).status();
    case ThriftType::kDouble:
      if (data_.size() - pos_ < 8) return Truncated(pos_);
      pos_ += 8;
      return absl::OkStatus();
    case ThriftType::kUuid:
      if (data_.size() - pos_ < 16) return Truncated(pos_);
      pos_ += 16;
      return absl::OkStatus();
    case ThriftType::kBinary: {
      LEPTON_ASSIGN_OR_RETURN(uint64_t n, Varint());
      if (n > data_.size() - pos_) return Truncated(pos_);
      pos_ += n;
      return absl::OkStatus();
    }
    case ThriftType::kList:
    case ThriftType::kSet: {
      ThriftType et;
      int64_t n;
      LEPTON_RETURN_IF_ERROR(ReadListHeader(type, &et, &n));
      for (int64_t i = 0; i < n; ++i) {
        if (et == ThriftType::kBoolTrue || et == ThriftType::kBoolFalse) {
          LEPTON_RETURN_IF_ERROR(ReadBoolElement().status());
        } else {
          LEPTON_RETURN_IF_ERROR(SkipDepth(et, depth + 1));
        }
      }
      return absl::OkStatus();
    }
    case ThriftType::kMap: {
      LEPTON_ASSIGN_OR_RETURN(uint64_t n, Varint());
      if (n == 0) return absl::OkStatus();
      if (pos_ >= data_.size()) return Truncated(pos_);
      if (n > data_.size() - pos_) return Truncated(pos_);
      const auto kv = static_cast<uint8_t>(data_[pos_++]);
      const int kt = kv >> 4;
      const int vt = kv & 0x0f;
      if (kt == 0 || kt > 13 || vt == 0 || vt > 13) {
        return absl::DataLossError("thrift: bad map element types");
      }
      for (uint64_t i = 0; i < n; ++i) {
        for (int t : {kt, vt}) {
          const auto tt = static_cast<ThriftType>(t);
          if (tt == ThriftType::kBoolTrue || tt == ThriftType::kBoolFalse) {
            LEPTON_RETURN_IF_ERROR(ReadBoolElement().status());
          } else {
            LEPTON_RETURN_IF_ERROR(SkipDepth(tt, depth + 1));
          }
        }
      }
      return absl::OkStatus();
    }
    case ThriftType::kStruct: {
      LEPTON_RETURN_IF_ERROR(StructBegin());
      for (;;) {
        int16_t id;
        ThriftType t;
        LEPTON_RETURN_IF_ERROR(FieldHeader(&id, &t));
        if (t == ThriftType::kStop) break;
        LEPTON_RETURN_IF_ERROR(SkipDepth(t, depth + 1));
      }
      StructEnd();
      return absl::OkStatus();
    }
    case ThriftType::kStop:
      break;
  }
  return absl::DataLossError(StrCat("thrift: cannot skip type ", static_cast<int>(type)));
}

}  // namespace lepton::lake::parquet
