#pragma once
// REST routes of serving:
//   - deployments under /api/v1/deployments (create, list, get with status, update, delete,
//     rollback, refresh), permission `deploy` on the served model ("models/<model>");
//   - the Open Inference Protocol (KServe V2) endpoints: /v2/health/live and /v2/health/ready
//     (no token), /v2 (server metadata), /v2/models/{deployment}[/versions/{v}] (model
//     metadata), …/ready and …/infer — inference needs `infer` on "models/<model>";
//   - MLflow's scoring formats at POST /api/v1/deployments/{name}/invocations.
// Inference answers 503 with Retry-After when the deployment is at capacity; its calls are not
// written to the audit log (RouteSpec::audit).

#include "lepton/api/router.h"
#include "lepton/monitor/metrics.h"
#include "lepton/serving/deployment_service.h"
#include "lepton/serving/drift_monitor.h"
#include "lepton/serving/prediction_log.h"

namespace lepton::api {

// `deployments` and `metrics` must outlive `router`; `version` is the server version for /v2.
// Registers the inference metrics in `metrics` (null: none): lepton_inference_requests_total
// {deployment, version, code}, lepton_inference_request_seconds and
// lepton_inference_queue_seconds {deployment, version}, lepton_inference_batch_rows
// {deployment}, and per deployment lepton_deployment_serving_version,
// lepton_deployment_model_load_seconds, lepton_deployment_in_flight, lepton_deployment_queued,
// lepton_deployment_rejected_total.
// Inference answers are written to `log` (null: none) at each deployment's log_sample_rate;
// `drift` (null: off) serves the drift endpoints.
absl::Status AddServingRoutes(Router& router, serving::DeploymentService& deployments, std::string version,
                              monitor::MetricsRegistry* metrics, serving::PredictionLog* log = nullptr,
                              serving::DriftMonitor* drift = nullptr);

}  // namespace lepton::api
