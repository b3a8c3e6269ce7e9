#include "lepton/api/serving_routes.h"

#include "lepton/api/api_service.h"
#include "lepton/api/route_schema.h"
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

}  // namespace

void AddServingRoutes(Router& router, DeploymentService& deployments, std::string version) {
  DeploymentService& d = deployments;
  const std::string tag = "serving";

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
               [&d](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
                 LEPTON_ASSIGN_OR_RETURN(auto loaded, Serving(ctx, d, Action::kInfer));
                 auto ticket = d.Admit(ctx.Param("name"));
                 if (absl::IsUnavailable(ticket.status())) return Busy(ticket.status());
                 LEPTON_RETURN_IF_ERROR(ticket.status());
                 LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
                 LEPTON_ASSIGN_OR_RETURN(serving::InferRequest req,
                                         serving::DecodeInferRequest(body, loaded->bundle->pipeline().input_signature()));
                 LEPTON_ASSIGN_OR_RETURN(auto result, Run(*loaded, req.rows, req.contributions));
                 LEPTON_ASSIGN_OR_RETURN(Json out, serving::EncodeInferResponse(ctx.Param("name"), loaded->version,
                                                                                *loaded->bundle, req, result.first,
                                                                                result.second ? &*result.second : nullptr));
                 return HttpResponse::MakeJson(200, out);
               });
  }

  // ------------------------------------------------------------ MLflow scoring formats
  router.Add({.method = "POST", .pattern = "/api/v1/deployments/{name}/invocations", .operation_id = "deployment.invocations",
              .summary = "MLflow scoring-server formats (dataframe_split, dataframe_records, instances, inputs): "
                         "{\"predictions\": [{\"score\", \"label\", \"credit_score\"}…]}.",
              .tag = tag, .request_schema = {{"type", "object"}}, .response_schema = {{"type", "object"}}, .audit = false},
             [&d](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto loaded, Serving(ctx, d, Action::kInfer));
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
               return HttpResponse::MakeJson(200, {{"predictions", predictions}, {"model_version", loaded->version}});
             });
}

}  // namespace lepton::api
