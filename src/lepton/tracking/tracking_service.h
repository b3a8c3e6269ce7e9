#pragma once
// `TrackingService`: experiments and runs, MLflow-style. An experiment groups runs; a run records
// what one training attempt used and produced:
//   - params: immutable once set (re-logging the same value is a no-op; a different value is
//     FailedPrecondition, as MLflow);
//   - metrics: append-only history of (key, value, step, timestamp); `GetRun` reports per key
//     the latest value, i.e. the highest step, then the latest timestamp, then the largest value
//     (the order MLflow's SQL store keeps in `latest_metrics`);
//   - tags: mutable, last write wins;
//   - dataset inputs: lake dataset versions ("ns/name" @ version, digest) with a context
//     ("training", "validation", "test");
//   - artifacts: files under `<artifact_root>/<experiment_id>/<run_id>/<path>`, written
//     atomically, listed with size and SHA-256;
//   - status: queued → running → finished | failed | killed, with start and end times.
//
// Experiments are deleted softly (lifecycle "deleted") and can be restored; the runs of a
// deleted experiment stay readable but refuse writes (FailedPrecondition) until it is restored.
// Experiment names double as permission resources, so they follow the scope syntax: 1-128
// characters, segments of [a-z0-9_.-] separated by '/', e.g. "credit/scorecard" (a grant on
// "credit/*" covers it).
//
// Everything but artifact bytes lives in the `MetaStore` (tables tracking_*, migration 4).
// Times are RFC 3339 UTC strings except metric timestamps, which are epoch milliseconds as in
// MLflow's API. Thread-safe: all methods may be called concurrently, also from several
// processes sharing one store and artifact folder.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/clock.h"
#include "lepton/base/json.h"
#include "lepton/store/meta_store.h"

namespace lepton::tracking {

enum class RunStatus { kQueued, kRunning, kFinished, kFailed, kKilled };
// "queued", "running", "finished", "failed", "killed".
std::string_view RunStatusName(RunStatus status);
// Case-insensitive ("FINISHED" works). InvalidArgument listing the valid names otherwise.
absl::StatusOr<RunStatus> ParseRunStatus(std::string_view name);
// Finished, failed and killed runs are over.
bool IsTerminal(RunStatus status);

// Which experiments a listing includes.
enum class ViewType { kActiveOnly, kDeletedOnly, kAll };

struct Experiment {
  std::string id;
  std::string name;
  std::string description;
  std::map<std::string, std::string> tags;
  std::string created_by;
  std::string created_at;
  std::string updated_at;
  bool deleted = false;  // lifecycle "deleted" when true, "active" otherwise
};

struct Metric {
  std::string key;
  double value = 0;
  int64_t step = 0;
  int64_t timestamp_ms = 0;  // 0 when logging: the service's clock fills it in
};

struct DatasetInput {
  std::string dataset;      // "ns/name" in the lake
  int64_t version = -1;     // lake table version; -1 = unknown
  std::string digest;       // content digest (e.g. the ingest's SHA-256)
  std::string context;      // "training", "validation", "test" (or another word)
};

struct RunInfo {
  std::string id;
  std::string experiment_id;
  std::string name;
  RunStatus status = RunStatus::kRunning;
  std::string start_time;
  std::string end_time;  // "" while not over
  std::string user;
  std::string source;         // free text: script, notebook, "lepton train", …
  std::string job_id;         // the training job that runs it, if any
  std::string parent_run_id;  // for nested runs (e.g. one per CV fold or search trial)
};

struct Run {
  RunInfo info;
  std::map<std::string, std::string> params;
  std::map<std::string, Metric> metrics;  // latest value per key
  std::map<std::string, std::string> tags;
  std::vector<DatasetInput> inputs;
};

struct ArtifactInfo {
  std::string path;  // relative to the run's artifact folder, '/'-separated
  int64_t size_bytes = 0;
  std::string sha256;
  std::string created_at;
};

struct NewRun {
  std::string experiment_id;
  std::string name;  // "" → "run-<first 8 characters of the id>"
  std::string user;
  std::string source;
  std::string job_id;
  std::string parent_run_id;  // must be a run of the same experiment
  RunStatus status = RunStatus::kRunning;  // queued or running
  std::map<std::string, std::string> tags;
};

struct SearchRequest {
  std::vector<std::string> experiment_ids;  // at least one
  std::string filter;                       // see search_filter.h
  std::vector<std::string> order_by;        // default: start_time DESC; ties by run id
  int64_t max_results = 100;                // 1 to 50000
  std::string page_token;                   // from a previous `SearchResult`
};

struct SearchResult {
  std::vector<Run> runs;
  std::string next_page_token;  // "" on the last page
};

// Runs side by side: `params[key][i]` / `metrics[key][i]` belong to `runs[i]` (nullopt when
// that run lacks the key). Keys are sorted.
struct RunComparison {
  std::vector<RunInfo> runs;
  std::map<std::string, std::vector<std::optional<std::string>>> params;
  std::map<std::string, std::vector<std::optional<double>>> metrics;
};

// Limits (MLflow's): keys up to 250 characters; param values up to 6000 bytes, tag values up to
// 5000; a batch holds at most 1000 metrics, 100 params and 100 tags.
inline constexpr size_t kMaxKeyLength = 250;
inline constexpr size_t kMaxParamValueBytes = 6000;
inline constexpr size_t kMaxTagValueBytes = 5000;
inline constexpr size_t kMaxBatchMetrics = 1000;
inline constexpr size_t kMaxBatchParams = 100;
inline constexpr size_t kMaxBatchTags = 100;

// InvalidArgument unless `name` is a valid experiment name (see the class comment).
absl::Status ValidateExperimentName(std::string_view name);
// InvalidArgument unless `path` is a safe relative artifact path: '/'-separated segments, none
// empty, "." or "..", no backslash or control characters, at most 512 bytes.
absl::Status ValidateArtifactPath(std::string_view path);

class TrackingService {
 public:
  // `store` and `clock` must outlive the service. Artifacts go under `artifact_root`
  // (e.g. "<home>/artifacts"), created when first needed.
  TrackingService(store::MetaStore& store, Clock& clock, std::string artifact_root);

  // --- Experiments. NotFound for unknown ids everywhere.
  // InvalidArgument for a bad name; AlreadyExists when the name is taken (also by a deleted
  // experiment: restore it instead).
  absl::StatusOr<Experiment> CreateExperiment(std::string_view name, std::string_view description,
                                              const std::map<std::string, std::string>& tags,
                                              std::string_view created_by);
  // Works on deleted experiments too.
  absl::StatusOr<Experiment> GetExperiment(std::string_view id);
  absl::StatusOr<Experiment> GetExperimentByName(std::string_view name);
  // By name.
  absl::StatusOr<std::vector<Experiment>> ListExperiments(ViewType view = ViewType::kActiveOnly);
  // Soft delete. FailedPrecondition when already deleted.
  absl::Status DeleteExperiment(std::string_view id);
  // FailedPrecondition when not deleted.
  absl::Status RestoreExperiment(std::string_view id);

  // --- Runs. NotFound for unknown run ids; FailedPrecondition for writes to a run whose
  // experiment is deleted.
  // InvalidArgument for a status other than queued/running or a parent in another experiment.
  absl::StatusOr<RunInfo> CreateRun(const NewRun& run);
  absl::StatusOr<RunInfo> GetRunInfo(std::string_view run_id);
  absl::StatusOr<Run> GetRun(std::string_view run_id);

  // Logs params in one transaction (all or nothing). FailedPrecondition naming the key when a
  // param already holds a different value; InvalidArgument for bad keys or values.
  absl::Status LogParams(std::string_view run_id, const std::map<std::string, std::string>& params);
  absl::Status LogParam(std::string_view run_id, std::string_view key, std::string_view value);
  // Appends metric values in one transaction. InvalidArgument for bad keys or non-finite values.
  absl::Status LogMetrics(std::string_view run_id, const std::vector<Metric>& metrics);
  absl::Status LogMetric(std::string_view run_id, std::string_view key, double value,
                         int64_t step = 0);
  absl::Status SetTags(std::string_view run_id, const std::map<std::string, std::string>& tags);
  absl::Status SetTag(std::string_view run_id, std::string_view key, std::string_view value);
  // Records dataset inputs; logging the same dataset, version and context again is a no-op.
  // InvalidArgument for a malformed "ns/name" or an empty context.
  absl::Status LogInputs(std::string_view run_id, const std::vector<DatasetInput>& inputs);
  absl::Status LogInput(std::string_view run_id, const DatasetInput& input);

  // Moves the run to `status`. Entering queued or running from queued (re)sets the start time;
  // a terminal status sets the end time (`end_time` when given, RFC 3339, else now).
  // FailedPrecondition when the run is over and `status` differs from its status (runs do not
  // come back); InvalidArgument for a malformed end time.
  absl::StatusOr<RunInfo> SetStatus(std::string_view run_id, RunStatus status,
                                    std::optional<std::string> end_time = std::nullopt);
  // `SetStatus(run_id, status)` with a terminal status (InvalidArgument otherwise).
  absl::StatusOr<RunInfo> EndRun(std::string_view run_id, RunStatus status = RunStatus::kFinished);
  // Renames a run. InvalidArgument for an empty name.
  absl::StatusOr<RunInfo> RenameRun(std::string_view run_id, std::string_view name);

  // Every logged value of `key`, by step then timestamp. Empty when the run never logged it.
  absl::StatusOr<std::vector<Metric>> GetMetricHistory(std::string_view run_id,
                                                       std::string_view key);

  // Runs of the given experiments (deleted ones included), filtered, ordered and paged.
  // InvalidArgument for a bad filter, order_by, max_results or page token; NotFound for an
  // unknown experiment. Filtering and ordering happen in process over the runs of the named
  // experiments (identical semantics on every store; meant for up to ~100k runs).
  absl::StatusOr<SearchResult> SearchRuns(const SearchRequest& request);
  // Ids of the runs that logged `dataset` ("ns/name") as an input, at `version` (-1: any
  // version), oldest first. For lineage: which runs — and so which models — used this data.
  absl::StatusOr<std::vector<std::string>> RunIdsWithInput(std::string_view dataset, int64_t version = -1);
  // InvalidArgument for fewer than 1 or more than 100 ids; NotFound for an unknown one.
  absl::StatusOr<RunComparison> CompareRuns(const std::vector<std::string>& run_ids);

  // --- Artifacts. Writes `data` to the run's `path` atomically (a reader sees the old bytes or
  // the new, never a mix), replacing an earlier artifact of that path. InvalidArgument for an
  // unsafe path; FailedPrecondition when the path is a folder of existing artifacts or has one
  // as a parent.
  absl::StatusOr<ArtifactInfo> LogArtifact(std::string_view run_id, std::string_view path,
                                           std::string_view data);
  // NotFound when the run has no artifact at `path`.
  absl::StatusOr<std::string> ReadArtifact(std::string_view run_id, std::string_view path);
  // Artifacts whose path starts with `prefix` ("" = all; "model" matches "model/…" and "model"
  // but not "models.txt"), by path.
  absl::StatusOr<std::vector<ArtifactInfo>> ListArtifacts(std::string_view run_id,
                                                          std::string_view prefix = "");
  // The folder holding the run's artifacts (it may not exist yet).
  std::string ArtifactDir(const RunInfo& run) const;

 private:
  absl::StatusOr<RunInfo> WritableRun(store::SqlSession& tx, std::string_view run_id);
  absl::StatusOr<std::vector<Run>> LoadRuns(const std::vector<std::string>& experiment_ids);

  store::MetaStore& store_;
  Clock& clock_;
  const std::string artifact_root_;
};

// The JSON the API returns for these.
Json ExperimentToJson(const Experiment& e);
Json RunInfoToJson(const RunInfo& r);
// RunInfo fields plus "params", "metrics" ({key: {value, step, timestamp}}), "tags", "inputs".
Json RunToJson(const Run& r);
Json MetricToJson(const Metric& m);
Json ArtifactToJson(const ArtifactInfo& a);
Json ComparisonToJson(const RunComparison& c);

}  // namespace lepton::tracking
