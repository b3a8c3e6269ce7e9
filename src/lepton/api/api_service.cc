#include "lepton/api/api_service.h"

#include "lepton/base/strings.h"

#include <cctype>
#include <chrono>

#include "lepton/base/strings.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lepton/api/auth_routes.h"
#include "lepton/api/openapi.h"
#include "lepton/api/status_http.h"
#include "lepton/base/ids.h"
#include "lepton/base/logging.h"
#include "lepton/base/status.h"

namespace lepton::api {
namespace {

// A client-chosen request id is kept when it is short and printable; otherwise we mint one.
std::string RequestIdFor(const HttpRequest& req) {
  const std::string_view given = req.Header("x-request-id");
  if (given.empty() || given.size() > 64) return NewRequestId();
  for (char c : given) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return NewRequestId();
    }
  }
  return std::string(given);
}

bool IsMutating(std::string_view method) { return method != "GET" && method != "HEAD"; }

}  // namespace

absl::StatusOr<Json> ParseJsonBody(const HttpRequest& request) {
  const std::string_view type = request.Header("content-type");
  // curl -d sends application/x-www-form-urlencoded unless told otherwise: accept it as JSON.
  if (!type.empty() && !StartsWithIgnoreCase(type, "application/json") &&
      !StartsWithIgnoreCase(type, "application/x-www-form-urlencoded")) {
    return absl::InvalidArgumentError(
        lepton::StrCat("body: expected Content-Type application/json, got '", type, "'"));
  }
  if (request.body.empty()) return absl::InvalidArgumentError("body: expected a JSON object, got nothing");
  auto parsed = ParseJson(request.body);
  if (!parsed.ok()) return Annotate(parsed.status(), "body");
  return parsed;
}

ApiService::ApiService(store::MetaStore& store, auth::AuthService& auth, auth::AuditLog& audit,
                       ApiOptions options)
    : store_(store), auth_(auth), audit_(audit), options_(std::move(options)) {
  router_.Add({.method = "GET", .pattern = "/healthz", .operation_id = "health.live",
               .summary = "Liveness: the process is up and serving HTTP.", .tag = "health",
               .authenticated = false,
               .response_schema = {{"type", "object"},
                                   {"properties", {{"status", {{"type", "string"}}}}}}},
              [](RouteContext&) -> absl::StatusOr<HttpResponse> {
                return HttpResponse::MakeJson(200, {{"status", "ok"}});
              });
  router_.Add({.method = "GET", .pattern = "/readyz", .operation_id = "health.ready",
               .summary = "Readiness: the metadata store answers (503 otherwise).",
               .tag = "health", .authenticated = false,
               .response_schema = {{"type", "object"},
                                   {"properties", {{"status", {{"type", "string"}}}}}}},
              [this](RouteContext&) -> absl::StatusOr<HttpResponse> {
                absl::Status s = store_.Ping();
                if (!s.ok()) {
                  return absl::UnavailableError(
                      lepton::StrCat("metadata store unreachable: ", s.message()));
                }
                return HttpResponse::MakeJson(200, {{"status", "ready"}});
              });
  router_.Add({.method = "GET", .pattern = "/openapi.json", .operation_id = "openapi",
               .summary = "This API's OpenAPI 3 description.", .tag = "health",
               .authenticated = false, .response_schema = {{"type", "object"}}},
              [this](RouteContext&) -> absl::StatusOr<HttpResponse> {
                return HttpResponse::MakeJson(200, OpenApiDocument());
              });
  AddAuthRoutes(router_, auth_, audit_);
}

Json ApiService::OpenApiDocument() const { return BuildOpenApi(router_, options_.version); }

HttpResponse ApiService::Handle(const HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  const std::string request_id = RequestIdFor(request);
  ScopedRequestId scoped(request_id);
  std::string actor = "-";
  std::string action;
  HttpResponse response = Dispatch(request, request_id, &actor, &action);
  response.headers.emplace_back("X-Request-Id", request_id);
  if (options_.access_log) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    Log(LogLevel::kInfo, "http",
        {{"method", request.method}, {"path", request.path}, {"status", response.status},
         {"latency_us", us}, {"bytes", response.body.size()}, {"user", actor},
         {"remote", request.remote}});
  }
  return response;
}

HttpResponse ApiService::Dispatch(const HttpRequest& request, const std::string& request_id,
                                  std::string* actor, std::string* action) {
  Router::Match match = router_.Find(request.method, request.path);
  if (match.route == nullptr) {
    if (match.status == 405) {
      HttpResponse r = ErrorResponse(
          405, absl::StatusCode::kInvalidArgument,
          lepton::StrCat("method ", request.method, " not allowed on ", request.path,
                       "; allowed: ", match.allow));
      r.headers.emplace_back("Allow", match.allow);
      return r;
    }
    return ErrorResponse(404, absl::StatusCode::kNotFound,
                         lepton::StrCat("no route for ", request.method, " ", request.path));
  }
  const RouteSpec& spec = match.route->spec;
  *action = spec.operation_id;
  RouteContext ctx{request, std::move(match.params), nullptr, request_id};

  auth::Principal principal;
  if (spec.authenticated) {
    const std::string_view header = request.Header("authorization");
    absl::Status s;
    if (header.empty()) {
      s = absl::UnauthenticatedError("missing Authorization: Bearer <token> header");
    } else if (!StartsWithIgnoreCase(header, "bearer ")) {
      s = absl::UnauthenticatedError("Authorization header must be 'Bearer <token>'");
    } else {
      auto p = auth_.Authenticate(StripWhitespace(header.substr(7)));
      if (p.ok()) principal = *std::move(p);
      s = p.status();
    }
    if (!s.ok()) {
      HttpResponse r = ErrorResponse(s);
      Audit(request, request_id, *actor, *action, r.status, ToStd(s.message()));
      return r;
    }
    *actor = principal.user_name;
    ctx.principal = &principal;
    if (spec.permission) {
      absl::Status allowed = auth::Authorize(principal, spec.permission->action,
                                             ExpandResource(spec.permission->resource, ctx));
      if (!allowed.ok()) {
        HttpResponse r = ErrorResponse(allowed);
        Audit(request, request_id, *actor, *action, r.status, ToStd(allowed.message()));
        return r;
      }
    }
  }

  absl::StatusOr<HttpResponse> result = match.route->handler(ctx);
  HttpResponse response = result.ok() ? *std::move(result) : ErrorResponse(result.status());
  if (IsMutating(request.method) || response.status == 401 || response.status == 403) {
    Audit(request, request_id, *actor, *action, response.status,
          result.ok() ? std::string_view() : ToStd(result.status().message()));
  }
  return response;
}

void ApiService::Audit(const HttpRequest& request, const std::string& request_id,
                       const std::string& actor, const std::string& action, int http_status,
                       std::string_view error) {
  std::string outcome = "ok";
  if (http_status == 401) outcome = "unauthenticated";
  else if (http_status == 403) outcome = "denied";
  else if (http_status >= 400) outcome = lepton::StrCat("error:", http_status);
  auth::AuditEntry e;
  e.actor = actor;
  e.action = action.empty() ? lepton::StrCat(request.method, " ", request.path) : action;
  e.resource = lepton::StrCat(request.method, " ", request.path);
  e.outcome = std::move(outcome);
  e.request_id = request_id;
  e.detail = lepton::StrCat(http_status, error.empty() ? "" : " ", error);
  auto appended = audit_.Append(std::move(e));
  if (!appended.ok()) {
    // The call itself has happened; losing its audit entry is loud, never silent.
    Log(LogLevel::kError, "audit append failed", {{"status", appended.status().ToString()}});
  }
}

}  // namespace lepton::api
