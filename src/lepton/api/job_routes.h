#pragma once
// REST routes for background jobs under /api/v1/jobs: list, get (state, progress, result,
// error) and cancel. A job is visible to its creator and to anyone who may read its resource.

#include "lepton/api/router.h"
#include "lepton/jobs/job_runner.h"

namespace lepton::api {

// `runner` must outlive `router`.
void AddJobRoutes(Router& router, jobs::JobRunner& runner);

}  // namespace lepton::api
