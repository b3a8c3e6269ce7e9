#pragma once
// Training as a background job (jobs/job_runner.h), kind "train": the job validates nothing
// itself — `SubmitTrainingJob` validates the config before queuing — and runs
// `ModelBuilder::build_and_train()` on the configured lake dataset, tracked in a run whose
// `job_id` is the job's id.
//
// Progress (JobContext::SetProgress), for the API and `lepton train`:
//   {"phase": "load|cv|fit|evaluate|log|done", "fold": i, "folds": k, "candidate": j,
//    "candidates": n, "round": r, "rounds": R, "fraction": 0..1, "run_id": "…",
//    "log": [the last 20 log lines]}
// Cancelling the job makes the next progress report return false, which stops the learner
// within one iteration; the run then ends "killed". The result of a succeeded job:
//   {"run_id", "experiment_id", "experiment", "metrics": {scalar test metrics},
//    "model_dir": "<artifact folder of the run>/model", "lineage": {...}}
// The full log is the run's artifact "training.log".
//
// A server that stops mid-training leaves the job "running" and its run "running";
// `JobRunner::Start` fails the job on the next start, and `ReconcileInterruptedRuns` then
// fails the run (tag "lepton.error" = the job's error). Thread-safe.

#include <string>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/jobs/job_runner.h"
#include "lepton/lake/lake.h"
#include "lepton/tracking/tracking_service.h"

namespace lepton::train {

inline constexpr char kTrainJobKind[] = "train";

// Validates `config` (InvalidArgument naming the JSON path, see model_config.h) and queues a
// training job for `user`. The job's resource is the dataset ("ns/name") and its params
// {"config": config, "dataset", "experiment"}. `lake` and `tracking` must outlive the runner's
// workers. Unavailable when the runner is shutting down.
absl::StatusOr<jobs::Job> SubmitTrainingJob(jobs::JobRunner& runner, lake::Lake& lake,
                                            tracking::TrackingService& tracking,
                                            const Json& config, const std::string& user);

// Fails every "running" run whose training job is no longer queued or running (the process
// that ran it stopped). Call after `JobRunner::Start`. Returns how many runs it failed.
absl::StatusOr<int> ReconcileInterruptedRuns(jobs::JobRunner& runner,
                                             tracking::TrackingService& tracking);

}  // namespace lepton::train
