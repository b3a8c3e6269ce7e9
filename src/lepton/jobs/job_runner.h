#pragma once
// Background jobs: long work (ingest now; training, backups later) runs on a small in-process
// worker pool, with its state, progress and result kept in the metadata store so that the API
// can report them and a restart never leaves a job "running":
//
//   queued ──▶ running ──▶ succeeded | failed | cancelled
//
// `Start` marks jobs that a previous process left queued or running as failed ("interrupted:
// the server stopped"). Progress is free-form JSON (e.g. {"bytes_done":…, "bytes_total":…,
// "rows":…, "fraction": 0.42}); updates are written at most every 200 ms. Cancelling a queued
// job stops it from running; a running job sees `cancelled()` and may stop early.
// Thread-safe.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/clock.h"
#include "lepton/base/json.h"
#include "lepton/store/meta_store.h"

namespace lepton::jobs {

enum class JobState { kQueued, kRunning, kSucceeded, kFailed, kCancelled };
std::string_view JobStateName(JobState state);

struct Job {
  std::string id;
  std::string kind;       // e.g. "lake.ingest"
  std::string resource;   // what it works on, for permissions (e.g. "credit/customers")
  JobState state = JobState::kQueued;
  Json params = Json::object();
  Json progress = Json::object();
  Json result;            // null until succeeded
  std::string error;      // set when failed or cancelled
  std::string created_by;
  std::string created_at;
  std::string started_at;
  std::string finished_at;
};
Json JobToJson(const Job& job);

// What a running job's function sees.
class JobContext {
 public:
  // Records progress (throttled; the final state always wins).
  virtual void SetProgress(const Json& progress) = 0;
  // True once someone asked to cancel the job.
  virtual bool cancelled() const = 0;
  virtual ~JobContext() = default;
};

// The work; its OK value becomes the job's result, its error the job's error.
using JobFn = std::function<absl::StatusOr<Json>(JobContext&)>;

class JobRunner {
 public:
  // `store` and `clock` must outlive the runner. `workers` >= 1.
  JobRunner(store::MetaStore& store, Clock& clock, int workers);
  // Stops taking jobs, lets running ones finish, joins the workers. Queued jobs stay queued in
  // the store and are marked interrupted by the next `Start`.
  ~JobRunner();

  // Fails jobs a previous process left queued or running, then starts the workers.
  absl::Status Start();

  // Queues `fn` as a new job. Unavailable after shutdown began.
  absl::StatusOr<Job> Submit(std::string kind, std::string resource, Json params,
                             std::string created_by, JobFn fn);
  // NotFound for an unknown id.
  absl::StatusOr<Job> Get(std::string_view id);
  // Newest first, at most `limit`; `kind` filters when not empty.
  absl::StatusOr<std::vector<Job>> List(std::string_view kind, int64_t limit);
  // Cancels a queued or running job. FailedPrecondition when it has already finished.
  absl::StatusOr<Job> Cancel(std::string_view id);
  // Blocks until the job has finished (or `timeout` passed) and returns it. For tests and CLIs.
  absl::StatusOr<Job> Wait(std::string_view id, absl::Duration timeout);

 private:
  class Context;
  struct Pending {
    std::string id;
    JobFn fn;
  };
  void WorkerLoop();
  absl::Status Finish(const std::string& id, JobState state, const Json& result,
                      const std::string& error);

  store::MetaStore& store_;
  Clock& clock_;
  const int workers_count_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;               // guarded by mu_
  std::map<std::string, bool> cancel_;      // job id → cancel requested; guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace lepton::jobs
