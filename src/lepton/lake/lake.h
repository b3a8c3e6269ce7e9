#pragma once
// `Lake`: the data lake service — the catalog plus one Delta table per dataset under
// `<root>/<namespace>/<name>/`. It ingests sources into new table versions (recording totals
// and lineage in the catalog), resolves versions for time travel, and scans.
//
// A dataset's rejected rows under the `quarantine` policy go to the side dataset
// `<name>__quarantine` in the same namespace (columns line, raw, reason, ingest_version).
// Sensitive datasets (`Dataset::sensitive`) are encrypted at rest: their data files are
// encrypted under a per-table data key that the master key wraps (see crypto/keys.h). Writing
// to one needs the master key; so does reading one that has a data key. Without it those calls
// are FailedPrecondition naming the dataset and how to provide the key; with another master key
// than the one that wrapped the data key, FailedPrecondition naming both key ids.
// Thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lepton/base/clock.h"
#include "lepton/lake/catalog.h"
#include "lepton/lake/clean/apply.h"
#include "lepton/lake/crypto/keys.h"
#include "lepton/lake/delta/delta_log.h"
#include "lepton/lake/ingest/csv_reader.h"
#include "lepton/lake/profile/profile.h"
#include "lepton/lake/table.h"
#include "lepton/store/meta_store.h"

namespace lepton::lake {

// Progress of a long operation: bytes of input consumed of `bytes_total` (0 when unknown), and
// rows written so far.
struct Progress {
  int64_t bytes_done = 0;
  int64_t bytes_total = 0;
  int64_t rows = 0;
};
using ProgressFn = std::function<void(const Progress&)>;

enum class SourceFormat { kCsv, kJsonLines, kParquet, kSql };

// "csv", "jsonl" (or "json"), "parquet", "sql". InvalidArgument otherwise.
absl::StatusOr<SourceFormat> ParseSourceFormat(std::string_view name);

struct IngestRequest {
  std::string ns;
  std::string name;
  SourceFormat format = SourceFormat::kCsv;
  std::string path;          // the file to read (csv, jsonl, parquet)
  std::string sql_url;       // kSql: "sqlite:/path.db" or "postgresql://…"
  std::string sql;           // kSql: a table name or a SELECT query
  std::string source_name;   // recorded in lineage (defaults to the file name of `path`)
  ingest::CsvReadOptions csv;  // kCsv options; its `bad_rows` and `schema` apply to every format
  WriteMode mode = WriteMode::kAppend;
  bool create = true;        // create the dataset (and namespace) when missing
  std::string description;   // for a created dataset
  bool sensitive = false;    // for a created dataset
  std::string user;
  ProgressFn progress;       // called after each batch; may be empty
};
using CsvIngestRequest = IngestRequest;

struct IngestResult {
  Dataset dataset;           // after the commit
  int64_t version = -1;
  int64_t rows = 0;
  int64_t bad_rows = 0;      // skipped or quarantined
  int64_t bytes_read = 0;
  std::string sha256;        // of the source file (empty for SQL sources)
  std::string quarantine;    // "<ns>/<name>__quarantine" when rows were quarantined
};

// Which version to read: the latest, a version number, or the newest at or before a time.
struct VersionSpec {
  std::optional<int64_t> version;
  std::optional<absl::Time> as_of;
};

class Lake {
 public:
  // `root` is the lake folder (`<home>/lake`); `store` and `clock` must outlive the lake.
  // `master_key` (may be null) encrypts the data keys of sensitive datasets.
  Lake(std::string root, store::MetaStore& store, Clock& clock,
       std::shared_ptr<const crypto::MasterKey> master_key = nullptr);

  Catalog& catalog() { return catalog_; }
  std::string TableDir(std::string_view ns, std::string_view name) const;

  // Reads the source (a CSV, JSON lines or Parquet file, or a SQL table or query) and commits its
  // rows as one new version. Under the `fail` policy a bad row is InvalidArgument
  // "<file>:<line>: column …" and nothing is committed. NotFound for a missing file, or a missing
  // dataset with `create` false; Unavailable for an unreachable database; FailedPrecondition
  // when the schema cannot evolve (appends).
  absl::StatusOr<IngestResult> Ingest(const IngestRequest& request);
  // `Ingest` of a CSV file (the request's format is ignored).
  absl::StatusOr<IngestResult> IngestCsv(const IngestRequest& request);

  // The dataset's table at `spec`. NotFound for an unknown dataset, one never written, or a
  // version or time it does not have.
  absl::StatusOr<delta::Snapshot> Snapshot(std::string_view ns, std::string_view name,
                                           const VersionSpec& spec);
  // Scans the dataset at `spec` (see `lake::Scan`).
  absl::StatusOr<ScanStats> Scan(std::string_view ns, std::string_view name,
                                 const VersionSpec& spec, const ScanOptions& options,
                                 const std::function<absl::Status(const RecordBatch&)>& emit);
  // Profiles the dataset at `spec` in one streaming scan (see profile/profile.h): per-column
  // statistics and alerts. NotFound as `Snapshot`; InvalidArgument for invalid `options`.
  absl::StatusOr<profile::Profile> Profile(std::string_view ns, std::string_view name,
                                           const VersionSpec& spec,
                                           const profile::ProfileOptions& options = {});
  // The data key to put in `ScanOptions::data_key` when scanning the dataset's table directly
  // with `lake::Scan`: null when the table has no data key (nothing is encrypted).
  // FailedPrecondition as described at the top.
  absl::StatusOr<std::shared_ptr<const crypto::DataKey>> ReadKey(std::string_view ns,
                                                                 std::string_view name);

  // Version history of the dataset's table, oldest first.
  absl::StatusOr<std::vector<delta::CommitInfo>> History(std::string_view ns, std::string_view name);

  // Cleans the latest version of the dataset with the plan in `plan_text` (YAML or JSON, see
  // clean/plan.h): scans it, applies the plan over all rows, overwrites the table with the
  // result as a new version (operation CLEAN) and records it with lineage kind "clean" and
  // detail {"input_version", "rules" (the canonical plan), "report", "rows_in", "rows_out",
  // "rows_quarantined"}. Quarantined rows go to `<name>__quarantine` (line = 1-based input row,
  // raw = the row as JSON, reason, ingest_version = the new version).
  // InvalidArgument for a bad plan or one that does not fit the table (nothing is written);
  // NotFound for an unknown dataset or one without data. A concurrent write to the dataset
  // between the scan and the commit is overwritten (callers serialize cleaning per dataset).
  absl::StatusOr<clean::CleanResult> Clean(std::string_view ns, std::string_view name,
                                           std::string_view plan_text, const std::string& user);

  // Removes the dataset from the catalog and its files from disk.
  absl::Status DeleteDataset(std::string_view ns, std::string_view name);

 private:
  absl::StatusOr<Dataset> EnsureDataset(const IngestRequest& request);
  // The data key new files of `dataset` are encrypted with: null unless it is sensitive.
  absl::StatusOr<std::shared_ptr<const crypto::DataKey>> WriteKey(const Dataset& dataset);
  absl::Status WriteQuarantine(const Dataset& dataset, int64_t version,
                               const std::vector<ingest::BadRow>& rows, const std::string& user);

  std::string root_;
  Clock& clock_;
  std::shared_ptr<const crypto::MasterKey> master_key_;
  Catalog catalog_;
};

}  // namespace lepton::lake
