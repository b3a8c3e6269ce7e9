#pragma once
// Writes a RecordBatch stream to one Parquet file (flat schema, data page v1).
//
//   LEPTON_ASSIGN_OR_RETURN(auto writer, ParquetWriter::Open(path, schema, {}));
//   LEPTON_RETURN_IF_ERROR(writer->Write(batch));   // any number of times
//   LEPTON_RETURN_IF_ERROR(writer->Close());        // footer; the file appears atomically
//
// Column mapping: bool→BOOLEAN, int32→INT32, int64→INT64, float→FLOAT, double→DOUBLE,
// string→BYTE_ARRAY STRING (UTF8), date→INT32 DATE, timestamp→INT64 TIMESTAMP(UTC, MICROS).
// Nullable fields are OPTIONAL (RLE definition levels), others REQUIRED. Each column chunk gets
// min/max (TYPE_ORDER; strings byte-wise; NaN ignored) and null_count statistics.
// Atomicity: the data goes to "<path>.tmp-<pid>-<n>" and is renamed over `path` by Close() after
// an fsync; a writer destroyed without Close() deletes its temporary file.
// `Open(std::unique_ptr<ByteSink>, …)` writes through a caller-supplied sink instead (e.g. one
// that encrypts, see lake/crypto/); the sink then owns atomicity and durability.
// Thread-compatible: one thread at a time.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/lake/column.h"

namespace lepton::lake::parquet {

enum class Compression { kUncompressed, kSnappy, kGzip, kZstd, kLz4Raw };

struct WriterOptions {
  Compression compression = Compression::kZstd;
  // Dictionary-encode (RLE_DICTIONARY + PLAIN dictionary page) the columns where it is smaller
  // than PLAIN; a chunk whose dictionary exceeds `dictionary_page_size_limit` falls back to PLAIN.
  bool dictionary = true;
  int64_t dictionary_page_size_limit = 1 << 20;
  // A row group is cut when either limit is reached (uncompressed value bytes / rows). 256 Ki
  // rows (DuckDB writes 120 Ki) keeps the rows a writer buffers, and the encoding left to do
  // when the last row arrives, small, and gives statistics-based skipping a finer grain.
  int64_t row_group_size_bytes = int64_t{128} << 20;
  int64_t row_group_size_rows = 1 << 18;
  // Target uncompressed size of a data page.
  int64_t page_size_bytes = 1 << 20;
  std::string created_by = "lepton version 0.1.0";
};

// Where a `ParquetWriter` sends the bytes of a file, in order. Not called concurrently.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Appends `data`. An error fails the writer.
  virtual absl::Status Append(std::string_view data) = 0;
  // Called once after the last `Append`: makes the file durable and visible.
  virtual absl::Status Close() = 0;
  // Called instead of `Close` when the writer fails or is destroyed unclosed: drops the output.
  virtual void Abort() = 0;
};

class ParquetWriter {
 public:
  // Starts a file at `path` for rows of `schema`. InvalidArgument for an empty schema or bad
  // options; errors carry the path and errno when the temporary file cannot be created.
  static absl::StatusOr<std::unique_ptr<ParquetWriter>> Open(const std::string& path,
                                                             const Schema& schema,
                                                             const WriterOptions& options);
  // As above, but the bytes go to `sink`; `name` only labels errors.
  static absl::StatusOr<std::unique_ptr<ParquetWriter>> Open(std::unique_ptr<ByteSink> sink,
                                                             const std::string& name,
                                                             const Schema& schema,
                                                             const WriterOptions& options);
  ~ParquetWriter();
  ParquetWriter(const ParquetWriter&) = delete;
  ParquetWriter& operator=(const ParquetWriter&) = delete;

  // Appends the rows of `batch`. InvalidArgument when its schema's types differ from the
  // writer's or a non-nullable field has nulls. FailedPrecondition after Close().
  // The writer keeps the rows until their row group is flushed: pass an rvalue to hand the
  // columns over instead of copying them.
  absl::Status Write(RecordBatch batch);
  // Flushes buffered rows, writes the footer and publishes the file. Idempotent once OK.
  absl::Status Close();

  // Rows written so far (including buffered ones).
  int64_t num_rows() const { return total_rows_; }

 private:
  struct State;
  ParquetWriter(std::string path, Schema schema, WriterOptions options);
  absl::Status FlushRowGroup();
  absl::Status Emit(std::string_view data);
  static absl::Status Validate(const std::string& path, const Schema& schema,
                               const WriterOptions& options);

  std::string path_;
  std::string temp_path_;
  Schema schema_;
  WriterOptions options_;
  int fd_ = -1;
  std::unique_ptr<ByteSink> sink_;  // set: bytes go here instead of `fd_`
  bool closed_ = false;
  int64_t total_rows_ = 0;
  std::unique_ptr<State> state_;
};

}  // namespace lepton::lake::parquet
