#pragma once
// Reads flat Parquet files (from Lepton or other writers) into RecordBatches, one row group at a
// time, only the requested columns.
//
// Accepted: data pages v1 and v2; PLAIN, PLAIN_DICTIONARY/RLE_DICTIONARY, RLE (booleans),
// DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT values;
// UNCOMPRESSED, SNAPPY, GZIP, ZSTD and LZ4_RAW pages; REQUIRED and OPTIONAL leaves.
// Type mapping: BOOLEAN→bool; INT32→int32 (DATE→date; INT8/16, UINT8/16→int32; UINT32→int64);
// INT64→int64 (TIMESTAMP of any unit, UTC-adjusted or not, → timestamp in µs);
// INT96→timestamp (µs); FLOAT/DOUBLE; BYTE_ARRAY (STRING/UTF8/ENUM/JSON or unannotated)→string.
// Nested/repeated columns, DECIMAL, TIME, UINT64, FIXED_LEN_BYTE_ARRAY and encrypted files fail
// Open() with Unimplemented naming the column. Corrupt or truncated files yield DataLoss or
// InvalidArgument, never a crash.
// Thread-compatible: concurrent const calls are safe (reads use pread).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/lake/column.h"

namespace lepton::lake::parquet {

// A statistics value in the column's Lepton type: bool, int32_t (int32, date), int64_t (int64,
// timestamp in µs), float, double, std::string.
using StatValue = std::variant<bool, int32_t, int64_t, float, double, std::string>;

struct ColumnStatistics {
  std::optional<StatValue> min;  // absent when unknown (not written, all null, or unusable)
  std::optional<StatValue> max;
  std::optional<int64_t> null_count;  // absent when the file does not say
};

class ParquetReader {
 public:
  // Opens `path` and parses its footer. NotFound if missing; DataLoss if it is not a valid
  // Parquet file; Unimplemented for unsupported columns (see above).
  static absl::StatusOr<std::unique_ptr<ParquetReader>> Open(const std::string& path);
  // As `Open`, for a whole file already in memory (e.g. decrypted, see lake/crypto/); `name`
  // labels errors. Errors as `Open` (but never NotFound).
  static absl::StatusOr<std::unique_ptr<ParquetReader>> OpenBytes(std::string bytes,
                                                                  std::string name);
  ~ParquetReader();
  ParquetReader(const ParquetReader&) = delete;
  ParquetReader& operator=(const ParquetReader&) = delete;

  const Schema& schema() const { return schema_; }
  int64_t num_rows() const { return num_rows_; }
  int num_row_groups() const;
  int64_t row_group_num_rows(int i) const;
  const std::string& created_by() const { return created_by_; }

  // Statistics of every column of row group `i` (0 <= i < num_row_groups()), in schema order.
  std::vector<ColumnStatistics> RowGroupStatistics(int i) const;

  // Reads row group `i`, only `columns` (schema indices, in that order; empty = none).
  // OutOfRange for a bad `i`, InvalidArgument for a bad column index, DataLoss on corrupt data,
  // Unimplemented for unsupported encodings or codecs.
  absl::StatusOr<RecordBatch> ReadRowGroup(int i, const std::vector<int>& columns) const;
  // All row groups, all columns, concatenated.
  absl::StatusOr<RecordBatch> ReadAll() const;

 private:
  struct ColumnInfo;
  struct RowGroupInfo;
  ParquetReader() = default;
  static absl::StatusOr<std::unique_ptr<ParquetReader>> ParseFooter(
      std::unique_ptr<ParquetReader> r);
  absl::StatusOr<std::string> ReadAt(int64_t offset, int64_t length) const;
  absl::Status ReadColumnChunk(int group, int column, Column* out) const;

  std::string path_;
  int fd_ = -1;         // -1: the file is in `bytes_`
  std::string bytes_;
  int64_t file_size_ = 0;
  Schema schema_;
  int64_t num_rows_ = 0;
  std::string created_by_;
  std::vector<ColumnInfo> columns_;
  std::vector<RowGroupInfo> row_groups_;
};

}  // namespace lepton::lake::parquet
