#include "lepton/api/serving_routes.h"

#include <chrono>
#include <mutex>
#include <random>
#include <unordered_map>

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
              {"canary", Obj({{"alias", Str()}, {"version", Int()}, {"percent", Num()}})},
              {"shadow", Obj({{"alias", Str()}, {"version", Int()}})},
              {"log_sample_rate", Num()},
              {"batching", Obj({{"max_batch_size", Int()}, {"max_queue_delay_us", Int()}})},
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
uint64_t RoutingKeyOf(const std::optional<std::string>& id) {
  if (id) return std::hash<std::string>{}(*id);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}
uint64_t RoutingKey(const absl::StatusOr<Json>& body) {
  if (body.ok() && body->is_object() && body->contains("id") && (*body)["id"].is_string()) {
    return RoutingKeyOf((*body)["id"].get<std::string>());
  }
  return RoutingKeyOf(std::nullopt);
}

HttpResponse Busy(const absl::Status& s) {
  HttpResponse r = HttpResponse::MakeJson(503, {{"code", "UNAVAILABLE"}, {"error", std::string(s.message())}});
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

// Inference metrics. The handles of a deployment and version are looked up once and kept (one
// locked hash lookup per request instead of a label lookup per series).
struct InferenceMetrics {
  monitor::CounterFamily* requests = nullptr;
  monitor::HistogramFamily* latency = nullptr;
  monitor::HistogramFamily* queue = nullptr;
  monitor::HistogramFamily* rows = nullptr;
  monitor::HistogramFamily* batch = nullptr;

  struct Series {
    monitor::Counter ok;  // code 200; other codes are looked up when they happen
    monitor::Histogram latency, queue, rows, batch;
  };
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<Series>> series;  // "deployment\0version"

  std::shared_ptr<Series> For(const std::string& deployment, const std::string& v) {
    std::string key = StrCat(deployment, std::string_view("\0", 1), v);
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = series.find(key); it != series.end()) return it->second;
    auto ok = requests->WithLabels({deployment, v, "200"});
    auto l = latency->WithLabels({deployment, v});
    auto q = queue->WithLabels({deployment, v});
    auto r = rows->WithLabels({deployment});
    auto b = batch->WithLabels({deployment});
    if (!ok.ok() || !l.ok() || !q.ok() || !r.ok() || !b.ok()) return nullptr;  // the family is full
    auto one = std::make_shared<Series>(Series{*ok, *l, *q, *r, *b});
    series.emplace(std::move(key), one);
    return one;
  }

  // `batch_rows`: rows of the model call that answered (0: none ran).
  void Record(const std::string& deployment, int64_t version, int code, double seconds, double queue_seconds,
              int64_t request_rows, int64_t batch_rows) {
    if (requests == nullptr) return;
    const std::string v = version > 0 ? StrCat(version) : std::string("none");
    std::shared_ptr<Series> s = For(deployment, v);
    if (s == nullptr) return;
    if (code == 200) {
      s->ok.Inc();
    } else if (auto h = requests->WithLabels({deployment, v, StrCat(code)}); h.ok()) {
      h->Inc();
    }
    s->latency.Observe(seconds);
    if (queue_seconds >= 0) s->queue.Observe(queue_seconds);
    if (request_rows > 0) s->rows.Observe(static_cast<double>(request_rows));
    if (batch_rows > 0) s->batch.Observe(static_cast<double>(batch_rows));
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
  LEPTON_ASSIGN_OR_RETURN(out->batch, m->AddHistogram("lepton_inference_model_batch_rows",
                                                      "Rows of the model call that answered each request (with "
                                                      "dynamic batching, the whole batch).",
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

// What inference needs besides the request.
struct InferDeps {
  DeploymentService& d;
  std::shared_ptr<InferenceMetrics> metrics;
  serving::PredictionLog* log;
};

// One inference request from admission to its answer; shared with the batch thread when the
// deployment batches. The ticket (the admission slot) is held until the answer is built.
struct InferCall {
  std::string deployment;
  std::chrono::steady_clock::time_point start;
  DeploymentService::Routed routed;
  serving::InferRequest request;  // its rows moved to `rows`
  std::shared_ptr<const lake::RecordBatch> rows;
  DeploymentService::Ticket ticket;
  double queued = -1;
};

// The prediction-log line of a request, written as text (no JSON document per row).
std::string PredictionLogLine(const InferCall& call, const train::Predictions& p) {
  const serving::LoadedModel& loaded = *call.routed.serve;
  std::string line;
  // About the size of a line (one allocation instead of one per doubling).
  line.reserve(256 + 40 * static_cast<size_t>(call.rows->num_rows()) * call.rows->num_columns());
  line += "{\"ts\":";
  AppendJsonString(FormatTimestamp(absl::Now()), &line);
  line += ",\"deployment\":";
  AppendJsonString(call.deployment, &line);
  line += ",\"model\":";
  AppendJsonString(loaded.model, &line);
  line += ",\"version\":";
  AppendJsonNumber(loaded.version, &line);
  line += call.routed.canary ? ",\"canary\":true,\"id\":" : ",\"canary\":false,\"id\":";
  if (call.request.id) {
    AppendJsonString(*call.request.id, &line);
  } else {
    line += "null";
  }
  line += ",\"rows\":[";
  for (int64_t r = 0; r < call.rows->num_rows(); ++r) {
    if (r > 0) line += ',';
    train::AppendRowJsonText(*call.rows, r, &line);
  }
  line += "],\"scores\":[";
  for (size_t i = 0; i < p.scores.size(); ++i) {
    if (i > 0) line += ',';
    AppendJsonNumber(p.scores[i], &line);
  }
  line += "],\"labels\":[";
  for (size_t i = 0; i < p.labels.size(); ++i) {
    if (i > 0) line += ',';
    AppendJsonString(p.labels[i], &line);
  }
  line += "]}";
  return line;
}

// The answer to `call` from its predictions: encoded, logged, copied to the shadow, counted.
HttpResponse FinishInfer(const InferDeps& deps, InferCall& call, absl::StatusOr<train::Predictions> predictions,
                         int64_t batch_rows, const std::vector<train::RowExplanation>* explanations) {
  absl::StatusOr<HttpResponse> answer = [&]() -> absl::StatusOr<HttpResponse> {
    LEPTON_RETURN_IF_ERROR(predictions.status());
    const serving::LoadedModel& loaded = *call.routed.serve;
    LEPTON_ASSIGN_OR_RETURN(std::string out, serving::EncodeInferResponse(call.deployment, loaded.version, *loaded.bundle,
                                                                          call.request, *predictions, explanations));
    if (deps.log != nullptr && serving::PredictionLog::Sampled(call.routed.log_sample_rate, call.request.id)) {
      deps.log->Record(call.deployment, PredictionLogLine(call, *predictions));
    }
    if (call.routed.shadow != nullptr) {
      deps.d.Shadow(call.deployment, call.routed.shadow, *call.rows, *std::move(predictions));
    }
    HttpResponse response;
    response.body = std::move(out);
    return response;
  }();
  call.ticket = DeploymentService::Ticket();  // the slot is free once the answer is built
  HttpResponse response = answer.ok() ? *std::move(answer) : ErrorResponse(answer.status());
  deps.metrics->Record(call.deployment, call.routed.serve->version, response.status,
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - call.start).count(),
                       call.queued, call.rows->num_rows(), batch_rows);
  return response;
}

// POST …/infer: decoded and admitted on the I/O thread; predicted inline, or — when the
// deployment batches and the request wants no explanations — by the deployment's batcher, whose
// thread then completes the deferred response.
absl::StatusOr<HttpResponse> Infer(const std::shared_ptr<const InferDeps>& deps, RouteContext& ctx) {
  auto call = std::make_shared<InferCall>();
  call->start = std::chrono::steady_clock::now();
  call->deployment = ctx.Param("name");
  DeploymentService& d = deps->d;
  bool known = false;  // only deployments that exist get series (no label growth from bad URLs)
  int64_t served = 0;
  absl::StatusOr<HttpResponse> early = [&]() -> absl::StatusOr<HttpResponse> {
    LEPTON_ASSIGN_OR_RETURN(int64_t wanted, VersionOf(ctx));
    // Parsed first: the request id picks canary or primary (the same id, the same version). The
    // common request is read without a JSON document (oip.h); anything else, valid or not, goes
    // through the full parser and decoder.
    thread_local serving::FastInferDocument doc;  // reused: its buffers outlive the request
    const serving::FastInferDocument* fast = nullptr;
    const std::string_view type = ctx.request.Header("content-type");
    if ((type.empty() || StartsWithIgnoreCase(type, "application/json")) &&
        serving::ParseInferRequestFast(ctx.request.body, &doc)) {
      fast = &doc;
    }
    absl::StatusOr<Json> body = fast ? absl::StatusOr<Json>(Json()) : ParseJsonBody(ctx.request);
    const uint64_t key = fast ? RoutingKeyOf(fast->id) : RoutingKey(body);
    LEPTON_ASSIGN_OR_RETURN(call->routed, d.Route(call->deployment, wanted, key));
    const serving::LoadedModel& loaded = *call->routed.serve;
    known = true;
    served = loaded.version;
    LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, Action::kInfer, registry::ModelResource(loaded.model)));
    LEPTON_RETURN_IF_ERROR(body.status());
    const auto admit_start = std::chrono::steady_clock::now();
    auto ticket = d.Admit(call->deployment);
    call->queued = std::chrono::duration<double>(std::chrono::steady_clock::now() - admit_start).count();
    if (absl::IsUnavailable(ticket.status())) return Busy(ticket.status());
    LEPTON_RETURN_IF_ERROR(ticket.status());
    call->ticket = *std::move(ticket);
    const auto& signature = loaded.bundle->pipeline().input_signature();
    std::optional<serving::InferRequest> decoded;
    if (fast) decoded = serving::DecodeInferRequestFast(*fast, signature);
    if (decoded) {
      call->request = *std::move(decoded);
    } else {
      if (fast) body = ParseJsonBody(ctx.request);  // the full path names the problem
      LEPTON_RETURN_IF_ERROR(body.status());
      LEPTON_ASSIGN_OR_RETURN(call->request, serving::DecodeInferRequest(*body, signature));
    }
    call->rows = std::make_shared<const lake::RecordBatch>(std::move(call->request.rows));
    if (loaded.batcher != nullptr && !call->request.contributions) {
      HttpResponse later;
      later.deferred = std::make_shared<DeferredResponse>();
      loaded.batcher->Submit(call->rows, [deps, call, deferred = later.deferred](
                                             absl::StatusOr<train::Predictions> p, int64_t batch_rows) {
        deferred->Complete(FinishInfer(*deps, *call, std::move(p), batch_rows, nullptr));
      });
      return later;
    }
    absl::StatusOr<train::Predictions> p = loaded.bundle->Predict(*call->rows);
    std::optional<std::vector<train::RowExplanation>> explanations;
    if (p.ok() && call->request.contributions) {
      LEPTON_ASSIGN_OR_RETURN(explanations, train::ExplainRows(*loaded.bundle, *call->rows));
    }
    return FinishInfer(*deps, *call, std::move(p), call->rows->num_rows(), explanations ? &*explanations : nullptr);
  }();
  // Failures before the model ran are counted here; FinishInfer counts the rest.
  const bool finished = early.ok() && (early->deferred != nullptr || call->rows != nullptr);
  if (known && !finished) {
    const int code = early.ok() ? early->status : HttpStatusFor(early.status().code());
    deps->metrics->Record(call->deployment, served, code,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - call->start).count(),
                          call->queued, 0, 0);
  }
  return early;
}

}  // namespace

absl::Status AddServingRoutes(Router& router, DeploymentService& deployments, std::string version,
                              monitor::MetricsRegistry* metrics_registry, serving::PredictionLog* log,
                              serving::DriftMonitor* drift) {
  DeploymentService& d = deployments;
  const std::string tag = "serving";
  LEPTON_ASSIGN_OR_RETURN(std::shared_ptr<InferenceMetrics> metrics, RegisterMetrics(metrics_registry, d));
  auto deps = std::make_shared<const InferDeps>(InferDeps{d, metrics, log});

  // ------------------------------------------------------------ deployments
  router.Add({.method = "POST", .pattern = "/api/v1/deployments", .operation_id = "deployment.create",
              .summary = "Deploy a registered model ({\"name\", \"model\", \"alias\" | \"version\", \"max_concurrency\", "
                         "\"max_queue\", \"queue_timeout_ms\", \"canary\", \"shadow\", \"log_sample_rate\", "
                         "\"batching\"}): loaded and warmed before the answer.",
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
               [deps](RouteContext& ctx) -> absl::StatusOr<HttpResponse> { return Infer(deps, ctx); });
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
