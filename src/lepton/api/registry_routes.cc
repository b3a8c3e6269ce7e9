#include "lepton/api/registry_routes.h"

#include "lepton/api/api_service.h"
#include "lepton/api/route_schema.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/base/tar.h"

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
Json AliasChangeSchema() {
  return Obj({{"alias", Str()}, {"version", Int()}, {"previous_version", Int()}, {"changed_by", Str()},
              {"changed_at", Str()}, {"comment", Str()}});
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
              .summary = "Delete a model tag.", .tag = tag, .permission = On(Action::kModelRegister),
              .success_status = 204},
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
              .permission = On(Action::kModelRegister), .request_schema = Obj({{"value", Str()}}, {"value"}),
              .success_status = 204},
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
