#include "lepton/api/metrics_routes.h"

namespace lepton::api {

void AddMetricsRoutes(Router& router, const monitor::MetricsRegistry& metrics) {
  router.Add({.method = "GET", .pattern = "/metrics", .operation_id = "metrics",
              .summary = "Prometheus metrics (text format 0.0.4): inference requests, latency, queue time and "
                         "batch sizes by deployment and version, model load times, process CPU, memory and "
                         "open files, lake and job counts.",
              .tag = "health", .authenticated = false,
              .response_schema = {{"type", "string"}}, .other_response_types = {"text/plain"}},
             [&metrics](RouteContext&) -> absl::StatusOr<HttpResponse> {
               HttpResponse r;
               r.content_type = std::string(monitor::kPrometheusContentType);
               r.body = metrics.Render();
               return r;
             });
}

}  // namespace lepton::api
