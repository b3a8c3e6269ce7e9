#pragma once
// `ApiService` turns HTTP requests into calls on the platform and back: it owns the route table
// and runs every request through the same steps — request id, route match (404/405),
// authentication (401), the central permission check (403), the handler, the one Status→HTTP
// mapping, the audit log (every mutating call and every denied call) and the access log.
// It knows nothing of sockets: `HttpServer` feeds it, tests can call `Handle` directly.
//
// Streamed responses (`HttpResponse::producer`) get the same headers. Their audit entry, like
// every other, records the status the handler answered with (a failure in the middle of the
// body is not audited); their access-log line is written when the stream ends, with
// "stream": "complete", "error" (the producer failed; the client got a truncated body, see
// http.h) or "aborted" (the server dropped the stream: client gone, write timeout, shutdown),
// the duration until then, and "bytes": the body bytes produced. Those were all written to the
// socket for "complete"; otherwise the last chunk may have been cut short.
//
// Thread-safety: `Handle` may be called concurrently once start-up (`router().Add`) is over.

#include <string>

#include "lepton/api/http.h"
#include "lepton/api/router.h"
#include "lepton/auth/audit_log.h"
#include "lepton/auth/auth_service.h"
#include "lepton/store/meta_store.h"

namespace lepton::api {

struct ApiOptions {
  bool access_log = true;
  std::string version = "0.1.0";
};

class ApiService {
 public:
  // All references must outlive the service. Registers the built-in routes (health, readiness,
  // OpenAPI, login, users, grants, tokens, roles, audit).
  ApiService(store::MetaStore& store, auth::AuthService& auth, auth::AuditLog& audit,
             ApiOptions options);

  // Answers one request. Never throws; every failure becomes a JSON error response.
  HttpResponse Handle(const HttpRequest& request);

  // For modules that add routes at start-up.
  Router& router() { return router_; }

  // The OpenAPI 3.0 document describing every route in the table.
  Json OpenApiDocument() const;

 private:
  HttpResponse Dispatch(const HttpRequest& request, const std::string& request_id,
                        std::string* actor, std::string* action);
  void Audit(const HttpRequest& request, const std::string& request_id, const std::string& actor,
             const std::string& action, int http_status, std::string_view error);

  store::MetaStore& store_;
  auth::AuthService& auth_;
  auth::AuditLog& audit_;
  ApiOptions options_;
  Router router_;
};

// Parses a request body as a JSON object for `JsonFields`. InvalidArgument on an empty or
// malformed body, or a Content-Type other than JSON.
absl::StatusOr<Json> ParseJsonBody(const HttpRequest& request);

}  // namespace lepton::api
