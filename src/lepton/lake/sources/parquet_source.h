#pragma once
// A Parquet file as a `BatchSource`: one batch per non-empty row group, read by
// `parquet::ParquetReader` (so any file that reader accepts: Lepton's own and other writers'
// flat files; see parquet_reader.h for the type mapping and the unsupported cases). Memory is
// bounded by one row group.
// Thread-compatible: a source is used by one thread at a time.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/lake/column.h"
#include "lepton/lake/parquet/parquet_reader.h"
#include "lepton/lake/sources/batch_source.h"

namespace lepton::lake::sources {

struct ParquetSourceOptions {
  // Only these columns, in this order; empty = all columns of the file.
  std::vector<std::string> columns;
};

class ParquetSource : public BatchSource {
 public:
  // Opens `path` and parses its footer. Errors as `ParquetReader::Open` (NotFound, DataLoss,
  // Unimplemented); InvalidArgument naming a column in `options.columns` the file does not have.
  static absl::StatusOr<std::unique_ptr<ParquetSource>> Open(const std::string& path,
                                                             ParquetSourceOptions options = {});

  const Schema& schema() const override { return schema_; }
  // The next non-empty row group. DataLoss on corrupt data, Unimplemented for unsupported
  // encodings or codecs.
  absl::StatusOr<std::optional<RecordBatch>> ReadNext() override;
  int64_t rows_read() const override { return rows_read_; }
  // Parquet files have no bad rows: always 0.
  int64_t bad_rows() const override { return 0; }
  // "parquet: <path>".
  std::string description() const override;

  // The underlying reader (row counts, statistics).
  const parquet::ParquetReader& reader() const { return *reader_; }

 private:
  ParquetSource(std::string path, std::unique_ptr<parquet::ParquetReader> reader,
                std::vector<int> columns, Schema schema);

  std::string path_;
  std::unique_ptr<parquet::ParquetReader> reader_;
  std::vector<int> columns_;
  Schema schema_;
  int next_group_ = 0;
  int64_t rows_read_ = 0;
};

}  // namespace lepton::lake::sources
