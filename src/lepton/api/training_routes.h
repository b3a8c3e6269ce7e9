#pragma once
// REST routes of training jobs under /api/v1/training-jobs:
//   POST /api/v1/training-jobs              body = model_config.json; 202 with the queued job;
//                                           400 naming the JSON path of a bad config
//   GET  /api/v1/training-jobs/{id}         state, progress {phase, fold, candidate, round,
//                                           fraction, …}, result {run_id, metrics, model_dir},
//                                           error, run_id and logs (the last lines, or the run's
//                                           whole training.log once it has ended)
//   POST /api/v1/training-jobs/{id}/cancel  cancel a queued or running job (409 when finished)
//   POST /api/v1/training-jobs/{id}/retry   a new job with the same config (409 while active)
//
// Permissions: submitting (and retrying) needs `train` on the dataset ("ns/name") and on the
// experiment name; reading a job needs being its creator or `read` on its dataset (others get
// 404, like an unknown id); cancelling needs being its creator or `train` on its dataset.

#include <string>

#include "lepton/api/router.h"
#include "lepton/jobs/job_runner.h"
#include "lepton/lake/lake.h"
#include "lepton/tracking/tracking_service.h"

namespace lepton::api {

// `runner`, `lake` and `tracking` must outlive `router`. Call after `runner.Start()`: it first
// fails the tracking runs of training jobs a previous process left unfinished
// (train::ReconcileInterruptedRuns; a failure there is logged, not fatal).
void AddTrainingRoutes(Router& router, jobs::JobRunner& runner, lake::Lake& lake,
                       tracking::TrackingService& tracking);

}  // namespace lepton::api
