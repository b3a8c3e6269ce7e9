#include "lepton/api/tracking_routes.h"

#include "lepton/api/api_service.h"
#include "lepton/api/route_schema.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::api {
namespace {

using auth::Action;
using namespace schema;  // NOLINT: the schema fragments read as a small DSL here
using tracking::TrackingService;


Json ExperimentSchema() {
  return Obj({{"id", Str()}, {"name", Str()}, {"description", Str()}, {"tags", StrMap()},
              {"created_by", Str()}, {"created_at", Str()}, {"updated_at", Str()},
              {"lifecycle", {{"type", "string"}, {"enum", {"active", "deleted"}}}}});
}
Json RunInfoProps() {
  return {{"id", Str()},
          {"experiment_id", Str()},
          {"name", Str()},
          {"status", {{"type", "string"}, {"enum", {"queued", "running", "finished", "failed", "killed"}}}},
          {"start_time", Str()},
          {"end_time", NullableStr()},
          {"user", Str()},
          {"source", Str()},
          {"job_id", NullableStr()},
          {"parent_run_id", NullableStr()}};
}
Json RunSchema() {
  Json props = RunInfoProps();
  props["params"] = StrMap();
  props["tags"] = StrMap();
  props["metrics"] = {{"type", "object"},
                      {"additionalProperties", Obj({{"value", Num()}, {"step", Int()}, {"timestamp", Int()}})}};
  props["inputs"] = Array(Obj({{"dataset", Str()}, {"version", Int()}, {"digest", Str()}, {"context", Str()}}));
  return Obj(std::move(props));
}
Json KeyValueList() { return Array(Obj({{"key", Str()}, {"value", Str()}}, {"key", "value"})); }
Json ArtifactSchema() {
  return Obj({{"path", Str()}, {"size_bytes", Int()}, {"sha256", Str()}, {"created_at", Str()}});
}
Json LoggedSchema() { return Obj({{"run_id", Str()}, {"logged", Int()}}); }

// The experiment `id` if the caller may do `action` on it. Unreadable reads as unknown (404).
absl::StatusOr<tracking::Experiment> Allowed(const RouteContext& ctx, const tracking::Experiment& e,
                                             Action action) {
  if (!auth::Authorize(*ctx.principal, Action::kRead, e.name).ok()) {
    return absl::NotFoundError(StrCat("experiment '", e.id, "' not found"));
  }
  if (action != Action::kRead) LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, action, e.name));
  return e;
}

absl::StatusOr<tracking::Experiment> ExperimentFor(TrackingService& s, const RouteContext& ctx,
                                                   std::string_view id, Action action) {
  auto e = s.GetExperiment(id);
  if (!e.ok()) return e.status();
  return Allowed(ctx, *e, action);
}

// The run `id` if the caller may do `action` on its experiment. Unreadable reads as unknown.
absl::StatusOr<tracking::RunInfo> RunFor(TrackingService& s, const RouteContext& ctx,
                                         std::string_view id, Action action) {
  LEPTON_ASSIGN_OR_RETURN(tracking::RunInfo run, s.GetRunInfo(id));
  auto e = s.GetExperiment(run.experiment_id);
  if (!e.ok()) return e.status();
  if (!auth::Authorize(*ctx.principal, Action::kRead, e->name).ok()) {
    return absl::NotFoundError(StrCat("run '", id, "' not found"));
  }
  if (action != Action::kRead) LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, action, e->name));
  return run;
}

// The array field `key` of the body, each element an object for `JsonFields`.
absl::StatusOr<std::vector<Json>> Items(const Json& body, const char* key) {
  JsonFields f(body, "body");
  std::optional<Json> items = f.OptionalValue(key);
  LEPTON_RETURN_IF_ERROR(f.Finish());
  if (!items || !items->is_array()) {
    return absl::InvalidArgumentError(StrCat("body.", key, ": expected an array"));
  }
  return items->get<std::vector<Json>>();
}

// Key-value batches (params, tags): [{"key": …, "value": …}, …].
absl::StatusOr<std::map<std::string, std::string>> KeyValues(const Json& body, const char* key) {
  LEPTON_ASSIGN_OR_RETURN(std::vector<Json> items, Items(body, key));
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < items.size(); ++i) {
    JsonFields f(items[i], StrCat("body.", key, "[", i, "]"));
    std::string k = f.String("key");
    std::string v = f.String("value");
    LEPTON_RETURN_IF_ERROR(f.Finish());
    if (auto [it, inserted] = out.emplace(k, v); !inserted && it->second != v) {
      return absl::InvalidArgumentError(StrCat("body.", key, "[", i, "]: key '", k, "' given twice"));
    }
  }
  return out;
}

Json RunsToJson(const std::vector<tracking::Run>& runs) {
  Json out = Json::array();
  for (const tracking::Run& r : runs) out.push_back(tracking::RunToJson(r));
  return out;
}

}  // namespace

void AddTrackingRoutes(Router& router, TrackingService& service) {
  TrackingService& s = service;

  // ------------------------------------------------------------ experiments
  router.Add({.method = "POST", .pattern = "/api/v1/experiments", .operation_id = "experiment.create",
              .summary = "Create an experiment (train over its name, e.g. credit/scorecard).",
              .tag = "tracking",
              .request_schema = Obj({{"name", Str()}, {"description", Str()}, {"tags", StrMap()}}, {"name"}),
              .response_schema = ExperimentSchema(), .success_status = 201},
             [&s](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               JsonFields f(body, "body");
               const std::string name = f.String("name");
               const std::string description = f.OptionalString("description").value_or("");
               const std::optional<Json> tags_json = f.OptionalValue("tags");
               LEPTON_RETURN_IF_ERROR(f.Finish());
               LEPTON_ASSIGN_OR_RETURN(auto tags, StringMap(tags_json, "body.tags"));
               LEPTON_RETURN_IF_ERROR(tracking::ValidateExperimentName(name));
               LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, Action::kTrain, name));
               LEPTON_ASSIGN_OR_RETURN(auto e, s.CreateExperiment(name, description, tags,
                                                                  ctx.principal->user_name));
               return HttpResponse::MakeJson(201, tracking::ExperimentToJson(e));
             });
  router.Add({.method = "GET", .pattern = "/api/v1/experiments", .operation_id = "experiment.list",
              .summary = "Experiments the caller may read, by name (view=active|deleted|all; "
                         "name= for one by name).",
              .tag = "tracking", .response_schema = Array(ExperimentSchema()),
              .query_params = {"view", "name"}},
             [&s](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               const std::string view = ctx.request.QueryParam("view").value_or("active");
               tracking::ViewType v = tracking::ViewType::kActiveOnly;
               if (view == "deleted") v = tracking::ViewType::kDeletedOnly;
               else if (view == "all") v = tracking::ViewType::kAll;
               else if (view != "active") return absl::InvalidArgumentError("view: expected active, deleted or all");
               const std::optional<std::string> name = ctx.request.QueryParam("name");
               LEPTON_ASSIGN_OR_RETURN(auto all, s.ListExperiments(name ? tracking::ViewType::kAll : v));
               Json out = Json::array();
               for (const auto& e : all) {
                 if (name && e.name != *name) continue;
                 if (auth::Authorize(*ctx.principal, Action::kRead, e.name).ok()) {
                   out.push_back(tracking::ExperimentToJson(e));
                 }
               }
               return HttpResponse::MakeJson(200, out);
             });
  router.Add({.method = "GET", .pattern = "/api/v1/experiments/{id}", .operation_id = "experiment.get",
              .summary = "One experiment (deleted ones too).", .tag = "tracking",
              .response_schema = ExperimentSchema()},
             [&s](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto e, ExperimentFor(s, ctx, ctx.Param("id"), Action::kRead));
               return HttpResponse::MakeJson(200, tracking::ExperimentToJson(e));
             });
  router.Add({.method = "DELETE", .pattern = "/api/v1/experiments/{id}", .operation_id = "experiment.delete",
              .summary = "Soft-delete an experiment: hidden from listings, its runs read-only until "
                         "restored.",
              .tag = "tracking", .response_schema = ExperimentSchema()},
             [&s](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto e, ExperimentFor(s, ctx, ctx.Param("id"), Action::kTrain));
               LEPTON_RETURN_IF_ERROR(s.DeleteExperiment(e.id));
               LEPTON_ASSIGN_OR_RETURN(e, s.GetExperiment(e.id));
               return HttpResponse::MakeJson(200, tracking::ExperimentToJson(e));
             });
  router.Add({.method = "POST", .pattern = "/api/v1/experiments/{id}/restore",
              .operation_id = "experiment.restore", .summary = "Restore a deleted experiment.",
              .tag = "tracking", .response_schema = ExperimentSchema()},
             [&s](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto e, ExperimentFor(s, ctx, ctx.Param("id"), Action::kTrain));
               LEPTON_RETURN_IF_ERROR(s.RestoreExperiment(e.id));
               LEPTON_ASSIGN_OR_RETURN(e, s.GetExperiment(e.id));
               return HttpResponse::MakeJson(200, tracking::ExperimentToJson(e));
             });

  // ------------------------------------------------------------ runs
  router.Add({.method = "POST", .pattern = "/api/v1/runs", .operation_id = "run.create",
              .summary = "Start a run in an experiment (by experiment_id or experiment_name).",
              .tag = "tracking",
              .request_schema = Obj({{"experiment_id", Str()}, {"experiment_name", Str()}, {"name", Str()},
                                     {"tags", StrMap()}, {"source", Str()}, {"job_id", Str()},
                                     {"parent_run_id", Str()},
                                     {"status", {{"type", "string"}, {"enum", {"queued", "running"}}}}}),
              .response_schema = RunSchema(), .success_status = 201},
             [&s](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               JsonFields f(body, "body");
               const std::optional<std::string> experiment_id = f.OptionalString("experiment_id");
               const std::optional<std::string> experiment_name = f.OptionalString("experiment_name");
               tracking::NewRun r;
               r.name = f.OptionalString("name").value_or("");
               const std::optional<Json> tags_json = f.OptionalValue("tags");
               r.source = f.OptionalString("source").value_or("");
               r.job_id = f.OptionalString("job_id").value_or("");
               r.parent_run_id = f.OptionalString("parent_run_id").value_or("");
               const std::string status = f.OptionalString("status").value_or("running");
               LEPTON_RETURN_IF_ERROR(f.Finish());
               LEPTON_ASSIGN_OR_RETURN(r.tags, StringMap(tags_json, "body.tags"));
               LEPTON_ASSIGN_OR_RETURN(r.status, tracking::ParseRunStatus(status));
               if (experiment_id.has_value() == experiment_name.has_value()) {
                 return absl::InvalidArgumentError("body: give experiment_id or experiment_name");
               }
               absl::StatusOr<tracking::Experiment> e =
                   experiment_id ? s.GetExperiment(*experiment_id) : s.GetExperimentByName(*experiment_name);
               if (!e.ok()) return e.status();
               LEPTON_ASSIGN_OR_RETURN(*e, Allowed(ctx, *e, Action::kTrain));
               r.experiment_id = e->id;
               r.user = ctx.principal->user_name;
               LEPTON_ASSIGN_OR_RETURN(tracking::RunInfo info, s.CreateRun(r));
               LEPTON_ASSIGN_OR_RETURN(tracking::Run run, s.GetRun(info.id));
               return HttpResponse::MakeJson(201, tracking::RunToJson(run));
             });
  router.Add({.method = "POST", .pattern = "/api/v1/runs/search", .operation_id = "run.search",
              .summary = "Search runs of experiments: filter (metrics.auc > 0.7 and params.learner "
                         "= 'xgboost' …; AND only), order_by, max_results, page_token.",
              .tag = "tracking",
              .request_schema = Obj({{"experiment_ids", Array(Str())}, {"experiment_names", Array(Str())},
                                     {"filter", Str()}, {"order_by", Array(Str())},
                                     {"max_results", {{"type", "integer"}, {"minimum", 1}, {"maximum", 50000}}},
                                     {"page_token", Str()}}),
              .response_schema = Obj({{"runs", Array(RunSchema())}, {"next_page_token", NullableStr()}})},
             [&s](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               JsonFields f(body, "body");
               tracking::SearchRequest req;
               const auto ids = f.OptionalStringArray("experiment_ids").value_or(std::vector<std::string>{});
               const auto names = f.OptionalStringArray("experiment_names").value_or(std::vector<std::string>{});
               req.filter = f.OptionalString("filter").value_or("");
               req.order_by = f.OptionalStringArray("order_by").value_or(std::vector<std::string>{});
               req.max_results = f.OptionalInt("max_results").value_or(100);
               req.page_token = f.OptionalString("page_token").value_or("");
               LEPTON_RETURN_IF_ERROR(f.Finish());
               for (const std::string& id : ids) {
                 LEPTON_ASSIGN_OR_RETURN(auto e, ExperimentFor(s, ctx, id, Action::kRead));
                 req.experiment_ids.push_back(e.id);
               }
               for (const std::string& name : names) {
                 auto e = s.GetExperimentByName(name);
                 if (!e.ok()) return e.status();
                 LEPTON_ASSIGN_OR_RETURN(*e, Allowed(ctx, *e, Action::kRead));
                 req.experiment_ids.push_back(e->id);
               }
               if (req.experiment_ids.empty()) {
                 return absl::InvalidArgumentError("body: give experiment_ids or experiment_names");
               }
               LEPTON_ASSIGN_OR_RETURN(tracking::SearchResult res, s.SearchRuns(req));
               return HttpResponse::MakeJson(
                   200, {{"runs", RunsToJson(res.runs)},
                         {"next_page_token", res.next_page_token.empty() ? Json(nullptr) : Json(res.next_page_token)}});
             });
  router.Add({.method = "POST", .pattern = "/api/v1/runs/compare", .operation_id = "run.compare",
              .summary = "Runs side by side: params[key][i] and metrics[key][i] belong to runs[i] "
                         "(null when missing).",
              .tag = "tracking", .request_schema = Obj({{"run_ids", Array(Str())}}, {"run_ids"}),
              .response_schema = Obj({{"runs", Array(Obj(RunInfoProps()))},
                                      {"params", {{"type", "object"}, {"additionalProperties", Array(NullableStr())}}},
                                      {"metrics", {{"type", "object"},
                                                   {"additionalProperties", Array({{"type", "number"}, {"nullable", true}})}}}})},
             [&s](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               JsonFields f(body, "body");
               const auto ids = f.OptionalStringArray("run_ids");
               LEPTON_RETURN_IF_ERROR(f.Finish());
               if (!ids) return absl::InvalidArgumentError("body.run_ids: missing");
               for (const std::string& id : *ids) LEPTON_RETURN_IF_ERROR(RunFor(s, ctx, id, Action::kRead).status());
               LEPTON_ASSIGN_OR_RETURN(tracking::RunComparison c, s.CompareRuns(*ids));
               return HttpResponse::MakeJson(200, tracking::ComparisonToJson(c));
             });
  router.Add({.method = "GET", .pattern = "/api/v1/runs/{id}", .operation_id = "run.get",
              .summary = "A run: info, params, latest metric values, tags, dataset inputs.",
              .tag = "tracking", .response_schema = RunSchema()},
             [&s](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_RETURN_IF_ERROR(RunFor(s, ctx, ctx.Param("id"), Action::kRead).status());
               LEPTON_ASSIGN_OR_RETURN(tracking::Run run, s.GetRun(ctx.Param("id")));
               return HttpResponse::MakeJson(200, tracking::RunToJson(run));
             });
  router.Add({.method = "PATCH", .pattern = "/api/v1/runs/{id}", .operation_id = "run.update",
              .summary = "Change a run's status (finished/failed/killed end it; end_time defaults to "
                         "now) or name. An ended run keeps its status (409).",
              .tag = "tracking",
              .request_schema = Obj({{"status", {{"type", "string"}, {"enum", {"queued", "running", "finished", "failed", "killed"}}}},
                                     {"end_time", Str()}, {"name", Str()}}),
              .response_schema = RunSchema()},
             [&s](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               JsonFields f(body, "body");
               const std::optional<std::string> status = f.OptionalString("status");
               const std::optional<std::string> end_time = f.OptionalString("end_time");
               const std::optional<std::string> name = f.OptionalString("name");
               LEPTON_RETURN_IF_ERROR(f.Finish());
               if (end_time && !status) return absl::InvalidArgumentError("body.end_time: needs a status");
               LEPTON_ASSIGN_OR_RETURN(tracking::RunInfo run, RunFor(s, ctx, ctx.Param("id"), Action::kTrain));
               if (name) LEPTON_RETURN_IF_ERROR(s.RenameRun(run.id, *name).status());
               if (status) {
                 LEPTON_ASSIGN_OR_RETURN(tracking::RunStatus st, tracking::ParseRunStatus(*status));
                 LEPTON_RETURN_IF_ERROR(s.SetStatus(run.id, st, end_time).status());
               }
               LEPTON_ASSIGN_OR_RETURN(tracking::Run full, s.GetRun(run.id));
               return HttpResponse::MakeJson(200, tracking::RunToJson(full));
             });

  // ------------------------------------------------------------ run data
  router.Add({.method = "POST", .pattern = "/api/v1/runs/{id}/params", .operation_id = "run.log_params",
              .summary = "Log params (immutable: a different value for a logged key is 409).",
              .tag = "tracking", .request_schema = Obj({{"params", KeyValueList()}}, {"params"}),
              .response_schema = LoggedSchema()},
             [&s](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               LEPTON_ASSIGN_OR_RETURN(auto params, KeyValues(body, "params"));
               LEPTON_ASSIGN_OR_RETURN(tracking::RunInfo run, RunFor(s, ctx, ctx.Param("id"), Action::kTrain));
               LEPTON_RETURN_IF_ERROR(s.LogParams(run.id, params));
               return HttpResponse::MakeJson(200, {{"run_id", run.id}, {"logged", params.size()}});
             });
  router.Add({.method = "POST", .pattern = "/api/v1/runs/{id}/metrics", .operation_id = "run.log_metrics",
              .summary = "Append metric values (key, value, step default 0, timestamp in epoch ms "
                         "default now).",
              .tag = "tracking",
              .request_schema = Obj({{"metrics", Array(Obj({{"key", Str()}, {"value", Num()}, {"step", Int()},
                                                            {"timestamp", Int()}}, {"key", "value"}))}},
                                    {"metrics"}),
              .response_schema = LoggedSchema()},
             [&s](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               LEPTON_ASSIGN_OR_RETURN(std::vector<Json> items, Items(body, "metrics"));
               std::vector<tracking::Metric> metrics;
               for (size_t i = 0; i < items.size(); ++i) {
                 const std::string path = StrCat("body.metrics[", i, "]");
                 JsonFields f(items[i], path);
                 tracking::Metric m;
                 m.key = f.String("key");
                 const std::optional<Json> value = f.OptionalValue("value");
                 m.step = f.OptionalInt("step").value_or(0);
                 m.timestamp_ms = f.OptionalInt("timestamp").value_or(0);
                 LEPTON_RETURN_IF_ERROR(f.Finish());
                 if (!value || !value->is_number()) {
                   return absl::InvalidArgumentError(StrCat(path, ".value: expected a number"));
                 }
                 m.value = value->get<double>();
                 metrics.push_back(std::move(m));
               }
               LEPTON_ASSIGN_OR_RETURN(tracking::RunInfo run, RunFor(s, ctx, ctx.Param("id"), Action::kTrain));
               LEPTON_RETURN_IF_ERROR(s.LogMetrics(run.id, metrics));
               return HttpResponse::MakeJson(200, {{"run_id", run.id}, {"logged", metrics.size()}});
             });
  router.Add({.method = "POST", .pattern = "/api/v1/runs/{id}/tags", .operation_id = "run.set_tags",
              .summary = "Set tags (last write wins).", .tag = "tracking",
              .request_schema = Obj({{"tags", KeyValueList()}}, {"tags"}), .response_schema = LoggedSchema()},
             [&s](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               LEPTON_ASSIGN_OR_RETURN(auto tags, KeyValues(body, "tags"));
               LEPTON_ASSIGN_OR_RETURN(tracking::RunInfo run, RunFor(s, ctx, ctx.Param("id"), Action::kTrain));
               LEPTON_RETURN_IF_ERROR(s.SetTags(run.id, tags));
               return HttpResponse::MakeJson(200, {{"run_id", run.id}, {"logged", tags.size()}});
             });
  router.Add({.method = "POST", .pattern = "/api/v1/runs/{id}/inputs", .operation_id = "run.log_inputs",
              .summary = "Record dataset inputs: lake dataset ns/name, version, digest, context "
                         "(training, validation, test).",
              .tag = "tracking",
              .request_schema = Obj({{"inputs", Array(Obj({{"dataset", Str()}, {"version", Int()}, {"digest", Str()},
                                                           {"context", Str()}}, {"dataset", "context"}))}},
                                    {"inputs"}),
              .response_schema = LoggedSchema()},
             [&s](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               LEPTON_ASSIGN_OR_RETURN(std::vector<Json> items, Items(body, "inputs"));
               std::vector<tracking::DatasetInput> inputs;
               for (size_t i = 0; i < items.size(); ++i) {
                 JsonFields f(items[i], StrCat("body.inputs[", i, "]"));
                 tracking::DatasetInput in;
                 in.dataset = f.String("dataset");
                 in.version = f.OptionalInt("version").value_or(-1);
                 in.digest = f.OptionalString("digest").value_or("");
                 in.context = f.String("context");
                 LEPTON_RETURN_IF_ERROR(f.Finish());
                 inputs.push_back(std::move(in));
               }
               LEPTON_ASSIGN_OR_RETURN(tracking::RunInfo run, RunFor(s, ctx, ctx.Param("id"), Action::kTrain));
               LEPTON_RETURN_IF_ERROR(s.LogInputs(run.id, inputs));
               return HttpResponse::MakeJson(200, {{"run_id", run.id}, {"logged", inputs.size()}});
             });
  router.Add({.method = "GET", .pattern = "/api/v1/runs/{id}/metrics/{key}/history",
              .operation_id = "run.metric_history",
              .summary = "Every logged value of a metric, by step then timestamp.", .tag = "tracking",
              .response_schema = Array(Obj({{"key", Str()}, {"value", Num()}, {"step", Int()}, {"timestamp", Int()}}))},
             [&s](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(tracking::RunInfo run, RunFor(s, ctx, ctx.Param("id"), Action::kRead));
               LEPTON_ASSIGN_OR_RETURN(auto history, s.GetMetricHistory(run.id, ctx.Param("key")));
               Json out = Json::array();
               for (const tracking::Metric& m : history) out.push_back(tracking::MetricToJson(m));
               return HttpResponse::MakeJson(200, out);
             });

  // ------------------------------------------------------------ artifacts
  router.Add({.method = "GET", .pattern = "/api/v1/runs/{id}/artifacts", .operation_id = "run.artifacts",
              .summary = "Without path: list the run's artifacts (optionally under prefix) with size "
                         "and SHA-256. With path: download that artifact (application/octet-stream, "
                         "X-Lepton-Sha256 header).",
              .tag = "tracking", .response_schema = Array(ArtifactSchema()),
              .query_params = {"path", "prefix"}, .other_response_types = {"application/octet-stream"}},
             [&s](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(tracking::RunInfo run, RunFor(s, ctx, ctx.Param("id"), Action::kRead));
               if (std::optional<std::string> path = ctx.request.QueryParam("path")) {
                 LEPTON_ASSIGN_OR_RETURN(std::string bytes, s.ReadArtifact(run.id, *path));
                 LEPTON_ASSIGN_OR_RETURN(auto listed, s.ListArtifacts(run.id, *path));
                 HttpResponse r;
                 r.content_type = "application/octet-stream";
                 for (const auto& a : listed) {
                   if (a.path == *path) r.headers.emplace_back("X-Lepton-Sha256", a.sha256);
                 }
                 r.body = std::move(bytes);
                 return r;
               }
               LEPTON_ASSIGN_OR_RETURN(auto list, s.ListArtifacts(run.id, ctx.request.QueryParam("prefix").value_or("")));
               Json out = Json::array();
               for (const auto& a : list) out.push_back(tracking::ArtifactToJson(a));
               return HttpResponse::MakeJson(200, out);
             });
  router.Add({.method = "PUT", .pattern = "/api/v1/runs/{id}/artifacts", .operation_id = "run.artifact_upload",
              .summary = "Upload the request body (any bytes) as the artifact at ?path= (replacing "
                         "it atomically if present).",
              .tag = "tracking", .response_schema = ArtifactSchema(), .success_status = 201,
              .query_params = {"path"}},
             [&s](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               const std::optional<std::string> path = ctx.request.QueryParam("path");
               if (!path) return absl::InvalidArgumentError("path: missing (the artifact's relative path)");
               LEPTON_ASSIGN_OR_RETURN(tracking::RunInfo run, RunFor(s, ctx, ctx.Param("id"), Action::kTrain));
               LEPTON_ASSIGN_OR_RETURN(auto info, s.LogArtifact(run.id, *path, ctx.request.body));
               return HttpResponse::MakeJson(201, tracking::ArtifactToJson(info));
             });
}

}  // namespace lepton::api
