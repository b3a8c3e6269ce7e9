#pragma once
// A lake table: Parquet data files plus the Delta log in one folder
// (`<lake>/<namespace>/<name>/part-<uuid>.zstd.parquet`, `…/_delta_log/`).
//
// Writing: `TableWriter` streams record batches into new Parquet files (a new file every
// `max_rows_per_file` rows) and `Commit` publishes them as one Delta version — an append, or an
// overwrite that removes every live file. Nothing is visible before the commit; a writer that
// dies leaves orphan files that the log never references (vacuum removes them later).
//
// Schema evolution on append: the batch schema may add nullable columns and widen int32→int64
// and float→double; anything else is FailedPrecondition naming the column. Readers fill
// columns missing from older files with nulls and widen old values.
//
// Encryption at rest (sensitive datasets): with `TableWriteOptions::data_key` set, data files
// are encrypted under it (lake/crypto/encrypted_file.h) and named `….parquet.lepton-enc`; a scan
// of such files needs `ScanOptions::data_key`. Plain and encrypted files may share a table.
//
// Reading: `Scan` walks a snapshot's files, skips row groups whose statistics rule out the
// predicates, reads only the needed columns, and applies the predicates row by row.
// Thread-compatible: one writer per `TableWriter`; any number of concurrent scans and writers
// on one table (the log serializes commits).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/clock.h"
#include "lepton/base/json.h"
#include "lepton/lake/column.h"
#include "lepton/lake/crypto/keys.h"
#include "lepton/lake/delta/delta_log.h"

namespace lepton::lake {

enum class WriteMode { kAppend, kOverwrite };

struct TableWriteOptions {
  WriteMode mode = WriteMode::kAppend;
  int64_t max_rows_per_file = 1 << 22;
  std::string operation = "WRITE";
  Json operation_parameters = Json::object();
  std::string user;
  std::string table_name;  // recorded in the Delta metadata at creation
  // Set: encrypt the data files under this key (see lake/crypto/keys.h).
  std::shared_ptr<const crypto::DataKey> data_key;
};

struct WriteResult {
  int64_t version = -1;
  int64_t rows_written = 0;
  int64_t files_written = 0;
  int64_t bytes_written = 0;
  delta::Snapshot snapshot;  // the table after the commit
};

// The schema an append of `incoming` to a table of `existing` produces, or FailedPrecondition
// naming the first incompatible column (type change other than int32→int64 / float→double, a
// dropped column that is not nullable, nullability tightened).
absl::StatusOr<Schema> MergeSchemas(const Schema& existing, const Schema& incoming);

class TableWriter {
 public:
  // Starts a write of rows with `schema` to the table in `dir` (created by the first commit).
  // `clock` must outlive the writer.
  static absl::StatusOr<std::unique_ptr<TableWriter>> Open(std::string dir, Schema schema,
                                                           TableWriteOptions options, Clock& clock);
  ~TableWriter();

  // Adds rows. InvalidArgument when the batch schema differs from the writer's.
  absl::Status Write(RecordBatch batch);
  // Closes the files and commits them as one version. For appends, retries lost races.
  // FailedPrecondition when the schema cannot evolve from the table's (nothing is committed).
  absl::StatusOr<WriteResult> Commit();
  // Drops the files written so far, committing nothing.
  void Abort();
  // Replaces the commit's recorded operation parameters (e.g. a source hash known only at the
  // end of the input). Call before `Commit`.
  void set_operation_parameters(Json parameters) { options_.operation_parameters = std::move(parameters); }

 private:
  TableWriter(std::string dir, Schema schema, TableWriteOptions options, Clock& clock);
  absl::Status RollFile();
  absl::Status CloseFile();

  struct OpenFile;
  std::string dir_;
  Schema schema_;
  TableWriteOptions options_;
  Clock& clock_;
  std::unique_ptr<OpenFile> current_;
  std::vector<delta::AddFile> written_;
  int64_t rows_ = 0;
  bool done_ = false;
};

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe, kBetween, kIn, kIsNull, kIsNotNull };

// `column op values`: one value for comparisons, two for between (inclusive), any number for in,
// none for the null tests. Values are JSON literals converted to the column's type.
struct Predicate {
  std::string column;
  CompareOp op = CompareOp::kEq;
  std::vector<Json> values;
};

// Parses "=", "!=", "<", "<=", ">", ">=", "between", "in", "is_null", "is_not_null".
absl::StatusOr<CompareOp> ParseCompareOp(std::string_view text);

// Parses a JSON array of {"column", "op", "value" | "values": [...]} objects (the API's and the
// DataLake config's "where"). InvalidArgument naming `path`, the index and the field.
absl::StatusOr<std::vector<Predicate>> PredicatesFromJson(const Json& where, std::string_view path);

struct ScanOptions {
  std::vector<std::string> columns;    // empty = all, in schema order
  std::vector<Predicate> predicates;   // AND-ed
  int64_t limit = -1;                  // -1 = no limit
  int64_t batch_rows = 65536;          // rows per emitted batch (at most)
  // The table's data key: needed to read encrypted data files.
  std::shared_ptr<const crypto::DataKey> data_key;
};

struct ScanStats {
  int64_t files = 0;
  int64_t row_groups = 0;
  int64_t row_groups_skipped = 0;
  int64_t rows_read = 0;
  int64_t rows_emitted = 0;
};

// Scans `snapshot` of the table in `dir`, calling `emit` with batches of the projected schema
// until done, `limit` rows were emitted, or `emit` returns an error (which is returned).
// InvalidArgument for an unknown column or a value that does not fit its column's type.
// FailedPrecondition for an encrypted data file without `data_key`; DataLoss for one that was
// tampered with or truncated.
absl::StatusOr<ScanStats> Scan(const std::string& dir, const delta::Snapshot& snapshot,
                               const ScanOptions& options,
                               const std::function<absl::Status(const RecordBatch&)>& emit);

struct VacuumResult {
  std::vector<std::string> deleted;  // file names (relative to the table folder)
  int64_t bytes_deleted = 0;
};

// Deletes the table's data files that no version still within `retention` can read: a file is
// kept when the current version or any version committed within `retention` before now (or the
// version in effect at that moment) references it, or when it was modified within `retention`
// (it may belong to a write that has not committed yet). With `dry_run` nothing is deleted and
// the result lists what would be. Time travel to versions older than `retention` may fail
// afterwards, as in Delta Lake.
absl::StatusOr<VacuumResult> Vacuum(const std::string& dir, absl::Duration retention, Clock& clock,
                                    bool dry_run);

}  // namespace lepton::lake
