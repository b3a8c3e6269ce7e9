// Fuzzes the HTTP request path up to the handlers: the raw bytes go through `ParseRawRequest`
// (the server's Beast parser, limits, header and target handling), and a parsed request's body
// through `ParseJsonBody` and a `JsonFields` walk like the route handlers do.
//
// Invariants (a violation traps):
//  - the result is 0, 400, 413 or 431;
//  - a parsed request has a method, a target and a decoded path starting with '/', no NUL in the
//    path or the query, lower-case header names, no CR/LF/NUL in header values, and a body within
//    the limit;
//  - limits are monotone: a request that parses under small limits parses identically under the
//    server's limits, and a syntax error under small limits is not accepted under the server's;
//  - ParseTarget is deterministic, and UrlEncode round-trips through it;
//  - ParseJsonBody and JsonFields fail only with InvalidArgument.
// LEPTON_FUZZ_VERBOSE=1 prints each input's parse result (for checking seeds).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "fuzz_check.h"
#include "lepton/api/api_service.h"
#include "lepton/api/http.h"
#include "lepton/api/http_server.h"
#include "lepton/base/json.h"
#include "lepton/base/strings.h"

namespace {

using lepton::api::HeaderList;
using lepton::api::HttpRequest;
using lepton::api::HttpServerOptions;

HttpServerOptions ServerLimits() {
  HttpServerOptions o;
  o.header_limit_bytes = 16 * 1024;
  o.max_body_bytes = 1 << 20;
  return o;
}

// Small enough that fuzz inputs (a few KiB) reach the 431 and 413 paths.
HttpServerOptions SmallLimits() {
  HttpServerOptions o;
  o.header_limit_bytes = 512;
  o.max_body_bytes = 1024;
  return o;
}

bool ValidStatus(int s) { return s == 0 || s == 400 || s == 413 || s == 431; }

bool SameRequest(const HttpRequest& a, const HttpRequest& b) {
  return a.method == b.method && a.target == b.target && a.path == b.path &&
         a.query == b.query && a.headers == b.headers && a.body == b.body;
}

void CheckParsed(const HttpRequest& r, const HttpServerOptions& limits) {
  FUZZ_CHECK(!r.method.empty(), "empty method");
  FUZZ_CHECK(!r.target.empty() && r.target[0] == '/', r.target.c_str());
  FUZZ_CHECK(!r.path.empty() && r.path[0] == '/', r.path.c_str());
  FUZZ_CHECK(r.path.find('\0') == std::string::npos, "NUL in path");
  FUZZ_CHECK(r.path.size() <= r.target.size(), "decoded path longer than the target");
  for (const auto& [k, v] : r.query) {
    FUZZ_CHECK(k.find('\0') == std::string::npos && v.find('\0') == std::string::npos,
               "NUL in query");
  }
  for (const auto& [name, value] : r.headers) {
    FUZZ_CHECK(!name.empty(), "empty header name");
    for (char c : name) {
      FUZZ_CHECK(!(c >= 'A' && c <= 'Z'), "header name not lower-cased");
      FUZZ_CHECK(c != ':' && c != ' ' && c != '\r' && c != '\n' && c != '\0', name.c_str());
    }
    FUZZ_CHECK(value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos,
               "CR, LF or NUL in a header value");
  }
  FUZZ_CHECK(r.body.size() <= limits.max_body_bytes, "body over the limit");

  // The target parses again to the same path and query.
  std::string path;
  HeaderList query;
  FUZZ_CHECK(lepton::api::ParseTarget(r.target, &path, &query), "target does not re-parse");
  FUZZ_CHECK(path == r.path && query == r.query, "ParseTarget is not deterministic");

  // UrlEncode round-trips: as a path segment and as a query value.
  const std::string enc = lepton::api::UrlEncode(r.path);
  for (char c : enc) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                            c == '~' || c == '%';
    FUZZ_CHECK(unreserved, enc.c_str());
  }
  FUZZ_CHECK(lepton::api::ParseTarget(lepton::StrCat("/", enc, "?", enc, "=", enc, "&&x"), &path,
                                      &query),
             "encoded target does not parse");
  FUZZ_CHECK(path == "/" + r.path, "UrlEncode does not round-trip in the path");
  FUZZ_CHECK(query.size() == 2 && query[0].first == r.path && query[0].second == r.path &&
                 query[1].first == "x" && query[1].second.empty(),
             "UrlEncode does not round-trip in the query");
}

// Reads a body the way the route handlers do: a few typed fields, then Finish.
void WalkBody(const HttpRequest& r) {
  absl::StatusOr<lepton::Json> body = lepton::api::ParseJsonBody(r);
  if (!body.ok()) {
    FUZZ_CHECK(body.status().code() == absl::StatusCode::kInvalidArgument,
               body.status().ToString().c_str());
    return;
  }
  lepton::JsonFields f(*body, "body");
  (void)f.String("name");
  (void)f.OptionalString("password");
  (void)f.OptionalString("role");
  (void)f.OptionalString("scope");
  (void)f.OptionalInt("ttl_seconds");
  (void)f.OptionalBool("disabled");
  (void)f.OptionalStringArray("roles");
  if (auto meta = f.OptionalValue("metadata"); meta.has_value()) {
    lepton::JsonFields g(*meta, "body.metadata");
    (void)g.OptionalString("owner");
    const absl::Status inner = g.Finish();
    FUZZ_CHECK(inner.ok() || inner.code() == absl::StatusCode::kInvalidArgument,
               inner.ToString().c_str());
  }
  const absl::Status s = f.Finish();
  FUZZ_CHECK(s.ok() || (s.code() == absl::StatusCode::kInvalidArgument && !s.message().empty()),
             s.ToString().c_str());
  if (s.ok()) FUZZ_CHECK(body->is_object() && body->contains("name"), "Finish OK without name");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);

  static const HttpServerOptions kServer = ServerLimits();
  static const HttpServerOptions kSmall = SmallLimits();
  HttpRequest request;
  const int status = lepton::api::ParseRawRequest(raw, kServer, &request);
  FUZZ_CHECK(ValidStatus(status), lepton::StrCat("status ", status).c_str());
  HttpRequest small_request;
  const int small_status = lepton::api::ParseRawRequest(raw, kSmall, &small_request);
  FUZZ_CHECK(ValidStatus(small_status), lepton::StrCat("status ", small_status).c_str());

  static const bool kVerbose = std::getenv("LEPTON_FUZZ_VERBOSE") != nullptr;
  if (kVerbose) {
    std::fprintf(stderr, "  parse: %d (small limits: %d) %s %s\n", status, small_status,
                 request.method.c_str(), request.path.c_str());
  }

  if (small_status == 0) {
    FUZZ_CHECK(status == 0, lepton::StrCat("parses under small limits, ", status,
                                           " under the server's").c_str());
    FUZZ_CHECK(SameRequest(request, small_request), "limits change the parsed request");
  }
  if (small_status == 400) {
    FUZZ_CHECK(status != 0, "syntax error only under small limits");
  }
  if (status != 0) return 0;

  CheckParsed(request, kServer);
  WalkBody(request);
  return 0;
}
