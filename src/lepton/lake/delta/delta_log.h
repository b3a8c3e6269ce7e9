#pragma once
// The Delta Lake transaction log of one table: `<table>/_delta_log/<version, 20 digits>.json`,
// one newline-delimited JSON commit per version, readable by Spark, DuckDB's delta extension,
// delta-rs and Trino (protocol minReaderVersion 1, minWriterVersion 2; no table features).
//
// Commits are created with put-if-absent: the commit is written whole to a temporary file,
// fsynced, then hard-linked to its final name, which fails if the version exists. So two
// writers can never both win a version, and a reader never sees half a commit; a process killed
// mid-commit leaves the table at its previous version. Appends that lose a race re-read the log
// and retry at the next version (appends never conflict with each other).
//
// Checkpoints: after committing a version v > 0 that is a multiple of the checkpoint interval
// (`DeltaLogOptions::checkpoint_interval`, default 10 like Spark; the table property
// `delta.checkpointInterval` overrides it), the committer writes a classic checkpoint
// `_delta_log/<v, 20 digits>.checkpoint.parquet` — the complete replay up to v in Delta's
// checkpoint schema: one `protocol` row, one `metaData` row, one `txn` row per application, one
// `add` row per live file and one `remove` row per unexpired tombstone, each row with exactly
// one non-null struct column — and then `_delta_log/_last_checkpoint`
// ({"version", "size", "sizeInBytes", "numOfAddFiles"}). Both are written atomically (temporary
// file + rename), so concurrent writers of the same checkpoint are harmless. Writing a
// checkpoint never fails the commit: the commit has succeeded already, so a failure is only
// logged as a warning. JSON commits are never deleted.
//
// Replay (`SnapshotAt(v)`) starts from the newest classic checkpoint <= v found by listing
// `_delta_log` (the listing is needed for the latest version anyway; `_last_checkpoint` is
// written for other engines and not trusted) and applies only the JSON commits after it. A
// checkpoint that cannot be read or is not a valid replay (truncated, corrupt, missing protocol
// or metadata) is skipped with a warning, falling back to an older checkpoint or to the JSON
// commits from version 0. Time travel to versions before the newest checkpoint replays from an
// older checkpoint or from the JSON commits. `History()` and `SnapshotAsOf` read JSON commits.
//
// Time travel by timestamp uses `commitInfo.timestamp` (written by us, survives copying the
// table), falling back to the commit file's modification time for commits without one. Our
// checkpoints carry the checkpointed commit's timestamp in the Parquet footer
// (`lepton.commitTimestamp`), so a snapshot loaded from a checkpoint has the same timestamp as
// one replayed from JSON.
//
// Thread-safe: a `DeltaLog` holds no mutable state; any number of instances and processes may
// work on one table at once.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lepton/base/clock.h"
#include "lepton/base/json.h"
#include "lepton/lake/column.h"

namespace lepton::lake::delta {

// A data file of the table (Delta `add` action). `path` is relative to the table folder.
struct AddFile {
  std::string path;
  int64_t size_bytes = 0;
  int64_t modification_time_ms = 0;
  bool data_change = true;
  int64_t num_records = 0;
  // Delta per-file statistics: {"numRecords", "minValues", "maxValues", "nullCount"}; may be null.
  Json stats;
};

// Table-level metadata (Delta `metaData` action).
struct TableMetadata {
  std::string id;           // a UUID, fixed at creation
  std::string name;
  std::string description;
  Schema schema;
  std::map<std::string, std::string> configuration;
  int64_t created_time_ms = 0;
};

// One commit's provenance (Delta `commitInfo`).
struct CommitInfo {
  int64_t version = 0;
  int64_t timestamp_ms = 0;
  std::string operation;    // "CREATE TABLE", "WRITE", "OVERWRITE", …
  Json operation_parameters = Json::object();
  std::string user;
};

// A file removed from the table that is kept as a tombstone (Delta `remove` action) until
// `DeltaLogOptions::tombstone_retention` after its removal, so that other engines' VACUUM does
// not delete files that readers of recent versions may still need.
struct RemovedFile {
  std::string path;
  int64_t deletion_timestamp_ms = 0;
  bool data_change = true;
};

// The state of the table at one version.
struct Snapshot {
  int64_t version = -1;
  int64_t timestamp_ms = 0;
  TableMetadata metadata;
  std::vector<AddFile> files;  // live data files, in the order they were added
  int64_t num_records = 0;     // sum over `files`
  int64_t size_bytes = 0;      // sum over `files`
  // Unexpired tombstones (deleted within `tombstone_retention` before `timestamp_ms`), by path.
  std::vector<RemovedFile> tombstones;
  // The checkpoint the replay started from; -1 when it replayed the JSON commits from 0.
  int64_t checkpoint_version = -1;
};

// Spark's default `delta.checkpointInterval`.
inline constexpr int64_t kDefaultCheckpointInterval = 10;

struct DeltaLogOptions {
  // A checkpoint is written after committing each version v > 0 with v % interval == 0; 0
  // disables writing checkpoints. The table property `delta.checkpointInterval` (a positive
  // integer) takes precedence.
  int64_t checkpoint_interval = kDefaultCheckpointInterval;
  // Whether replay starts from checkpoints; false replays every JSON commit from version 0.
  bool read_checkpoints = true;
  // How long removed files stay tombstones (Delta's `delta.deletedFileRetentionDuration`
  // default of one week).
  absl::Duration tombstone_retention = absl::Hours(7 * 24);
};

// What a commit does.
struct CommitRequest {
  std::string operation;                     // recorded in commitInfo
  Json operation_parameters = Json::object();
  std::string user;
  std::optional<TableMetadata> metadata;     // required in version 0; a schema change later
  std::vector<AddFile> add;
  std::vector<std::string> remove;           // paths of live files to remove
};

// Spark/Delta type names and back: bool↔boolean, int32↔integer, int64↔long, float, double,
// string, date, timestamp. InvalidArgument for a Delta type we cannot represent.
std::string DeltaTypeName(DataType type);
absl::StatusOr<DataType> FromDeltaTypeName(std::string_view name);
// The `schemaString` of a schema, and back.
std::string SchemaToDeltaString(const Schema& schema);
absl::StatusOr<Schema> SchemaFromDeltaString(std::string_view text);

class DeltaLog {
 public:
  // `table_dir` is the table's folder; `clock` must outlive the log.
  DeltaLog(std::string table_dir, Clock& clock, DeltaLogOptions options = {})
      : dir_(std::move(table_dir)), clock_(clock), options_(options) {}

  const std::string& table_dir() const { return dir_; }

  // The newest committed version. NotFound when the folder holds no Delta table.
  absl::StatusOr<int64_t> LatestVersion() const;

  // The table at `version` (the newest when nullopt). NotFound for no table or a version that
  // does not exist; DataLoss when a commit file is unreadable or not valid Delta JSON.
  absl::StatusOr<Snapshot> SnapshotAt(std::optional<int64_t> version = std::nullopt) const;
  // The table as of `time`: the newest version committed at or before it. NotFound when the
  // table did not exist yet.
  absl::StatusOr<Snapshot> SnapshotAsOf(absl::Time time) const;

  // Writes `request` as exactly version `version`. AlreadyExists when that version was
  // committed by someone else (nothing is written); FailedPrecondition when the request does not
  // fit the table (version 0 without metadata, a removed path that is not live, a version that
  // skips ahead). Returns the commit's info. Writes a checkpoint afterwards when `version` is
  // due one (see the file comment); a checkpoint failure is logged, not returned.
  absl::StatusOr<CommitInfo> CommitVersion(int64_t version, const CommitRequest& request);

  // Appends (adds files, removes none) at the next free version, retrying on lost races up to
  // `max_attempts` times. Overwrites and other commits with removals must use `CommitVersion`
  // with their own conflict checks. Aborted when every attempt lost a race.
  absl::StatusOr<CommitInfo> Append(const CommitRequest& request, int max_attempts = 50);

  // Every commit, oldest first.
  absl::StatusOr<std::vector<CommitInfo>> History() const;

  // Writes the classic checkpoint of `version` and updates `_last_checkpoint` (unless it names
  // a newer checkpoint already). Idempotent, and safe to run concurrently with commits, replays
  // and other writers of the same checkpoint. NotFound when the version does not exist; the
  // errors of `SnapshotAt`; InvalidArgument when an action does not fit the checkpoint schema
  // (e.g. another engine's commit with a mistyped field); I/O errors with the path.
  absl::Status WriteCheckpoint(int64_t version);

  // The path of a version's commit file.
  std::string CommitPath(int64_t version) const;
  // The path of a version's classic checkpoint.
  std::string CheckpointPath(int64_t version) const;

 private:
  std::string dir_;
  Clock& clock_;
  DeltaLogOptions options_;
};

}  // namespace lepton::lake::delta
