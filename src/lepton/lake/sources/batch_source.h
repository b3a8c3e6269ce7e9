#pragma once
// `BatchSource`: the one interface through which the lake ingests data from anywhere (CSV, JSON
// lines, Parquet, SQL databases). A source knows its schema once opened and then yields typed
// `RecordBatch`es until it is exhausted, applying its bad-row policy along the way.
//
//   LEPTON_ASSIGN_OR_RETURN(std::unique_ptr<BatchSource> source, CsvSource::Open(path, {}));
//   while (true) {
//     LEPTON_ASSIGN_OR_RETURN(std::optional<RecordBatch> batch, source->ReadNext());
//     if (!batch) break;
//     ...  // write *batch; store source->TakeQuarantined() in a side table
//   }
//
// Also here: `CsvSource`, the adapter that exposes an `ingest::CsvReader` as a `BatchSource`.
//
// Thread-compatible: a source is used by one thread at a time; different sources are independent.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/lake/column.h"
#include "lepton/lake/ingest/csv_reader.h"

namespace lepton::lake::sources {

class BatchSource {
 public:
  virtual ~BatchSource() = default;

  // The schema every batch has. Known (and fixed) from the moment the source is opened.
  virtual const Schema& schema() const = 0;

  // The next batch (at least one row), or nullopt once the source is exhausted (and on every
  // later call). Errors depend on the source: typically InvalidArgument for the first bad row
  // under `BadRowPolicy::kFail` ("<source>:<line>: <reason>"), DataLoss for unreadable input,
  // Unavailable for a lost connection. After an error the source must not be used again.
  virtual absl::StatusOr<std::optional<RecordBatch>> ReadNext() = 0;

  // The rows quarantined since the last call (only under `BadRowPolicy::kQuarantine`), in input
  // order. Call after each `ReadNext` to keep memory bounded. Sources without bad rows return {}.
  virtual std::vector<ingest::BadRow> TakeQuarantined() { return {}; }

  // Rows returned in batches so far.
  virtual int64_t rows_read() const = 0;
  // Rows skipped or quarantined so far.
  virtual int64_t bad_rows() const = 0;

  // Where the data comes from, for lineage: e.g. "csv: /data/x.csv", "jsonl: /data/x.jsonl",
  // "parquet: /data/x.parquet", "query: SELECT … (sqlite:/db/file.db)". Never holds passwords.
  virtual std::string description() const = 0;
};

// A CSV file or stream read by `ingest::CsvReader` (see csv_reader.h for inference, overrides
// and the bad-row policy).
class CsvSource : public BatchSource {
 public:
  // Opens the file at `path`; errors as `ingest::CsvReader::Open`.
  static absl::StatusOr<std::unique_ptr<CsvSource>> Open(const std::string& path,
                                                         ingest::CsvReadOptions options = {});
  // Wraps an already opened reader; `description` is returned by `description()`.
  CsvSource(std::unique_ptr<ingest::CsvReader> reader, std::string description);

  const Schema& schema() const override { return reader_->schema(); }
  absl::StatusOr<std::optional<RecordBatch>> ReadNext() override { return reader_->ReadNext(); }
  std::vector<ingest::BadRow> TakeQuarantined() override { return reader_->TakeQuarantined(); }
  int64_t rows_read() const override { return reader_->rows_read(); }
  int64_t bad_rows() const override { return reader_->bad_rows(); }
  std::string description() const override { return description_; }

  // The underlying reader (for the sniffed dialect).
  const ingest::CsvReader& reader() const { return *reader_; }

 private:
  std::unique_ptr<ingest::CsvReader> reader_;
  std::string description_;
};

}  // namespace lepton::lake::sources
