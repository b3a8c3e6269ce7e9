#include "lepton/api/api_service.h"

#include "lepton/base/strings.h"

#include <cctype>
#include <chrono>
#include <memory>
#include <optional>

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

// The access-log line of a streamed response, written once when the stream ends rather than
// when the handler returns, so that it carries the whole duration and the bytes produced.
class StreamAccessLog {
 public:
  StreamAccessLog(const HttpRequest& request, std::string request_id, int status,
                  std::string actor, std::chrono::steady_clock::time_point start)
      : method_(request.method), path_(request.path), remote_(request.remote),
        request_id_(std::move(request_id)), actor_(std::move(actor)), status_(status),
        start_(start) {}
  // Not finished: the server dropped the stream (client gone, write timeout, shutdown).
  ~StreamAccessLog() { Finish("aborted", ""); }

  const std::string& request_id() const { return request_id_; }
  void AddBytes(size_t n) { bytes_ += static_cast<int64_t>(n); }
  // Writes the line once; later calls do nothing.
  void Finish(std::string_view outcome, std::string_view error) {
    if (done_) return;
    done_ = true;
    ScopedRequestId scoped(request_id_);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - start_)
                        .count();
    if (error.empty()) {
      Log(LogLevel::kInfo, "http",
          {{"method", method_}, {"path", path_}, {"status", status_}, {"latency_us", us},
           {"bytes", bytes_}, {"user", actor_}, {"remote", remote_}, {"stream", outcome}});
    } else {
      Log(LogLevel::kInfo, "http",
          {{"method", method_}, {"path", path_}, {"status", status_}, {"latency_us", us},
           {"bytes", bytes_}, {"user", actor_}, {"remote", remote_}, {"stream", outcome},
           {"error", error}});
    }
  }

 private:
  std::string method_, path_, remote_, request_id_, actor_;
  int status_;
  std::chrono::steady_clock::time_point start_;
  int64_t bytes_ = 0;
  bool done_ = false;
};

// Wraps `inner` so that `log` counts its bytes and is finished by its end or error.
BodyProducer WithAccessLog(BodyProducer inner, std::shared_ptr<StreamAccessLog> log) {
  return [inner = std::move(inner),
          log = std::move(log)]() -> absl::StatusOr<std::optional<std::string>> {
    ScopedRequestId scoped(log->request_id());
    absl::StatusOr<std::optional<std::string>> next = inner();
    if (!next.ok()) {
      log->Finish("error", ToStd(next.status().message()));
    } else if (!next->has_value()) {
      log->Finish("complete", "");
    } else {
      log->AddBytes((*next)->size());
    }
    return next;
  };
}

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
  if (response.deferred) {
    // Completed later by another thread: the header and the access-log line are added then, so
    // the line carries the whole latency.
    response.deferred->Then([request_id, access_log = options_.access_log, method = request.method,
                             path = request.path, remote = request.remote, actor, start](HttpResponse& r) {
      r.headers.emplace_back("X-Request-Id", request_id);
      if (!access_log) return;
      ScopedRequestId scoped_id(request_id);
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
      Log(LogLevel::kInfo, "http",
          {{"method", method}, {"path", path}, {"status", r.status}, {"latency_us", us},
           {"bytes", r.body.size()}, {"user", actor}, {"remote", remote}});
    });
    return response;
  }
  response.headers.emplace_back("X-Request-Id", request_id);
  if (response.producer) {
    if (options_.access_log) {
      response.producer = WithAccessLog(
          std::move(response.producer),
          std::make_shared<StreamAccessLog>(request, request_id, response.status, actor, start));
    }
    return response;
  }
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

  std::shared_ptr<const auth::Principal> principal;
  if (spec.authenticated) {
    const std::string_view header = request.Header("authorization");
    absl::Status s;
    if (header.empty()) {
      s = absl::UnauthenticatedError("missing Authorization: Bearer <token> header");
    } else if (!StartsWithIgnoreCase(header, "bearer ")) {
      s = absl::UnauthenticatedError("Authorization header must be 'Bearer <token>'");
    } else {
      auto p = auth_.AuthenticateShared(StripWhitespace(header.substr(7)));
      if (p.ok()) principal = *std::move(p);
      s = p.status();
    }
    if (!s.ok()) {
      HttpResponse r = ErrorResponse(s);
      Audit(request, request_id, *actor, *action, r.status, ToStd(s.message()));
      return r;
    }
    *actor = principal->user_name;
    ctx.principal = principal.get();
    if (spec.permission) {
      absl::Status allowed = auth::Authorize(*principal, spec.permission->action,
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
  if ((IsMutating(request.method) && spec.audit) || response.status == 401 || response.status == 403) {
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
