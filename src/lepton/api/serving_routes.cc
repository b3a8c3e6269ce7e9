#include "lepton/api/serving_routes.h"

#include <chrono>
#include <random>

#include "lepton/api/api_service.h"
#include "lepton/api/route_schema.h"
#include "lepton/api/status_http.h"
#include "lepton/base/clock.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/registry/registry_service.h"
#include "lepton/serving/oip.h"
#include "lepton/train/explain.h"
#include "lepton/train/json_rows.h"

namespace lepton::api {
namespace {

using auth::Action;
using namespace schema;  // NOLINT: the schema fragments read as a small DSL here
using serving::DeploymentService;

Json DeploymentSchema() {
  return Obj({{"name", Str()},
              {"model", Str()},
              {"alias", Str()},
              {"version", Int()},
              {"max_concurrency", Int()},
              {"max_queue", Int()},
              {"queue_timeout_ms", Int()},
              {"revision", Int()},
              {"created_by", Str()},
              {"created_at", Str()},
              {"updated_by", Str()},
              {"updated_at", Str()},
              {"status", {{"type", "object"}}}});
}

Json DeploymentJson(const serving::Deployment& d, const serving::DeploymentStatus& st) {
  Json j = d.spec.ToJson();
  j["name"] = d.name;
  j["revision"] = d.revision;
  j["created_by"] = d.created_by;
  j["created_at"] = d.created_at;
  j["updated_by"] = d.updated_by;
  j["updated_at"] = d.updated_at;
  j["status"] = st.ToJson();
  return j;
}

// The optional version path parameter ("" → 0).
absl::StatusOr<int64_t> VersionOf(const RouteContext& ctx) {
  const std::string& text = ctx.Param("version");
  if (text.empty()) return int64_t{0};
  bool ok = text.size() <= 18;
  for (char c : text) ok = ok && c >= '0' && c <= '9';
  if (!ok || std::stoll(text) < 1) return absl::InvalidArgumentError(StrCat("version: expected a positive integer, got '", text, "'"));
  return std::stoll(text);
}

// The model a deployment serves, if the caller may `action` on it.
absl::StatusOr<std::shared_ptr<const serving::LoadedModel>> Serving(const RouteContext& ctx, DeploymentService& d,
                                                                   Action action) {
  LEPTON_ASSIGN_OR_RETURN(int64_t version, VersionOf(ctx));
  LEPTON_ASSIGN_OR_RETURN(auto loaded, d.Current(ctx.Param("name"), version));
  LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, action, registry::ModelResource(loaded->model)));
  return loaded;
}

// The canary routing key of a request: a hash of its id (so retries of one request get the same
// version), else random.
uint64_t RoutingKey(const absl::StatusOr<Json>& body) {
  if (body.ok() && body->is_object() && body->contains("id") && (*body)["id"].is_string()) {
    return std::hash<std::string>{}((*body)["id"].get<std::string>());
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

HttpResponse Busy(const absl::Status& s) {
  HttpResponse r = HttpResponse::MakeJson(503, {{"code", "UNAVAILABLE"}, {"error", std::string(s.message())}});
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

// Predicts `rows` on `loaded`, with explanations when asked.
absl::StatusOr<std::pair<train::Predictions, std::optional<std::vector<train::RowExplanation>>>> Run(
    const serving::LoadedModel& loaded, const lake::RecordBatch& rows, bool contributions) {
  LEPTON_ASSIGN_OR_RETURN(train::Predictions p, loaded.bundle->Predict(rows));
  std::optional<std::vector<train::RowExplanation>> e;
  if (contributions) {
    LEPTON_ASSIGN_OR_RETURN(e, train::ExplainRows(*loaded.bundle, rows));
  }
  return std::make_pair(std::move(p), std::move(e));
}

// Inference metrics; handles are looked up per request (a locked map lookup in the family).
struct InferenceMetrics {
  monitor::CounterFamily* requests = nullptr;
  monitor::HistogramFamily* latency = nullptr;
  monitor::HistogramFamily* queue = nullptr;
  monitor::HistogramFamily* rows = nullptr;

  void Record(const std::string& deployment, int64_t version, int code, double seconds, double queue_seconds,
              int64_t batch_rows) const {
    if (requests == nullptr) return;
    const std::string v = version > 0 ? StrCat(version) : std::string("none");
    const std::string c = StrCat(code);
    if (auto h = requests->WithLabels({deployment, v, c}); h.ok()) h->Inc();
    if (auto h = latency->WithLabels({deployment, v}); h.ok()) h->Observe(seconds);
    if (queue_seconds >= 0) {
      if (auto h = queue->WithLabels({deployment, v}); h.ok()) h->Observe(queue_seconds);
    }
    if (batch_rows > 0) {
      if (auto h = rows->WithLabels({deployment}); h.ok()) h->Observe(static_cast<double>(batch_rows));
    }
  }
};

absl::StatusOr<std::shared_ptr<InferenceMetrics>> RegisterMetrics(monitor::MetricsRegistry* m, DeploymentService& d) {
  auto out = std::make_shared<InferenceMetrics>();
  if (m == nullptr) return out;
  LEPTON_ASSIGN_OR_RETURN(out->requests, m->AddCounter("lepton_inference_requests_total",
                                                       "Inference requests by deployment, served version and HTTP code.",
                                                       {"deployment", "version", "code"}));
  LEPTON_ASSIGN_OR_RETURN(out->latency, m->AddHistogram("lepton_inference_request_seconds",
                                                        "Inference request time in the handler (decode, queue, predict, encode).",
                                                        {"deployment", "version"},
                                                        {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}));
  LEPTON_ASSIGN_OR_RETURN(out->queue, m->AddHistogram("lepton_inference_queue_seconds",
                                                      "Time an inference request waited for a slot (admission).",
                                                      {"deployment", "version"},
                                                      {0.00001, 0.0001, 0.001, 0.01, 0.1, 1}));
  LEPTON_ASSIGN_OR_RETURN(out->rows, m->AddHistogram("lepton_inference_batch_rows", "Rows per inference request.",
                                                     {"deployment"}, {1, 2, 4, 8, 16, 32, 64, 128, 256, 1024}));
  auto per_deployment = [&d](auto field) {
    return [&d, field]() {
      std::vector<monitor::CallbackSample> samples;
      auto all = d.List();
      if (!all.ok()) return samples;
      for (const serving::Deployment& dep : *all) {
        const serving::DeploymentStatus st = d.Status(dep.name);
        samples.push_back({{dep.name}, field(st)});
      }
      return samples;
    };
  };
  LEPTON_RETURN_IF_ERROR(m->AddCallbackGauge("lepton_deployment_serving_version", "The model version a deployment serves (0: none).",
                                             {"deployment"}, per_deployment([](const serving::DeploymentStatus& s) { return static_cast<double>(s.serving_version); })));
  LEPTON_RETURN_IF_ERROR(m->AddCallbackGauge("lepton_deployment_model_load_seconds", "How long loading and warming the served version took.",
                                             {"deployment"}, per_deployment([](const serving::DeploymentStatus& s) { return s.load_seconds; })));
  LEPTON_RETURN_IF_ERROR(m->AddCallbackGauge("lepton_deployment_in_flight", "Inferences running now.",
                                             {"deployment"}, per_deployment([](const serving::DeploymentStatus& s) { return static_cast<double>(s.in_flight); })));
  LEPTON_RETURN_IF_ERROR(m->AddCallbackGauge("lepton_deployment_queued", "Inferences waiting for a slot now.",
                                             {"deployment"}, per_deployment([](const serving::DeploymentStatus& s) { return static_cast<double>(s.queued); })));
  LEPTON_RETURN_IF_ERROR(m->AddCallbackCounter("lepton_deployment_rejected_total", "Inferences answered 503 (at capacity).",
                                               {"deployment"}, per_deployment([](const serving::DeploymentStatus& s) { return static_cast<double>(s.rejected); })));
  return out;
}

}  // namespace

absl::Status AddServingRoutes(Router& router, DeploymentService& deployments, std::string version,
                              monitor::MetricsRegistry* metrics_registry, serving::PredictionLog* log,
                              serving::DriftMonitor* drift) {
  DeploymentService& d = deployments;
  const std::string tag = "serving";
  LEPTON_ASSIGN_OR_RETURN(std::shared_ptr<InferenceMetrics> metrics, RegisterMetrics(metrics_registry, d));

  // ------------------------------------------------------------ deployments
  router.Add({.method = "POST", .pattern = "/api/v1/deployments", .operation_id = "deployment.create",
              .summary = "Deploy a registered model ({\"name\", \"model\", \"alias\" | \"version\", \"max_concurrency\", "
                         "\"max_queue\", \"queue_timeout_ms\"}): loaded and warmed before the answer.",
              .tag = tag, .request_schema = DeploymentSchema(), .response_schema = DeploymentSchema(), .success_status = 201},
             [&d](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               if (!body.is_object() || !body.contains("name") || !body["name"].is_string()) {
                 return absl::InvalidArgumentError("body.name: required, a string");
               }
               const std::string name = body["name"].get<std::string>();
               body.erase("name");
               LEPTON_ASSIGN_OR_RETURN(serving::DeploymentSpec spec, serving::DeploymentSpec::FromJson(body));
               LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, Action::kDeploy, registry::ModelResource(spec.model)));
               LEPTON_ASSIGN_OR_RETURN(serving::Deployment dep, d.Create(name, spec, ctx.principal->user_name));
               return HttpResponse::MakeJson(201, DeploymentJson(dep, d.Status(name)));
             });
  router.Add({.method = "GET", .pattern = "/api/v1/deployments", .operation_id = "deployment.list",
              .summary = "Deployments of models the caller may read, with their status.", .tag = tag,
              .response_schema = Array(DeploymentSchema())},
             [&d](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto all, d.List());
               Json out = Json::array();
               for (const auto& dep : all) {
                 if (auth::Authorize(*ctx.principal, Action::kRead, registry::ModelResource(dep.spec.model)).ok()) {
                   out.push_back(DeploymentJson(dep, d.Status(dep.name)));
                 }
               }
               return HttpResponse::MakeJson(200, out);
             });
  router.Add({.method = "GET", .pattern = "/api/v1/deployments/{name}", .operation_id = "deployment.get",
              .summary = "A deployment: spec, revision and status (serving and target version, load time, "
                         "last error, in flight, queued, rejected).",
              .tag = tag, .response_schema = DeploymentSchema()},
             [&d](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(serving::Deployment dep, d.Get(ctx.Param("name")));
               LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, Action::kRead, registry::ModelResource(dep.spec.model)));
               return HttpResponse::MakeJson(200, DeploymentJson(dep, d.Status(dep.name)));
             });
  router.Add({.method = "PUT", .pattern = "/api/v1/deployments/{name}", .operation_id = "deployment.update",
              .summary = "Replace a deployment's spec (a new revision); the new target is loaded and warmed, then "
                         "traffic switches atomically.",
              .tag = tag, .request_schema = DeploymentSchema(), .response_schema = DeploymentSchema()},
             [&d](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               std::string comment;
               if (body.is_object() && body.contains("comment") && body["comment"].is_string()) {
                 comment = body["comment"].get<std::string>();
                 body.erase("comment");
               }
               LEPTON_ASSIGN_OR_RETURN(serving::DeploymentSpec spec, serving::DeploymentSpec::FromJson(body));
               LEPTON_ASSIGN_OR_RETURN(serving::Deployment before, d.Get(ctx.Param("name")));
               LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, Action::kDeploy, registry::ModelResource(before.spec.model)));
               LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, Action::kDeploy, registry::ModelResource(spec.model)));
               LEPTON_ASSIGN_OR_RETURN(serving::Deployment dep, d.Update(ctx.Param("name"), spec, ctx.principal->user_name, comment));
               return HttpResponse::MakeJson(200, DeploymentJson(dep, d.Status(dep.name)));
             });
  router.Add({.method = "DELETE", .pattern = "/api/v1/deployments/{name}", .operation_id = "deployment.delete",
              .summary = "Stop serving a deployment (running requests finish).", .tag = tag},
             [&d](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(serving::Deployment dep, d.Get(ctx.Param("name")));
               LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, Action::kDeploy, registry::ModelResource(dep.spec.model)));
               LEPTON_RETURN_IF_ERROR(d.Delete(dep.name));
               return HttpResponse::MakeJson(200, {{"deleted", dep.name}});
             });
  for (const char* verb : {"rollback", "refresh"}) {
    const bool rollback = std::string_view(verb) == "rollback";
    router.Add({.method = "POST", .pattern = StrCat("/api/v1/deployments/{name}/", verb),
                .operation_id = StrCat("deployment.", verb),
                .summary = rollback ? "Roll back in one call: pin the deployment to the version it served before the "
                                      "current one (409 when there is none)."
                                    : "Re-resolve the deployment's alias now and switch if it moved (the watcher does "
                                      "this every few seconds).",
                .tag = tag, .response_schema = DeploymentSchema()},
               [&d, rollback](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
                 LEPTON_ASSIGN_OR_RETURN(serving::Deployment dep, d.Get(ctx.Param("name")));
                 LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, Action::kDeploy, registry::ModelResource(dep.spec.model)));
                 if (rollback) {
                   LEPTON_ASSIGN_OR_RETURN(dep, d.Rollback(dep.name, ctx.principal->user_name));
                 } else {
                   LEPTON_RETURN_IF_ERROR(d.Refresh(dep.name).status());
                 }
                 return HttpResponse::MakeJson(200, DeploymentJson(dep, d.Status(dep.name)));
               });
  }

  router.Add({.method = "GET", .pattern = "/api/v1/deployments/{name}/drift", .operation_id = "deployment.drift",
              .summary = "Drift of the served version's recent traffic (the prediction log's newest ?requests=N, default "
                         "1000) against the reference profile saved at training: PSI (with its level) and KS per input "
                         "column and on the score. Recorded in the drift history.",
              .tag = tag, .response_schema = {{"type", "object"}}, .query_params = {"requests"}},
             [&d, drift](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto loaded, d.Current(ctx.Param("name")));
               LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, Action::kRead, registry::ModelResource(loaded->model)));
               int64_t requests = 1000;
               if (auto q = ctx.request.QueryParam("requests")) {
                 bool ok = !q->empty() && q->size() <= 9;
                 for (char c : *q) ok = ok && c >= '0' && c <= '9';
                 if (!ok || std::stoll(*q) < 1) return absl::InvalidArgumentError("requests: expected a positive integer");
                 requests = std::stoll(*q);
               }
               if (drift == nullptr) return absl::FailedPreconditionError("drift monitoring is off");
               LEPTON_ASSIGN_OR_RETURN(Json result, drift->Check(ctx.Param("name"), requests));
               return HttpResponse::MakeJson(200, result);
             });
  router.Add({.method = "GET", .pattern = "/api/v1/deployments/{name}/drift/history",
              .operation_id = "deployment.drift.history",
              .summary = "Recorded drift results (on demand and scheduled), newest first (?limit=, default 100).",
              .tag = tag, .response_schema = {{"type", "array"}}, .query_params = {"limit"}},
             [&d, drift](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(serving::Deployment dep, d.Get(ctx.Param("name")));
               LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, Action::kRead, registry::ModelResource(dep.spec.model)));
               int64_t limit = 100;
               if (auto q = ctx.request.QueryParam("limit")) {
                 bool ok = !q->empty() && q->size() <= 5;
                 for (char c : *q) ok = ok && c >= '0' && c <= '9';
                 if (!ok || std::stoll(*q) < 1) return absl::InvalidArgumentError("limit: expected a positive integer");
                 limit = std::stoll(*q);
               }
               if (drift == nullptr) return absl::FailedPreconditionError("drift monitoring is off");
               LEPTON_ASSIGN_OR_RETURN(auto history, drift->History(dep.name, limit));
               return HttpResponse::MakeJson(200, Json(history));
             });

  // ------------------------------------------------------------ Open Inference Protocol
  router.Add({.method = "GET", .pattern = "/v2/health/live", .operation_id = "v2.live",
              .summary = "OIP server liveness.", .tag = tag, .authenticated = false,
              .response_schema = Obj({{"live", {{"type", "boolean"}}}})},
             [](RouteContext&) -> absl::StatusOr<HttpResponse> { return HttpResponse::MakeJson(200, {{"live", true}}); });
  router.Add({.method = "GET", .pattern = "/v2/health/ready", .operation_id = "v2.ready",
              .summary = "OIP server readiness: every deployment serves a version (503 otherwise).", .tag = tag,
              .authenticated = false, .response_schema = Obj({{"ready", {{"type", "boolean"}}}})},
             [&d](RouteContext&) -> absl::StatusOr<HttpResponse> {
               const bool ready = d.AllReady();
               return HttpResponse::MakeJson(ready ? 200 : 503, {{"ready", ready}});
             });
  router.Add({.method = "GET", .pattern = "/v2", .operation_id = "v2.metadata", .summary = "OIP server metadata.",
              .tag = tag, .response_schema = Obj({{"name", Str()}, {"version", Str()}, {"extensions", Array(Str())}})},
             [version](RouteContext&) -> absl::StatusOr<HttpResponse> {
               return HttpResponse::MakeJson(200, {{"name", "lepton"}, {"version", version}, {"extensions", Json::array()}});
             });
  for (const char* prefix : {"/v2/models/{name}", "/v2/models/{name}/versions/{version}"}) {
    router.Add({.method = "GET", .pattern = prefix, .operation_id = StrCat("v2.model.metadata", std::string(prefix).find("versions") != std::string::npos ? ".version" : ""),
                .summary = "OIP model metadata: the served version, platform and the real input and output tensors.",
                .tag = tag, .response_schema = {{"type", "object"}}},
               [&d](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
                 LEPTON_ASSIGN_OR_RETURN(auto loaded, Serving(ctx, d, Action::kRead));
                 return HttpResponse::MakeJson(200, serving::ModelMetadata(ctx.Param("name"), loaded->version, *loaded->bundle));
               });
    router.Add({.method = "GET", .pattern = StrCat(prefix, "/ready"),
                .operation_id = StrCat("v2.model.ready", std::string(prefix).find("versions") != std::string::npos ? ".version" : ""),
                .summary = "OIP model readiness (404 for an unknown deployment or version, 503 while loading).",
                .tag = tag, .response_schema = Obj({{"name", Str()}, {"ready", {{"type", "boolean"}}}})},
               [&d](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
                 LEPTON_ASSIGN_OR_RETURN(auto loaded, Serving(ctx, d, Action::kRead));
                 (void)loaded;
                 return HttpResponse::MakeJson(200, {{"name", ctx.Param("name")}, {"ready", true}});
               });
    router.Add({.method = "POST", .pattern = StrCat(prefix, "/infer"),
                .operation_id = StrCat("v2.model.infer", std::string(prefix).find("versions") != std::string::npos ? ".version" : ""),
                .summary = "OIP inference: one tensor per input column (BYTES for strings) or one 2-D numeric tensor; "
                           "outputs score, label, credit_score and, with parameters.contributions, per-column "
                           "contributions and scorecard points. 503 + Retry-After at capacity.",
                .tag = tag, .request_schema = {{"type", "object"}}, .response_schema = {{"type", "object"}}, .audit = false},
               [&d, metrics, log](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
                 const auto start = std::chrono::steady_clock::now();
                 int64_t served = 0, rows = 0;
                 double queued = -1;
                 bool known = false;  // only deployments that exist get series (no label growth from bad URLs)
                 absl::StatusOr<HttpResponse> answer = [&]() -> absl::StatusOr<HttpResponse> {
                   LEPTON_ASSIGN_OR_RETURN(int64_t wanted, VersionOf(ctx));
                   // Parsed first: the request id picks canary or primary (the same id, the same
                   // version).
                   absl::StatusOr<Json> body = ParseJsonBody(ctx.request);
                   LEPTON_ASSIGN_OR_RETURN(auto routed, d.Route(ctx.Param("name"), wanted, RoutingKey(body)));
                   const std::shared_ptr<const serving::LoadedModel>& loaded = routed.serve;
                   known = true;
                   served = loaded->version;
                   LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, Action::kInfer, registry::ModelResource(loaded->model)));
                   LEPTON_RETURN_IF_ERROR(body.status());
                   const auto admit_start = std::chrono::steady_clock::now();
                   auto ticket = d.Admit(ctx.Param("name"));
                   queued = std::chrono::duration<double>(std::chrono::steady_clock::now() - admit_start).count();
                   if (absl::IsUnavailable(ticket.status())) return Busy(ticket.status());
                   LEPTON_RETURN_IF_ERROR(ticket.status());
                   LEPTON_ASSIGN_OR_RETURN(serving::InferRequest req,
                                           serving::DecodeInferRequest(*body, loaded->bundle->pipeline().input_signature()));
                   rows = req.rows.num_rows();
                   LEPTON_ASSIGN_OR_RETURN(auto result, Run(*loaded, req.rows, req.contributions));
                   LEPTON_ASSIGN_OR_RETURN(Json out, serving::EncodeInferResponse(ctx.Param("name"), loaded->version,
                                                                                  *loaded->bundle, req, result.first,
                                                                                  result.second ? &*result.second : nullptr));
                   if (log != nullptr && serving::PredictionLog::Sampled(routed.log_sample_rate, req.id)) {
                     Json rows_json = Json::array();
                     for (int64_t r = 0; r < req.rows.num_rows(); ++r) rows_json.push_back(train::RowToJson(req.rows, r));
                     log->Record({{"ts", FormatTimestamp(absl::Now())}, {"deployment", ctx.Param("name")},
                                  {"model", loaded->model}, {"version", loaded->version}, {"canary", routed.canary},
                                  {"id", req.id ? Json(*req.id) : Json(nullptr)}, {"rows", std::move(rows_json)},
                                  {"scores", result.first.scores}, {"labels", result.first.labels}});
                   }
                   if (routed.shadow != nullptr) {
                     d.Shadow(ctx.Param("name"), routed.shadow, std::move(req.rows), std::move(result.first));
                   }
                   return HttpResponse::MakeJson(200, out);
                 }();
                 const int code = answer.ok() ? answer->status : HttpStatusFor(answer.status().code());
                 if (known) metrics->Record(ctx.Param("name"), served, code,
                                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), queued,
                                 rows);
                 return answer;
               });
  }

  // ------------------------------------------------------------ MLflow scoring formats
  router.Add({.method = "POST", .pattern = "/api/v1/deployments/{name}/invocations", .operation_id = "deployment.invocations",
              .summary = "MLflow scoring-server formats (dataframe_split, dataframe_records, instances, inputs): "
                         "{\"predictions\": [{\"score\", \"label\", \"credit_score\"}…]}.",
              .tag = tag, .request_schema = {{"type", "object"}}, .response_schema = {{"type", "object"}}, .audit = false},
             [&d](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto routed, d.Route(ctx.Param("name"), 0, RoutingKey(absl::StatusOr<Json>(Json()))));
               const std::shared_ptr<const serving::LoadedModel>& loaded = routed.serve;
               LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, Action::kInfer, registry::ModelResource(loaded->model)));
               auto ticket = d.Admit(ctx.Param("name"));
               if (absl::IsUnavailable(ticket.status())) return Busy(ticket.status());
               LEPTON_RETURN_IF_ERROR(ticket.status());
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               const auto& signature = loaded->bundle->pipeline().input_signature();
               LEPTON_ASSIGN_OR_RETURN(Json rows, serving::MlflowRows(body, signature));
               LEPTON_ASSIGN_OR_RETURN(lake::RecordBatch batch, train::RowsFromJson(signature, rows, "rows"));
               LEPTON_ASSIGN_OR_RETURN(train::Predictions p, loaded->bundle->Predict(batch));
               Json predictions = Json::array();
               const size_t n = static_cast<size_t>(batch.num_rows());
               const size_t width = p.task == ml::Task::kMulticlass ? static_cast<size_t>(p.num_classes) : 1;
               for (size_t r = 0; r < n; ++r) {
                 Json one = Json::object();
                 if (width == 1) {
                   one["score"] = p.scores[r];
                 } else {
                   one["probabilities"] = std::vector<double>(p.scores.begin() + static_cast<long>(r * width),
                                                              p.scores.begin() + static_cast<long>((r + 1) * width));
                 }
                 if (!p.labels.empty()) one["label"] = p.labels[r];
                 if (!p.credit_scores.empty()) one["credit_score"] = p.credit_scores[r];
                 predictions.push_back(std::move(one));
               }
               if (routed.shadow != nullptr) d.Shadow(ctx.Param("name"), routed.shadow, std::move(batch), std::move(p));
               return HttpResponse::MakeJson(200, {{"predictions", predictions}, {"model_version", loaded->version}});
             });
  return absl::OkStatus();
}

}  // namespace lepton::api
