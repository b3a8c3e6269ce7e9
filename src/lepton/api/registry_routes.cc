#include "lepton/api/registry_routes.h"

#include <algorithm>

#include "lepton/api/api_service.h"
#include "lepton/api/route_schema.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/base/tar.h"
#include "lepton/registry/model_card.h"
#include "lepton/train/explain.h"
#include "lepton/train/json_rows.h"

namespace lepton::api {
namespace {

using auth::Action;
using namespace schema;  // NOLINT: the schema fragments read as a small DSL here
using registry::RegistryService;


Json ModelSchema() {
  return Obj({{"name", Str()}, {"description", Str()}, {"tags", StrMap()},
              {"aliases", {{"type", "object"}, {"additionalProperties", Int()}}},
              {"latest_version", Int()}, {"created_by", Str()}, {"created_at", Str()}, {"updated_at", Str()}});
}
Json VersionSchema() {
  return Obj({{"name", Str()},
              {"version", Int()},
              {"status", {{"type", "string"}, {"enum", {"pending_registration", "ready", "failed_registration"}}}},
              {"status_message", Str()},
              {"source", Str()},
              {"run_id", Str()},
              {"flavor", Str()},
              {"description", Str()},
              {"manifest_sha256", Str()},
              {"tags", StrMap()},
              {"aliases", Array(Str())},
              {"created_by", Str()},
              {"created_at", Str()},
              {"updated_at", Str()}});
}
Json GateReportSchema() {
  return Obj({{"passed", {{"type", "boolean"}}},
              {"failed", Array(Str())},
              {"gates", Array(Obj({{"gate", Str()}, {"name", Str()}, {"passed", {{"type", "boolean"}}},
                                   {"actual", Json::object()}, {"limit", Json::object()}, {"detail", Str()}}))}});
}
Json AliasChangeSchema() {
  return Obj({{"alias", Str()}, {"version", Int()}, {"previous_version", Int()}, {"changed_by", Str()},
              {"changed_at", Str()}, {"comment", Str()}});
}

Json PromotionSchema() {
  return Obj({{"id", Str()},
              {"name", Str()},
              {"version", Int()},
              {"alias", Str()},
              {"state", {{"type", "string"}, {"enum", {"pending", "approved", "rejected", "cancelled"}}}},
              {"requested_by", Str()},
              {"requested_at", Str()},
              {"comment", Str()},
              {"gate_report", GateReportSchema()},
              {"decided_by", {{"type", "string"}, {"nullable", true}}},
              {"decided_at", {{"type", "string"}, {"nullable", true}}},
              {"decision_comment", Str()}});
}

// {"comment": "..."} (optional body) → the comment.
absl::StatusOr<std::string> Comment(const HttpRequest& request) {
  if (request.body.empty()) return std::string();
  LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(request));
  JsonFields f(body, "body");
  std::string c = f.OptionalString("comment").value_or("");
  LEPTON_RETURN_IF_ERROR(f.Finish());
  return c;
}

RoutePermission On(Action action) { return {.action = action, .resource = "models/{name}"}; }

absl::StatusOr<int64_t> VersionParam(const RouteContext& ctx) {
  const std::string& text = ctx.Param("version");
  int64_t v = 0;
  bool ok = !text.empty() && text.size() <= 18;
  for (char c : text) ok = ok && c >= '0' && c <= '9';
  if (ok) v = std::stoll(text);
  if (!ok || v < 1) return absl::InvalidArgumentError(StrCat("version: expected a positive integer, got '", text, "'"));
  return v;
}

// {"value": "..."} → the value.
absl::StatusOr<std::string> TagValue(const HttpRequest& request) {
  LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(request));
  JsonFields f(body, "body");
  std::string value = f.String("value");
  LEPTON_RETURN_IF_ERROR(f.Finish());
  return value;
}

// The description of a PATCH body ({"description": "..."}).
absl::StatusOr<std::string> Description(const HttpRequest& request) {
  LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(request));
  JsonFields f(body, "body");
  std::string d = f.String("description");
  LEPTON_RETURN_IF_ERROR(f.Finish());
  return d;
}

// The answer of a change that has nothing else to return: 200 {"ok": true, "what": …}.
HttpResponse Done(std::string what) { return HttpResponse::MakeJson(200, {{"ok", true}, {"what", std::move(what)}}); }

}  // namespace

void AddRegistryRoutes(Router& router, RegistryService& registry) {
  RegistryService& r = registry;
  const std::string tag = "models";

  // ------------------------------------------------------------ registered models
  router.Add({.method = "POST", .pattern = "/api/v1/models", .operation_id = "model.create",
              .summary = "Register a model name (model.register on models/<name>).", .tag = tag,
              .request_schema = Obj({{"name", Str()}, {"description", Str()}, {"tags", StrMap()}}, {"name"}),
              .response_schema = ModelSchema(), .success_status = 201},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               JsonFields f(body, "body");
               const std::string name = f.String("name");
               const std::string description = f.OptionalString("description").value_or("");
               const std::optional<Json> tags_json = f.OptionalValue("tags");
               LEPTON_RETURN_IF_ERROR(f.Finish());
               LEPTON_ASSIGN_OR_RETURN(auto tags, StringMap(tags_json, "body.tags"));
               LEPTON_RETURN_IF_ERROR(registry::ValidateModelName(name));
               LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, Action::kModelRegister, registry::ModelResource(name)));
               LEPTON_ASSIGN_OR_RETURN(auto m, r.CreateModel(name, description, tags, ctx.principal->user_name));
               return HttpResponse::MakeJson(201, m.ToJson());
             });
  router.Add({.method = "GET", .pattern = "/api/v1/models", .operation_id = "model.list",
              .summary = "Registered models the caller may read, by name (prefix= filters).", .tag = tag,
              .response_schema = Array(ModelSchema()), .query_params = {"prefix"}},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto all, r.ListModels(ctx.request.QueryParam("prefix").value_or("")));
               Json out = Json::array();
               for (const auto& m : all) {
                 if (auth::Authorize(*ctx.principal, Action::kRead, registry::ModelResource(m.name)).ok()) {
                   out.push_back(m.ToJson());
                 }
               }
               return HttpResponse::MakeJson(200, out);
             });
  router.Add({.method = "GET", .pattern = "/api/v1/models/{name}", .operation_id = "model.get",
              .summary = "A registered model with its tags, aliases and latest ready version.", .tag = tag,
              .permission = On(Action::kRead), .response_schema = ModelSchema()},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto m, r.GetModel(ctx.Param("name")));
               return HttpResponse::MakeJson(200, m.ToJson());
             });
  router.Add({.method = "PATCH", .pattern = "/api/v1/models/{name}", .operation_id = "model.update",
              .summary = "Change a model's description.", .tag = tag, .permission = On(Action::kModelRegister),
              .request_schema = Obj({{"description", Str()}}, {"description"}), .response_schema = ModelSchema()},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(std::string d, Description(ctx.request));
               LEPTON_ASSIGN_OR_RETURN(auto m, r.UpdateModel(ctx.Param("name"), d));
               return HttpResponse::MakeJson(200, m.ToJson());
             });
  router.Add({.method = "DELETE", .pattern = "/api/v1/models/{name}", .operation_id = "model.delete",
              .summary = "Delete a model and its versions (409 while it has aliases).", .tag = tag,
              .permission = On(Action::kModelRegister)},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_RETURN_IF_ERROR(r.DeleteModel(ctx.Param("name")));
               return Done(StrCat("deleted model ", ctx.Param("name")));
             });
  router.Add({.method = "PUT", .pattern = "/api/v1/models/{name}/tags/{key}", .operation_id = "model.tag.set",
              .summary = "Set a model tag ({\"value\": …}).", .tag = tag, .permission = On(Action::kModelRegister),
              .request_schema = Obj({{"value", Str()}}, {"value"})},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(std::string value, TagValue(ctx.request));
               LEPTON_RETURN_IF_ERROR(r.SetModelTag(ctx.Param("name"), ctx.Param("key"), value));
               return Done(StrCat("set tag ", ctx.Param("key")));
             });
  router.Add({.method = "DELETE", .pattern = "/api/v1/models/{name}/tags/{key}", .operation_id = "model.tag.delete",
              .summary = "Delete a model tag.", .tag = tag, .permission = On(Action::kModelRegister)},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_RETURN_IF_ERROR(r.DeleteModelTag(ctx.Param("name"), ctx.Param("key")));
               return Done(StrCat("deleted tag ", ctx.Param("key")));
             });

  // ------------------------------------------------------------ versions
  router.Add({.method = "POST", .pattern = "/api/v1/models/{name}/versions", .operation_id = "model.version.create",
              .summary = "Register a finished run's model as the next version ({\"run_id\", \"description\"}); "
                         "the bundle is copied, verified and kept.",
              .tag = tag, .permission = On(Action::kModelRegister),
              .request_schema = Obj({{"run_id", Str()}, {"description", Str()}}, {"run_id"}),
              .response_schema = VersionSchema(), .success_status = 201},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               JsonFields f(body, "body");
               const std::string run_id = f.String("run_id");
               const std::string description = f.OptionalString("description").value_or("");
               LEPTON_RETURN_IF_ERROR(f.Finish());
               LEPTON_ASSIGN_OR_RETURN(auto v, r.CreateVersionFromRun(ctx.Param("name"), run_id, description,
                                                                      ctx.principal->user_name));
               return HttpResponse::MakeJson(201, v.ToJson());
             });
  router.Add({.method = "POST", .pattern = "/api/v1/models/{name}/versions/upload",
              .operation_id = "model.version.upload",
              .summary = "Register an uploaded bundle (the body is the tar archive a bundle download gives; "
                         "checksums verified: a damaged file is 400 naming it; ?description=).",
              .tag = tag, .permission = On(Action::kModelRegister),
              .request_schema = {{"type", "string"}, {"format", "binary"}, {"description", "application/x-tar"}},
              .response_schema = VersionSchema(), .success_status = 201, .query_params = {"description"}},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               auto entries = ReadTar(ctx.request.body, {.max_entries = 64});
               if (!entries.ok()) return absl::InvalidArgumentError(StrCat("body: not a bundle archive: ", entries.status().message()));
               std::map<std::string, std::string> files;
               for (TarEntry& e : *entries) files[e.name] = std::move(e.data);
               auto v = r.CreateVersionFromFiles(ctx.Param("name"), files,
                                                 ctx.request.QueryParam("description").value_or(""),
                                                 ctx.principal->user_name);
               // A checksum mismatch in an upload is the client's damaged archive (400 with the
               // file named), not data loss on this server.
               if (absl::IsDataLoss(v.status())) {
                 return absl::InvalidArgumentError(StrCat("bundle rejected: ", v.status().message()));
               }
               if (!v.ok()) return v.status();
               return HttpResponse::MakeJson(201, v->ToJson());
             });
  router.Add({.method = "POST", .pattern = "/api/v1/models/{name}/versions/import",
              .operation_id = "model.version.import",
              .summary = "Register a model trained elsewhere (?flavor=xgboost|torchscript, ?description=): the body is "
                         "a tar archive of signature.json (inputs, task, classes, threshold) and the one model file "
                         "(XGBoost JSON/UBJ or TorchScript .pt). 400 when the model does not fit its signature.",
              .tag = tag, .permission = On(Action::kModelRegister),
              .request_schema = {{"type", "string"}, {"format", "binary"}, {"description", "application/x-tar"}},
              .response_schema = VersionSchema(), .success_status = 201, .query_params = {"flavor", "description"}},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               const std::optional<std::string> flavor = ctx.request.QueryParam("flavor");
               if (!flavor) return absl::InvalidArgumentError("flavor: required query parameter (xgboost or torchscript)");
               auto entries = ReadTar(ctx.request.body, {.max_entries = 2});
               if (!entries.ok()) {
                 return absl::InvalidArgumentError(StrCat("body: not an import archive: ", entries.status().message()));
               }
               const std::string* signature = nullptr;
               const std::string* model = nullptr;
               for (const TarEntry& e : *entries) {
                 if (e.name == "signature.json") signature = &e.data;
                 else model = &e.data;
               }
               if (signature == nullptr || model == nullptr || entries->size() != 2) {
                 return absl::InvalidArgumentError("body: expected a tar archive of signature.json and one model file");
               }
               auto sig = ParseJson(*signature);
               if (!sig.ok()) return absl::InvalidArgumentError(StrCat("signature.json: ", sig.status().message()));
               LEPTON_ASSIGN_OR_RETURN(auto v, r.CreateVersionFromImport(ctx.Param("name"), *flavor, *model, *sig,
                                                                         ctx.request.QueryParam("description").value_or(""),
                                                                         ctx.principal->user_name));
               return HttpResponse::MakeJson(201, v.ToJson());
             });
  router.Add({.method = "GET", .pattern = "/api/v1/models/{name}/versions", .operation_id = "model.version.list",
              .summary = "A model's versions, newest first.", .tag = tag, .permission = On(Action::kRead),
              .response_schema = Array(VersionSchema())},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto all, r.ListVersions(ctx.Param("name")));
               Json out = Json::array();
               for (const auto& v : all) out.push_back(v.ToJson());
               return HttpResponse::MakeJson(200, out);
             });
  router.Add({.method = "GET", .pattern = "/api/v1/models/{name}/versions/{version}", .operation_id = "model.version.get",
              .summary = "One version.", .tag = tag, .permission = On(Action::kRead), .response_schema = VersionSchema()},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(int64_t version, VersionParam(ctx));
               LEPTON_ASSIGN_OR_RETURN(auto v, r.GetVersion(ctx.Param("name"), version));
               return HttpResponse::MakeJson(200, v.ToJson());
             });
  router.Add({.method = "PATCH", .pattern = "/api/v1/models/{name}/versions/{version}",
              .operation_id = "model.version.update", .summary = "Change a version's description.", .tag = tag,
              .permission = On(Action::kModelRegister), .request_schema = Obj({{"description", Str()}}, {"description"}),
              .response_schema = VersionSchema()},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(int64_t version, VersionParam(ctx));
               LEPTON_ASSIGN_OR_RETURN(std::string d, Description(ctx.request));
               LEPTON_ASSIGN_OR_RETURN(auto v, r.UpdateVersion(ctx.Param("name"), version, d));
               return HttpResponse::MakeJson(200, v.ToJson());
             });
  router.Add({.method = "DELETE", .pattern = "/api/v1/models/{name}/versions/{version}",
              .operation_id = "model.version.delete",
              .summary = "Delete a version and its bundle (409 while an alias points at it).", .tag = tag,
              .permission = On(Action::kModelRegister)},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(int64_t version, VersionParam(ctx));
               LEPTON_RETURN_IF_ERROR(r.DeleteVersion(ctx.Param("name"), version));
               return Done(StrCat("deleted version ", version));
             });
  router.Add({.method = "PUT", .pattern = "/api/v1/models/{name}/versions/{version}/tags/{key}",
              .operation_id = "model.version.tag.set", .summary = "Set a version tag ({\"value\": …}).", .tag = tag,
              .permission = On(Action::kModelRegister), .request_schema = Obj({{"value", Str()}}, {"value"})},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(int64_t version, VersionParam(ctx));
               LEPTON_ASSIGN_OR_RETURN(std::string value, TagValue(ctx.request));
               LEPTON_RETURN_IF_ERROR(r.SetVersionTag(ctx.Param("name"), version, ctx.Param("key"), value));
               return Done(StrCat("set tag ", ctx.Param("key")));
             });
  router.Add({.method = "DELETE", .pattern = "/api/v1/models/{name}/versions/{version}/tags/{key}",
              .operation_id = "model.version.tag.delete", .summary = "Delete a version tag.", .tag = tag,
              .permission = On(Action::kModelRegister)},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(int64_t version, VersionParam(ctx));
               LEPTON_RETURN_IF_ERROR(r.DeleteVersionTag(ctx.Param("name"), version, ctx.Param("key")));
               return Done(StrCat("deleted tag ", ctx.Param("key")));
             });
  router.Add({.method = "GET", .pattern = "/api/v1/models/{name}/versions/{version}/bundle",
              .operation_id = "model.version.bundle",
              .summary = "Download a version's bundle as a tar archive (every file verified against the manifest "
                         "first; 500 with data-loss details when one was changed on disk).",
              .tag = tag, .permission = On(Action::kRead),
              .response_schema = {{"type", "string"}, {"format", "binary"}},
              .other_response_types = {"application/x-tar"}},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(int64_t version, VersionParam(ctx));
               LEPTON_ASSIGN_OR_RETURN(auto files, r.BundleFiles(ctx.Param("name"), version));
               std::vector<TarEntry> entries;
               entries.push_back({"manifest.json", files["manifest.json"]});
               for (auto& [name, bytes] : files) {
                 if (name != "manifest.json") entries.push_back({name, std::move(bytes)});
               }
               LEPTON_ASSIGN_OR_RETURN(std::string tar, WriteTar(entries));
               HttpResponse out;
               out.content_type = "application/x-tar";
               out.headers.push_back({"Content-Disposition", StrCat("attachment; filename=\"", ctx.Param("name"), "-",
                                                                    version, ".tar\"")});
               out.body = std::move(tar);
               return out;
             });

  // ------------------------------------------------------------ aliases
  router.Add({.method = "PUT", .pattern = "/api/v1/models/{name}/aliases/{alias}", .operation_id = "model.alias.set",
              .summary = "Point an alias at a ready version ({\"version\", \"comment\"}); moves atomically and is "
                         "kept in the alias history. Answers the previous version (-1 when new).",
              .tag = tag, .permission = On(Action::kModelPromote),
              .request_schema = Obj({{"version", Int()}, {"comment", Str()}}, {"version"}),
              .response_schema = Obj({{"alias", Str()}, {"version", Int()}, {"previous_version", Int()}})},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               JsonFields f(body, "body");
               const int64_t version = f.Int("version");
               const std::string comment = f.OptionalString("comment").value_or("");
               LEPTON_RETURN_IF_ERROR(f.Finish());
               LEPTON_ASSIGN_OR_RETURN(int64_t previous, r.SetAlias(ctx.Param("name"), ctx.Param("alias"), version,
                                                                    ctx.principal->user_name, comment));
               return HttpResponse::MakeJson(
                   200, {{"alias", ctx.Param("alias")}, {"version", version}, {"previous_version", previous}});
             });
  router.Add({.method = "GET", .pattern = "/api/v1/models/{name}/aliases/{alias}", .operation_id = "model.alias.get",
              .summary = "The version behind an alias.", .tag = tag, .permission = On(Action::kRead),
              .response_schema = VersionSchema()},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto v, r.GetVersionByAlias(ctx.Param("name"), ctx.Param("alias")));
               return HttpResponse::MakeJson(200, v.ToJson());
             });
  router.Add({.method = "DELETE", .pattern = "/api/v1/models/{name}/aliases/{alias}",
              .operation_id = "model.alias.delete", .summary = "Remove an alias (kept in the history; ?comment=).",
              .tag = tag, .permission = On(Action::kModelPromote), .query_params = {"comment"}},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_RETURN_IF_ERROR(r.DeleteAlias(ctx.Param("name"), ctx.Param("alias"), ctx.principal->user_name,
                                                    ctx.request.QueryParam("comment").value_or("")));
               return Done(StrCat("deleted alias ", ctx.Param("alias")));
             });
  // ------------------------------------------------------------ governance
  router.Add({.method = "GET", .pattern = "/api/v1/models/{name}/policy", .operation_id = "model.policy.get",
              .summary = "The model's policy: protected aliases and quality gates (default: production protected, "
                         "no gates).",
              .tag = tag, .permission = On(Action::kRead), .response_schema = {{"type", "object"}}},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(registry::Policy p, r.GetPolicy(ctx.Param("name")));
               return HttpResponse::MakeJson(200, p.ToJson());
             });
  router.Add({.method = "PUT", .pattern = "/api/v1/models/{name}/policy", .operation_id = "model.policy.set",
              .summary = "Replace the model's policy (approvers own it; 400 naming the JSON path of a bad one).",
              .tag = tag, .permission = On(Action::kModelApprove),
              .request_schema = Obj({{"protected_aliases", Array(Str())}, {"metrics", {{"type", "object"}}},
                                     {"not_worse_than", {{"type", "object"}}}, {"max_fairness_gap", {{"type", "object"}}},
                                     {"required_card_fields", Array(Str())}}),
              .response_schema = {{"type", "object"}}},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               LEPTON_ASSIGN_OR_RETURN(registry::Policy p, r.SetPolicy(ctx.Param("name"), body, ctx.principal->user_name));
               return HttpResponse::MakeJson(200, p.ToJson());
             });
  router.Add({.method = "GET", .pattern = "/api/v1/models/{name}/versions/{version}/gates",
              .operation_id = "model.version.gates",
              .summary = "Evaluate the policy's gates for the version promoted to ?alias= (default production), "
                         "without promoting.",
              .tag = tag, .permission = On(Action::kRead), .response_schema = GateReportSchema(),
              .query_params = {"alias"}},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(int64_t version, VersionParam(ctx));
               LEPTON_ASSIGN_OR_RETURN(registry::GateReport g,
                                       r.CheckGates(ctx.Param("name"), version,
                                                    ctx.request.QueryParam("alias").value_or("production")));
               return HttpResponse::MakeJson(200, g.ToJson());
             });
  router.Add({.method = "POST", .pattern = "/api/v1/models/{name}/promotions", .operation_id = "model.promotion.request",
              .summary = "Request that an alias point at a version ({\"version\", \"alias\", \"comment\"}). The gates "
                         "run first: 409 with {\"error\", \"gate_report\"} naming each failed gate and its numbers. A "
                         "protected alias gives a pending request (201) that another user with model.approve decides; "
                         "an unprotected one moves at once (200, state approved).",
              .tag = tag, .permission = On(Action::kModelPromote),
              .request_schema = Obj({{"version", Int()}, {"alias", Str()}, {"comment", Str()}}, {"version", "alias"}),
              .response_schema = PromotionSchema(), .success_status = 201},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               JsonFields f(body, "body");
               const int64_t version = f.Int("version");
               const std::string alias = f.String("alias");
               const std::string comment = f.OptionalString("comment").value_or("");
               LEPTON_RETURN_IF_ERROR(f.Finish());
               LEPTON_ASSIGN_OR_RETURN(registry::GateReport gates, r.CheckGates(ctx.Param("name"), version, alias));
               if (!gates.passed) {
                 return HttpResponse::MakeJson(
                     409, {{"code", "FAILED_PRECONDITION"},
                           {"error", StrCat("model '", ctx.Param("name"), "' version ", version,
                                            " fails the quality gates for '", alias, "': ", gates.FailureSummary())},
                           {"gate_report", gates.ToJson()}});
               }
               LEPTON_ASSIGN_OR_RETURN(registry::Promotion p, r.RequestPromotion(ctx.Param("name"), version, alias,
                                                                                 ctx.principal->user_name, comment));
               return HttpResponse::MakeJson(p.state == registry::PromotionState::kPending ? 201 : 200, p.ToJson());
             });
  router.Add({.method = "GET", .pattern = "/api/v1/models/{name}/promotions", .operation_id = "model.promotion.list",
              .summary = "Promotion requests, newest first (?state=pending|approved|rejected|cancelled).", .tag = tag,
              .permission = On(Action::kRead), .response_schema = Array(PromotionSchema()), .query_params = {"state"}},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto all, r.ListPromotions(ctx.Param("name"), ctx.request.QueryParam("state").value_or("")));
               Json out = Json::array();
               for (const auto& p : all) out.push_back(p.ToJson());
               return HttpResponse::MakeJson(200, out);
             });
  router.Add({.method = "GET", .pattern = "/api/v1/models/{name}/promotions/{id}", .operation_id = "model.promotion.get",
              .summary = "One promotion request with its gate report and decision.", .tag = tag,
              .permission = On(Action::kRead), .response_schema = PromotionSchema()},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto p, r.GetPromotion(ctx.Param("name"), ctx.Param("id")));
               return HttpResponse::MakeJson(200, p.ToJson());
             });
  struct Decision {
    const char* verb;
    Action action;
    const char* summary;
    absl::StatusOr<registry::Promotion> (RegistryService::*fn)(std::string_view, std::string_view, std::string_view,
                                                               std::string_view);
  };
  for (const Decision& d : {Decision{"approve", Action::kModelApprove,
                                     "Approve a pending request ({\"comment\"}): gates again, then the alias moves. "
                                     "403 for the requester (four eyes); 409 when decided or the gates now fail.",
                                     &RegistryService::ApprovePromotion},
                            Decision{"reject", Action::kModelApprove,
                                     "Reject a pending request ({\"comment\"}); not by the requester.",
                                     &RegistryService::RejectPromotion},
                            Decision{"cancel", Action::kModelPromote,
                                     "Withdraw your own pending request ({\"comment\"}).",
                                     &RegistryService::CancelPromotion}}) {
    auto fn = d.fn;
    router.Add({.method = "POST", .pattern = StrCat("/api/v1/models/{name}/promotions/{id}/", d.verb),
                .operation_id = StrCat("model.promotion.", d.verb), .summary = d.summary, .tag = tag,
                .permission = On(d.action), .request_schema = Obj({{"comment", Str()}}),
                .response_schema = PromotionSchema()},
               [&r, fn](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
                 LEPTON_ASSIGN_OR_RETURN(std::string comment, Comment(ctx.request));
                 LEPTON_ASSIGN_OR_RETURN(registry::Promotion p,
                                         (r.*fn)(ctx.Param("name"), ctx.Param("id"), ctx.principal->user_name, comment));
                 return HttpResponse::MakeJson(200, p.ToJson());
               });
  }

  // ------------------------------------------------------------ lineage
  router.Add({.method = "GET", .pattern = "/api/v1/models/{name}/versions/{version}/lineage",
              .operation_id = "model.version.lineage",
              .summary = "Model version → training run → dataset versions → cleaning runs → sources (file and "
                         "sha256, or query).",
              .tag = tag, .permission = On(Action::kRead), .response_schema = {{"type", "object"}}},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(int64_t version, VersionParam(ctx));
               LEPTON_ASSIGN_OR_RETURN(Json lineage, r.VersionLineage(ctx.Param("name"), version));
               return HttpResponse::MakeJson(200, lineage);
             });
  router.Add({.method = "GET", .pattern = "/api/v1/lake/datasets/{ns}/{name}/models", .operation_id = "lake.dataset.models",
              .summary = "Registered model versions trained on this dataset (?version= for one version), the ones "
                         "the caller may read.",
              .tag = tag, .permission = RoutePermission{.action = Action::kRead, .resource = "{ns}/{name}"},
              .response_schema = Array(VersionSchema()), .query_params = {"version"}},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               int64_t version = -1;
               if (auto v = ctx.request.QueryParam("version")) {
                 if (v->empty() || v->size() > 18 || !std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '9'; })) {
                   return absl::InvalidArgumentError(StrCat("version: expected a non-negative integer, got '", *v, "'"));
                 }
                 version = std::stoll(*v);
               }
               LEPTON_ASSIGN_OR_RETURN(auto versions,
                                       r.VersionsTrainedOn(StrCat(ctx.Param("ns"), "/", ctx.Param("name")), version));
               Json out = Json::array();
               for (const auto& v : versions) {
                 if (auth::Authorize(*ctx.principal, Action::kRead, registry::ModelResource(v.name)).ok()) {
                   out.push_back(v.ToJson());
                 }
               }
               return HttpResponse::MakeJson(200, out);
             });

  // ------------------------------------------------------------ cards and explanations
  router.Add({.method = "GET", .pattern = "/api/v1/models/{name}/versions/{version}/card", .operation_id = "model.card.get",
              .summary = "The model card: generated from the bundle (training data, features, metrics with bootstrap "
                         "intervals, fairness, importance) plus the edited fields. ?format=markdown for Markdown.",
              .tag = tag, .permission = On(Action::kRead), .response_schema = {{"type", "object"}},
              .query_params = {"format"}, .other_response_types = {"text/markdown"}},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(int64_t version, VersionParam(ctx));
               LEPTON_ASSIGN_OR_RETURN(Json card, r.GetCard(ctx.Param("name"), version));
               const std::string format = ctx.request.QueryParam("format").value_or("json");
               if (format == "json") return HttpResponse::MakeJson(200, card);
               if (format != "markdown") {
                 return absl::InvalidArgumentError(StrCat("format: expected json or markdown, got '", format, "'"));
               }
               HttpResponse out;
               out.content_type = "text/markdown; charset=utf-8";
               out.body = registry::CardMarkdown(card);
               return out;
             });
  router.Add({.method = "PATCH", .pattern = "/api/v1/models/{name}/versions/{version}/card",
              .operation_id = "model.card.update",
              .summary = "Edit the card's editable fields (intended_use, out_of_scope_uses, limitations, "
                         "ethical_considerations, caveats, owners, risk_rating, status).",
              .tag = tag, .permission = On(Action::kModelRegister), .request_schema = {{"type", "object"}},
              .response_schema = {{"type", "object"}}},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(int64_t version, VersionParam(ctx));
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               LEPTON_ASSIGN_OR_RETURN(Json card, r.UpdateCard(ctx.Param("name"), version, body, ctx.principal->user_name));
               return HttpResponse::MakeJson(200, card);
             });
  router.Add({.method = "GET", .pattern = "/api/v1/models/{name}/versions/{version}/importance",
              .operation_id = "model.version.importance",
              .summary = "Global importance per input column: the learner's own (gain, |coefficient|) and "
                         "permutation importance on the test part.",
              .tag = tag, .permission = On(Action::kRead), .response_schema = {{"type", "object"}}},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(int64_t version, VersionParam(ctx));
               LEPTON_ASSIGN_OR_RETURN(train::Model model, r.LoadVersion(ctx.Param("name"), version));
               return HttpResponse::MakeJson(200, train::GlobalImportance(model));
             });
  router.Add({.method = "POST", .pattern = "/api/v1/models/{name}/versions/{version}/explain",
              .operation_id = "model.version.explain",
              .summary = "Per-prediction explanations of rows ({\"rows\": [{column: value}…], \"top_k\"}): the score, "
                         "each input column's contribution in log-odds (TreeSHAP for XGBoost, coefficient x value "
                         "for linear models) and, for scorecards, the points per column.",
              .tag = tag, .permission = On(Action::kRead),
              .request_schema = Obj({{"rows", Array({{"type", "object"}})}, {"top_k", Int()}}, {"rows"}),
              .response_schema = Obj({{"explanations", Array({{"type", "object"}})}})},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(int64_t version, VersionParam(ctx));
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               JsonFields f(body, "body");
               const std::optional<Json> rows = f.OptionalValue("rows");
               const int64_t top_k = f.OptionalInt("top_k").value_or(0);
               LEPTON_RETURN_IF_ERROR(f.Finish());
               if (!rows) return absl::InvalidArgumentError("body.rows: required field is missing");
               if (rows->is_array() && rows->size() > 10000) {
                 return absl::InvalidArgumentError("body.rows: at most 10000 rows per request");
               }
               if (top_k < 0 || top_k > 100000) return absl::InvalidArgumentError("body.top_k: expected 0 (all) or more");
               LEPTON_ASSIGN_OR_RETURN(train::Model model, r.LoadVersion(ctx.Param("name"), version));
               LEPTON_ASSIGN_OR_RETURN(lake::RecordBatch batch,
                                       train::RowsFromJson(model.pipeline().input_signature(), *rows, "body.rows"));
               LEPTON_ASSIGN_OR_RETURN(auto explanations,
                                       train::ExplainRows(model, batch, {.top_k = static_cast<int>(top_k)}));
               return HttpResponse::MakeJson(200, {{"model", ctx.Param("name")}, {"version", version},
                                                   {"explanations", train::ExplanationsToJson(explanations)}});
             });

  router.Add({.method = "GET", .pattern = "/api/v1/models/{name}/alias-history", .operation_id = "model.alias.history",
              .summary = "Every alias change of the model, oldest first (alias= for one alias): which version an "
                         "alias pointed at, since when, set by whom.",
              .tag = tag, .permission = On(Action::kRead), .response_schema = Array(AliasChangeSchema()),
              .query_params = {"alias"}},
             [&r](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto changes, r.AliasHistory(ctx.Param("name"), ctx.request.QueryParam("alias").value_or("")));
               Json out = Json::array();
               for (const auto& c : changes) out.push_back(c.ToJson());
               return HttpResponse::MakeJson(200, out);
             });
}

}  // namespace lepton::api
