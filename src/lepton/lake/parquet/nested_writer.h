#pragma once
// Writes records with a nested schema (structs, maps, lists; see nested_schema.h for the JSON
// mapping) to a Parquet file, for metadata files such as Delta checkpoints. Records are shredded
// Dremel-style into one column per leaf (values + definition levels + repetition levels) and
// written as one data page v1 per column chunk: RLE repetition levels, RLE definition levels and
// PLAIN values, the page body compressed with `codec`, with a page CRC-32 so that readers detect
// corrupt values. No dictionary pages and no statistics: this writer favours simplicity over
// size, since its files are small and read whole.
//
//   LEPTON_ASSIGN_OR_RETURN(auto w, NestedWriter::Create(fields, {}));
//   LEPTON_RETURN_IF_ERROR(w->Write(record));   // any number of times
//   LEPTON_ASSIGN_OR_RETURN(std::string file, w->Finish());
//
// The file is assembled in memory (metadata files are small); `WriteNestedParquetFile` publishes
// it atomically. For the flat tables of the lake use `ParquetWriter`, which streams and encodes
// far more compactly.
// Thread-compatible: one thread at a time.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/lake/parquet/metadata.h"
#include "lepton/lake/parquet/nested_schema.h"

namespace lepton::lake::parquet {

struct NestedWriterOptions {
  // Page codec: kUncompressed, kSnappy, kGzip, kZstd or kLz4Raw.
  int32_t codec = kSnappy;
  // A row group is cut after this many records.
  int64_t row_group_size_rows = int64_t{1} << 16;
  std::string created_by = "lepton version 0.1.0";
  // Written to the footer's key_value_metadata.
  std::vector<KeyValue> key_value_metadata;
  // Name of the root schema element.
  std::string root_name = "schema";
};

class NestedWriter {
 public:
  // InvalidArgument for an empty schema, a group without children, a leaf of an unsupported type
  // (INT96) or bad options.
  static absl::StatusOr<std::unique_ptr<NestedWriter>> Create(std::vector<SchemaNode> fields,
                                                              NestedWriterOptions options);
  ~NestedWriter();
  NestedWriter(const NestedWriter&) = delete;
  NestedWriter& operator=(const NestedWriter&) = delete;

  // Shreds one record (a JSON object). InvalidArgument when it does not fit the schema (a null
  // REQUIRED field, a value of the wrong JSON type, an integer out of range); the error names
  // the field. After an error the writer is failed: later calls return FailedPrecondition.
  absl::Status Write(const Json& record);

  // Flushes the last row group and returns the complete file. FailedPrecondition when the
  // writer failed earlier or was finished already.
  absl::StatusOr<std::string> Finish();

  int64_t num_rows() const { return total_rows_; }

 private:
  struct Column;
  NestedWriter(std::vector<SchemaNode> fields, NestedWriterOptions options);
  absl::Status FlushRowGroup();
  absl::Status ShredField(const SchemaNode& n, size_t first, const Json* v, uint32_t r, uint32_t d,
                          uint32_t rd);
  absl::Status ShredInstance(const SchemaNode& n, size_t first, const Json& v, uint32_t r,
                             uint32_t d, uint32_t rd);
  void ShredNulls(const SchemaNode& n, size_t first, uint32_t r, uint32_t d);
  size_t LeafCount(const SchemaNode& n) const;

  std::vector<SchemaNode> fields_;
  NestedWriterOptions options_;
  std::vector<LeafColumn> leaves_;
  std::vector<Column> columns_;
  std::string out_;
  std::vector<RowGroup> row_groups_;
  int64_t pending_rows_ = 0;
  int64_t total_rows_ = 0;
  bool failed_ = false;
  bool finished_ = false;
};

// Writes `records` to `path` atomically (temporary file, fsync, rename over `path`), so
// concurrent writers of the same content are harmless. Returns the file's size in bytes.
absl::StatusOr<int64_t> WriteNestedParquetFile(const std::string& path,
                                               std::vector<SchemaNode> fields,
                                               const std::vector<Json>& records,
                                               NestedWriterOptions options = {});

}  // namespace lepton::lake::parquet
