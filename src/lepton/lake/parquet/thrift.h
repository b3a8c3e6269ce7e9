#pragma once
// Thrift compact protocol, just enough for Parquet metadata: a writer that emits structs, lists,
// integers, binaries and bools, and a bounds-checked reader that can skip any value it does not
// know. The reader never reads past its input and bounds nesting depth and lengths; corrupt or
// truncated input yields InvalidArgument/DataLoss, never a crash.
// Not thread-safe; each instance is used by one thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lepton::lake::parquet {

// Compact protocol type codes.
enum class ThriftType : uint8_t {
  kStop = 0,
  kBoolTrue = 1,
  kBoolFalse = 2,
  kI8 = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
  kUuid = 13,
};

// Appends compact-protocol bytes to a string. Calls must nest correctly: StructBegin/StructEnd
// around the fields of every struct (the top-level one included), ListBegin before its elements.
class ThriftWriter {
 public:
  explicit ThriftWriter(std::string* out) : out_(out) {}

  void StructBegin();
  void StructEnd();  // writes the stop byte
  void FieldI32(int16_t id, int32_t v);
  void FieldI64(int16_t id, int64_t v);
  void FieldBool(int16_t id, bool v);
  void FieldBinary(int16_t id, std::string_view v);
  // A struct-valued field: call StructBegin() ... StructEnd() right after.
  void FieldStruct(int16_t id);
  // A list-valued field of `size` elements of `element_type`; then write the elements with
  // the Element* calls (struct elements: StructBegin() ... StructEnd()).
  void FieldList(int16_t id, ThriftType element_type, int64_t size);
  void ElementI32(int32_t v);
  void ElementBinary(std::string_view v);

 private:
  void FieldHeader(int16_t id, ThriftType type);
  void Varint(uint64_t v);
  void Zigzag(int64_t v);

  std::string* out_;
  std::vector<int16_t> last_ids_;
  int16_t last_id_ = 0;
};

// Reads compact-protocol values from a buffer. Usage per struct:
//   LEPTON_RETURN_IF_ERROR(r.StructBegin());
//   for (;;) { int16_t id; ThriftType t; LEPTON_RETURN_IF_ERROR(r.FieldHeader(&id, &t));
//              if (t == ThriftType::kStop) break; switch (id) {...; default: r.Skip(t)} }
//   r.StructEnd();
class ThriftReader {
 public:
  static constexpr int kMaxDepth = 64;
  // Longest binary or list accepted (bytes / elements); also bounded by the remaining input.
  static constexpr int64_t kMaxLength = int64_t{1} << 31;

  explicit ThriftReader(std::string_view data) : data_(data) {}

  size_t position() const { return pos_; }

  absl::Status StructBegin();
  void StructEnd();
  // Reads a field header; `type` is kStop at the end of the struct.
  absl::Status FieldHeader(int16_t* id, ThriftType* type);
  // Typed reads of a field value whose header said `type`; DataLoss on a type mismatch.
  absl::StatusOr<int64_t> ReadInt(ThriftType type);  // any of i8/i16/i32/i64
  absl::StatusOr<int32_t> ReadI32(ThriftType type);  // range-checked
  absl::StatusOr<bool> ReadBool(ThriftType type);    // field bools carry the value in the type
  absl::StatusOr<std::string> ReadBinary(ThriftType type);
  // List header of a field whose header said kList (or kSet).
  absl::Status ReadListHeader(ThriftType type, ThriftType* element_type, int64_t* size);
  // Skips one value of `type` (any type, nested up to kMaxDepth).
  absl::Status Skip(ThriftType type);
  // For list elements: bools are one byte, other types as fields.
  absl::StatusOr<bool> ReadBoolElement();

 private:
  absl::StatusOr<uint64_t> Varint();
  absl::StatusOr<int64_t> Zigzag();
  absl::Status SkipDepth(ThriftType type, int depth);

  std::string_view data_;
  size_t pos_ = 0;
  std::vector<int16_t> last_ids_;
  int16_t last_id_ = 0;
};

}  // namespace lepton::lake::parquet
