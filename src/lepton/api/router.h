#pragma once
// The route table: every HTTP route of the server with its method, path pattern, permission,
// documentation and handler. The OpenAPI document is generated from this table, so a route
// cannot exist undocumented. Patterns are literal segments and `{param}` segments
// ("/api/v1/users/{name}/tokens"); literal segments win over parameters.
//
// Thread-safety: `Add` only during start-up; `Match` and `routes` concurrently afterwards.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/api/http.h"
#include "lepton/auth/permissions.h"
#include "lepton/base/json.h"

namespace lepton::api {

// What a handler sees of its request.
struct RouteContext {
  const HttpRequest& request;
  std::vector<std::pair<std::string, std::string>> params;  // path parameters
  const auth::Principal* principal = nullptr;  // null on public routes
  std::string request_id;

  // The path parameter `name` ("" when absent: patterns guarantee presence).
  const std::string& Param(std::string_view name) const;
};

using RouteHandler = std::function<absl::StatusOr<HttpResponse>(RouteContext&)>;

// How a route is checked before its handler runs.
struct RoutePermission {
  auth::Action action = auth::Action::kRead;
  // The resource the action applies to: "*" for system-wide, or a template that may name path
  // parameters, e.g. "{namespace}/{dataset}".
  std::string resource = "*";
};

struct RouteSpec {
  std::string method;        // "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string pattern;       // "/api/v1/users/{name}"
  std::string operation_id;  // stable name, also the audit action: "user.create"
  std::string summary;       // one line for the OpenAPI document
  std::string tag;           // OpenAPI tag ("users", "tokens", …)
  bool authenticated = true;  // false: no bearer token needed (health, readiness, login)
  // Checked centrally before the handler; nullopt means any authenticated user (the handler
  // applies finer rules itself, through `auth::Authorize`).
  std::optional<RoutePermission> permission;
  Json request_schema;       // JSON Schema of the body, null when the route takes none
  Json response_schema;      // JSON Schema of the success body
  int success_status = 200;
  std::vector<std::string> query_params;  // documented query parameters (strings)
  // Media types the success response may also have besides JSON (e.g. "text/csv"), documented
  // with a string schema.
  std::vector<std::string> other_response_types;
  // The success body is streamed (`HttpResponse::producer`): documented as chunked, ending the
  // connection without the final chunk when it fails midway.
  bool streamed = false;
  // Successful mutating calls (POST, PUT, PATCH, DELETE) go to the audit log unless this is
  // false — for inference, whose calls are counted in metrics and the prediction log instead
  // (a hash-chained audit write per prediction would be the server's bottleneck). Denied and
  // unauthenticated calls are always audited.
  bool audit = true;
};

struct Route {
  RouteSpec spec;
  RouteHandler handler;
  std::vector<std::string> segments;  // the pattern split on '/'
};

class Router {
 public:
  // Adds a route. Start-up only; a duplicate method and pattern is a programming error.
  void Add(RouteSpec spec, RouteHandler handler);

  struct Match {
    const Route* route = nullptr;  // set on success
    std::vector<std::pair<std::string, std::string>> params;
    // When `route` is null: 404 (no pattern matches the path) or 405 (one does, for other
    // methods, listed in `allow`).
    int status = 404;
    std::string allow;
  };
  Match Find(std::string_view method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// Expands "{a}/{b}" with the context's path parameters.
std::string ExpandResource(std::string_view resource_template, const RouteContext& ctx);

}  // namespace lepton::api
