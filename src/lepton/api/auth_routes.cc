#include "lepton/api/auth_routes.h"

#include "lepton/base/strings.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lepton/api/api_service.h"
#include "lepton/base/status.h"

namespace lepton::api {
namespace {

using auth::Action;

Json GrantJson(const auth::Grant& g) {
  return {{"id", g.id}, {"role", std::string(auth::RoleName(g.role))}, {"scope", g.scope}};
}

Json UserJson(const auth::User& u) {
  Json grants = Json::array();
  for (const auth::Grant& g : u.grants) grants.push_back(GrantJson(g));
  return {{"id", u.id},          {"name", u.name},
          {"disabled", u.disabled}, {"has_password", u.has_password},
          {"created_at", u.created_at}, {"created_by", u.created_by},
          {"grants", grants}};
}

Json TokenJson(const auth::TokenInfo& t) {
  Json j = {{"id", t.id}, {"user_id", t.user_id}, {"name", t.name}, {"created_at", t.created_at}};
  j["expires_at"] = t.expires_at ? Json(*t.expires_at) : Json(nullptr);
  j["revoked_at"] = t.revoked_at ? Json(*t.revoked_at) : Json(nullptr);
  return j;
}

Json NewTokenJson(const auth::NewToken& t) {
  Json j = TokenJson(t.info);
  j["token"] = t.secret;
  return j;
}

// JSON Schema snippets for the OpenAPI document.
Json Str() { return {{"type", "string"}}; }
Json Obj(Json props, std::vector<std::string> required = {}) {
  Json j = {{"type", "object"}, {"properties", std::move(props)}, {"additionalProperties", false}};
  if (!required.empty()) j["required"] = required;
  return j;
}
Json ArrayOf(Json items) { return {{"type", "array"}, {"items", std::move(items)}}; }
Json GrantSchema() { return Obj({{"id", Str()}, {"role", Str()}, {"scope", Str()}}); }
Json UserSchema() {
  return Obj({{"id", Str()}, {"name", Str()}, {"disabled", {{"type", "boolean"}}},
              {"has_password", {{"type", "boolean"}}}, {"created_at", Str()},
              {"created_by", Str()}, {"grants", ArrayOf(GrantSchema())}});
}
Json TokenSchema(bool with_secret) {
  Json nullable_str = {{"type", "string"}, {"nullable", true}};
  Json props = {{"id", Str()}, {"user_id", Str()}, {"name", Str()}, {"created_at", Str()},
                {"expires_at", nullable_str}, {"revoked_at", nullable_str}};
  if (with_secret) props["token"] = {{"type", "string"}, {"description", "shown only once"}};
  return Obj(props);
}
Json TokenRequestSchema() {
  return Obj({{"name", Str()}, {"ttl_seconds", {{"type", "integer"}, {"minimum", 1}}}});
}
Json AuditEntrySchema() {
  return Obj({{"seq", {{"type", "integer"}}}, {"ts", Str()}, {"actor", Str()}, {"action", Str()},
              {"resource", Str()}, {"outcome", Str()}, {"request_id", Str()}, {"detail", Str()},
              {"prev_hash", Str()}, {"hash", Str()}});
}

// Whether the caller may manage tokens of `user_name`: its own, or anyone's with user.admin.
absl::Status MayManageTokensOf(const RouteContext& ctx, std::string_view user_name) {
  if (ctx.principal->user_name == user_name) return absl::OkStatus();
  return auth::Authorize(*ctx.principal, Action::kUserAdmin, "*");
}

absl::StatusOr<int64_t> IntQuery(const HttpRequest& req, std::string_view name, int64_t fallback,
                                 int64_t min, int64_t max) {
  auto v = req.QueryParam(name);
  if (!v) return fallback;
  int64_t n;
  if (!absl::SimpleAtoi(*v, &n) || n < min || n > max) {
    return absl::InvalidArgumentError(lepton::StrCat("query parameter ", name, ": expected an integer from ",
                                                   min, " to ", max, ", got '", *v, "'"));
  }
  return n;
}

absl::StatusOr<HttpResponse> CreateTokenFor(auth::AuthService& auth, const RouteContext& ctx,
                                            const std::string& user_name) {
  LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
  JsonFields f(body, "body");
  std::string name = f.OptionalString("name").value_or("api");
  std::optional<int64_t> ttl = f.OptionalInt("ttl_seconds");
  LEPTON_RETURN_IF_ERROR(f.Finish());
  LEPTON_ASSIGN_OR_RETURN(auth::NewToken t, auth.CreateToken(user_name, name, ttl));
  return HttpResponse::MakeJson(201, NewTokenJson(t));
}

}  // namespace

void AddAuthRoutes(Router& router, auth::AuthService& auth, auth::AuditLog& audit) {
  const RoutePermission user_admin{Action::kUserAdmin, "*"};
  const RoutePermission audit_read{Action::kAuditRead, "*"};

  router.Add({.method = "POST", .pattern = "/api/v1/login", .operation_id = "auth.login",
              .summary = "Exchange a user name and password for a new API token.",
              .tag = "auth", .authenticated = false,
              .request_schema = Obj({{"user", Str()}, {"password", Str()},
                                     {"ttl_seconds", {{"type", "integer"}, {"minimum", 1}}}},
                                    {"user", "password"}),
              .response_schema = TokenSchema(true), .success_status = 201},
             [&auth](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               JsonFields f(body, "body");
               std::string user = f.String("user");
               std::string password = f.String("password");
               std::optional<int64_t> ttl = f.OptionalInt("ttl_seconds");
               LEPTON_RETURN_IF_ERROR(f.Finish());
               LEPTON_ASSIGN_OR_RETURN(auth::NewToken t, auth.Login(user, password, ttl));
               return HttpResponse::MakeJson(201, NewTokenJson(t));
             });

  router.Add({.method = "GET", .pattern = "/api/v1/whoami", .operation_id = "auth.whoami",
              .summary = "The calling user and its grants.", .tag = "auth",
              .response_schema =
                  [] {
                    Json s = UserSchema();
                    s["properties"]["token_id"] = Str();
                    return s;
                  }()},
             [&auth](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auth::User u, auth.GetUser(ctx.principal->user_name));
               Json j = UserJson(u);
               j["token_id"] = ctx.principal->token_id;
               return HttpResponse::MakeJson(200, j);
             });

  router.Add({.method = "GET", .pattern = "/api/v1/roles", .operation_id = "auth.roles",
              .summary = "Roles and the actions each allows.", .tag = "auth",
              .response_schema = ArrayOf(Obj({{"role", Str()}, {"actions", ArrayOf(Str())}}))},
             [](RouteContext&) -> absl::StatusOr<HttpResponse> {
               Json out = Json::array();
               for (auth::Role r : auth::AllRoles()) {
                 Json actions = Json::array();
                 for (Action a : auth::AllActions()) {
                   if (auth::RoleAllows(r, a)) actions.push_back(std::string(auth::ActionName(a)));
                 }
                 out.push_back({{"role", std::string(auth::RoleName(r))}, {"actions", actions}});
               }
               return HttpResponse::MakeJson(200, out);
             });

  // Users.
  router.Add({.method = "GET", .pattern = "/api/v1/users", .operation_id = "user.list",
              .summary = "List users with their grants.", .tag = "users",
              .permission = user_admin, .response_schema = ArrayOf(UserSchema())},
             [&auth](RouteContext&) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto users, auth.ListUsers());
               Json out = Json::array();
               for (const auth::User& u : users) out.push_back(UserJson(u));
               return HttpResponse::MakeJson(200, out);
             });
  router.Add({.method = "POST", .pattern = "/api/v1/users", .operation_id = "user.create",
              .summary = "Create a user, optionally with a password and a role over a scope.",
              .tag = "users", .permission = user_admin,
              .request_schema = Obj({{"name", Str()}, {"password", Str()}, {"role", Str()},
                                     {"scope", Str()}},
                                    {"name"}),
              .response_schema = UserSchema(), .success_status = 201},
             [&auth](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               JsonFields f(body, "body");
               std::string name = f.String("name");
               std::optional<std::string> password = f.OptionalString("password");
               std::optional<std::string> role_name = f.OptionalString("role");
               std::string scope = f.OptionalString("scope").value_or("*");
               LEPTON_RETURN_IF_ERROR(f.Finish());
               std::optional<auth::Role> role;
               if (role_name) {
                 LEPTON_ASSIGN_OR_RETURN(role, auth::ParseRole(*role_name));
               } else if (scope != "*") {
                 return absl::InvalidArgumentError("body.scope: given without body.role");
               }
               LEPTON_ASSIGN_OR_RETURN(
                   auth::User u,
                   auth.CreateUser(name, password, role, scope, ctx.principal->user_name));
               return HttpResponse::MakeJson(201, UserJson(u));
             });
  router.Add({.method = "GET", .pattern = "/api/v1/users/{name}", .operation_id = "user.get",
              .summary = "One user with its grants.", .tag = "users", .permission = user_admin,
              .response_schema = UserSchema()},
             [&auth](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auth::User u, auth.GetUser(ctx.Param("name")));
               return HttpResponse::MakeJson(200, UserJson(u));
             });
  router.Add({.method = "PATCH", .pattern = "/api/v1/users/{name}", .operation_id = "user.update",
              .summary = "Disable or enable a user, or set its password.", .tag = "users",
              .permission = user_admin,
              .request_schema = Obj({{"disabled", {{"type", "boolean"}}}, {"password", Str()}}),
              .response_schema = UserSchema()},
             [&auth](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               JsonFields f(body, "body");
               std::optional<bool> disabled = f.OptionalBool("disabled");
               std::optional<std::string> password = f.OptionalString("password");
               LEPTON_RETURN_IF_ERROR(f.Finish());
               const std::string& name = ctx.Param("name");
               if (disabled && *disabled && name == ctx.principal->user_name) {
                 return absl::FailedPreconditionError("you cannot disable yourself");
               }
               if (disabled) LEPTON_RETURN_IF_ERROR(auth.SetUserDisabled(name, *disabled));
               if (password) LEPTON_RETURN_IF_ERROR(auth.SetPassword(name, *password));
               LEPTON_ASSIGN_OR_RETURN(auth::User u, auth.GetUser(name));
               return HttpResponse::MakeJson(200, UserJson(u));
             });
  router.Add({.method = "DELETE", .pattern = "/api/v1/users/{name}", .operation_id = "user.delete",
              .summary = "Delete a user with its grants and tokens.", .tag = "users",
              .permission = user_admin, .response_schema = Obj({{"deleted", Str()}})},
             [&auth](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               const std::string& name = ctx.Param("name");
               if (name == ctx.principal->user_name) {
                 return absl::FailedPreconditionError("you cannot delete yourself");
               }
               LEPTON_RETURN_IF_ERROR(auth.DeleteUser(name));
               return HttpResponse::MakeJson(200, {{"deleted", name}});
             });

  // Grants.
  router.Add({.method = "GET", .pattern = "/api/v1/users/{name}/grants",
              .operation_id = "grant.list", .summary = "A user's grants.", .tag = "grants",
              .permission = user_admin, .response_schema = ArrayOf(GrantSchema())},
             [&auth](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auth::User u, auth.GetUser(ctx.Param("name")));
               Json out = Json::array();
               for (const auth::Grant& g : u.grants) out.push_back(GrantJson(g));
               return HttpResponse::MakeJson(200, out);
             });
  router.Add({.method = "POST", .pattern = "/api/v1/users/{name}/grants",
              .operation_id = "grant.create",
              .summary = "Grant a role over a scope ('*', 'ns/*' or a resource).", .tag = "grants",
              .permission = user_admin,
              .request_schema = Obj({{"role", Str()}, {"scope", Str()}}, {"role", "scope"}),
              .response_schema = GrantSchema(), .success_status = 201},
             [&auth](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               JsonFields f(body, "body");
               std::string role_name = f.String("role");
               std::string scope = f.String("scope");
               LEPTON_RETURN_IF_ERROR(f.Finish());
               LEPTON_ASSIGN_OR_RETURN(auth::Role role, auth::ParseRole(role_name));
               LEPTON_ASSIGN_OR_RETURN(
                   auth::Grant g,
                   auth.AddGrant(ctx.Param("name"), role, scope, ctx.principal->user_name));
               return HttpResponse::MakeJson(201, GrantJson(g));
             });
  router.Add({.method = "DELETE", .pattern = "/api/v1/users/{name}/grants/{grant_id}",
              .operation_id = "grant.delete", .summary = "Revoke a grant.", .tag = "grants",
              .permission = user_admin, .response_schema = Obj({{"deleted", Str()}})},
             [&auth](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_RETURN_IF_ERROR(auth.RevokeGrant(ctx.Param("name"), ctx.Param("grant_id")));
               return HttpResponse::MakeJson(200, {{"deleted", ctx.Param("grant_id")}});
             });

  // Tokens: the caller's own under /tokens; any user's under /users/{name}/tokens.
  router.Add({.method = "GET", .pattern = "/api/v1/tokens", .operation_id = "token.list_own",
              .summary = "The caller's tokens (never their secrets).", .tag = "tokens",
              .response_schema = ArrayOf(TokenSchema(false))},
             [&auth](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto tokens, auth.ListTokens(ctx.principal->user_name));
               Json out = Json::array();
               for (const auto& t : tokens) out.push_back(TokenJson(t));
               return HttpResponse::MakeJson(200, out);
             });
  router.Add({.method = "POST", .pattern = "/api/v1/tokens", .operation_id = "token.create_own",
              .summary = "Create a token for the caller; the secret is in this response only.",
              .tag = "tokens", .request_schema = TokenRequestSchema(),
              .response_schema = TokenSchema(true), .success_status = 201},
             [&auth](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               return CreateTokenFor(auth, ctx, ctx.principal->user_name);
             });
  router.Add({.method = "GET", .pattern = "/api/v1/users/{name}/tokens",
              .operation_id = "token.list", .summary = "A user's tokens (own, or user.admin).",
              .tag = "tokens", .response_schema = ArrayOf(TokenSchema(false))},
             [&auth](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_RETURN_IF_ERROR(MayManageTokensOf(ctx, ctx.Param("name")));
               LEPTON_ASSIGN_OR_RETURN(auto tokens, auth.ListTokens(ctx.Param("name")));
               Json out = Json::array();
               for (const auto& t : tokens) out.push_back(TokenJson(t));
               return HttpResponse::MakeJson(200, out);
             });
  router.Add({.method = "POST", .pattern = "/api/v1/users/{name}/tokens",
              .operation_id = "token.create",
              .summary = "Create a token for a user (own, or user.admin).", .tag = "tokens",
              .request_schema = TokenRequestSchema(), .response_schema = TokenSchema(true),
              .success_status = 201},
             [&auth](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_RETURN_IF_ERROR(MayManageTokensOf(ctx, ctx.Param("name")));
               return CreateTokenFor(auth, ctx, ctx.Param("name"));
             });
  router.Add({.method = "DELETE", .pattern = "/api/v1/tokens/{token_id}",
              .operation_id = "token.revoke",
              .summary = "Revoke a token (own, or any with user.admin).", .tag = "tokens",
              .response_schema = Obj({{"revoked", Str()}})},
             [&auth](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               auto info = auth.GetToken(ctx.Param("token_id"));
               // Someone else's token id is answered like an unknown one unless the caller is
               // an admin, so ids cannot be probed.
               if (info.ok() && info->user_id != ctx.principal->user_id &&
                   !auth::Authorize(*ctx.principal, Action::kUserAdmin, "*").ok()) {
                 info = absl::NotFoundError(
                     lepton::StrCat("token '", ctx.Param("token_id"), "' not found"));
               }
               LEPTON_RETURN_IF_ERROR(info.status());
               LEPTON_RETURN_IF_ERROR(auth.RevokeToken(info->id));
               return HttpResponse::MakeJson(200, {{"revoked", info->id}});
             });

  // Audit log.
  router.Add({.method = "GET", .pattern = "/api/v1/audit", .operation_id = "audit.list",
              .summary = "Audit entries after a sequence number, oldest first.", .tag = "audit",
              .permission = audit_read, .response_schema = ArrayOf(AuditEntrySchema()),
              .query_params = {"after", "limit", "actor", "action"}},
             [&audit](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               auth::AuditQuery q;
               LEPTON_ASSIGN_OR_RETURN(q.after_seq,
                                       IntQuery(ctx.request, "after", 0, 0, INT64_MAX));
               LEPTON_ASSIGN_OR_RETURN(q.limit, IntQuery(ctx.request, "limit", 100, 1, 10000));
               q.actor = ctx.request.QueryParam("actor").value_or("");
               q.action = ctx.request.QueryParam("action").value_or("");
               LEPTON_ASSIGN_OR_RETURN(auto entries, audit.List(q));
               Json out = Json::array();
               for (const auth::AuditEntry& e : entries) {
                 out.push_back({{"seq", e.seq}, {"ts", e.ts}, {"actor", e.actor},
                                {"action", e.action}, {"resource", e.resource},
                                {"outcome", e.outcome}, {"request_id", e.request_id},
                                {"detail", e.detail}, {"prev_hash", e.prev_hash},
                                {"hash", e.hash}});
               }
               return HttpResponse::MakeJson(200, out);
             });
  router.Add({.method = "GET", .pattern = "/api/v1/audit/verify", .operation_id = "audit.verify",
              .summary = "Walk the hash chain; report the first edited, inserted or deleted entry.",
              .tag = "audit", .permission = audit_read,
              .response_schema = Obj({{"ok", {{"type", "boolean"}}},
                                      {"entries", {{"type", "integer"}}},
                                      {"first_bad_seq", {{"type", "integer"}}},
                                      {"problem", Str()}, {"message", Str()},
                                      {"head_seq", {{"type", "integer"}}}, {"head_hash", Str()}})},
             [&audit](RouteContext&) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auth::AuditVerifyReport r, audit.Verify());
               LEPTON_ASSIGN_OR_RETURN(auto head, audit.Head());
               return HttpResponse::MakeJson(
                   200, {{"ok", r.ok}, {"entries", r.entries}, {"first_bad_seq", r.first_bad_seq},
                         {"problem", r.problem}, {"message", r.message},
                         {"head_seq", head.first}, {"head_hash", head.second}});
             });
}

}  // namespace lepton::api
