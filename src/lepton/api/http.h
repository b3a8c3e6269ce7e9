#pragma once
// Plain HTTP request and response values shared by the server, the router, the handlers and the
// client. They hold no Beast types, so only http_server.cc and http_client.cc compile Beast.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lepton/base/json.h"

namespace lepton::api {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;   // upper case, e.g. "GET"
  std::string target;   // as sent, e.g. "/api/v1/audit?limit=5"
  std::string path;     // percent-decoded path, without the query
  HeaderList query;     // decoded query parameters, in order
  HeaderList headers;   // names lower-cased
  std::string body;
  std::string remote;   // peer address "ip:port"

  // The first header named `name` (lower case), or "" when absent.
  std::string_view Header(std::string_view name) const;
  // The first query parameter named `name`.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  HeaderList headers;  // extra headers (Content-Type and Content-Length are set by the server)
  std::string body;

  static HttpResponse MakeJson(int status, const Json& body);
  // The first extra header named `name` (case-insensitive), or "" when absent.
  std::string_view Header(std::string_view name) const;
};

// Splits a request target into its decoded path and query parameters. Returns false when the
// target is not an origin-form path ("/…") or holds a bad percent escape or a NUL.
bool ParseTarget(std::string_view target, std::string* path, HeaderList* query);

// Percent-encodes `s` for use as one path segment or query value.
std::string UrlEncode(std::string_view s);

}  // namespace lepton::api
