#pragma once
// Reads Parquet files with nested schemas (structs, maps, lists; see nested_schema.h for the
// JSON mapping) back into one JSON object per record, for metadata files such as Delta
// checkpoints written by us, Spark, delta-rs or DuckDB.
//
// Supported: data pages v1 and v2 (page CRCs verified when present); PLAIN, RLE_DICTIONARY /
// PLAIN_DICTIONARY (with a dictionary page), RLE booleans, DELTA_BINARY_PACKED,
// DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY values; every codec of encoding.h; all physical
// types but INT96. Records are assembled from the
// definition and repetition levels (Dremel); present-but-null fields appear as JSON null.
// Corrupt or truncated input yields DataLoss (never a crash or a wrong record count);
// unsupported encodings yield Unimplemented.
//
// The whole file is held in memory: meant for small files that are read whole.
// Thread-safe after Open: `ReadAll` is const and keeps no state.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/lake/parquet/metadata.h"
#include "lepton/lake/parquet/nested_schema.h"

namespace lepton::lake::parquet {

class NestedReader {
 public:
  // Reads and parses the footer of the file at `path`. NotFound when it does not exist;
  // DataLoss when it is not a valid Parquet file.
  static absl::StatusOr<std::unique_ptr<NestedReader>> Open(const std::string& path);
  // The same for a file already in memory; `name` only labels errors.
  static absl::StatusOr<std::unique_ptr<NestedReader>> OpenBytes(std::string bytes,
                                                                 std::string name);

  // The root's fields.
  const std::vector<SchemaNode>& fields() const { return fields_; }
  int64_t num_rows() const { return metadata_.num_rows; }
  const std::vector<KeyValue>& key_value_metadata() const { return metadata_.key_value_metadata; }

  // Every record in file order. When `only_fields` is not empty, only those top-level fields
  // are decoded and the records hold only them (which also tolerates columns elsewhere in the
  // file that this reader cannot decode). InvalidArgument for a name that is not a field.
  absl::StatusOr<std::vector<Json>> ReadAll(const std::vector<std::string>& only_fields = {}) const;

 private:
  NestedReader() = default;
  absl::Status Init();

  std::string name_;
  std::string bytes_;
  FileMetaData metadata_;
  std::vector<SchemaNode> fields_;
  std::vector<LeafColumn> leaves_;
};

}  // namespace lepton::lake::parquet
