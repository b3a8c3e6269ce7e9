#pragma once
// GET /metrics: the server's Prometheus metrics in the text exposition format 0.0.4 (no token,
// like the health endpoints; see docs/operations.md for the metric names).

#include "lepton/api/router.h"
#include "lepton/monitor/metrics.h"

namespace lepton::api {

// `metrics` must outlive `router`.
void AddMetricsRoutes(Router& router, const monitor::MetricsRegistry& metrics);

}  // namespace lepton::api
