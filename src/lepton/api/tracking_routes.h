#pragma once
// REST routes of experiment tracking under /api/v1/experiments and /api/v1/runs: experiments
// (create, list, get, soft delete, restore), runs (create, get, status/end, search, compare),
// batches of params, metrics, tags and dataset inputs, metric history and artifacts (raw upload
// and download, listing with sizes and SHA-256).
//
// Permissions: an experiment's name is its permission resource (names follow the scope syntax,
// e.g. "credit/scorecard" is covered by a grant on "credit/*"). Reads need `read`, writes
// `train`. As the name is not in the path, handlers check after looking the experiment (or the
// run's experiment) up: an experiment the caller may not read answers 404, like an unknown one,
// so ids cannot be probed; one they may read but not write answers 403. Listings show only
// readable experiments. Mutations are audited by `ApiService` like every other.

#include "lepton/api/router.h"
#include "lepton/tracking/tracking_service.h"

namespace lepton::api {

// `service` must outlive `router`.
void AddTrackingRoutes(Router& router, tracking::TrackingService& service);

}  // namespace lepton::api
