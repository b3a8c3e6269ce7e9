#pragma once
// Plain HTTP request and response values shared by the server, the router, the handlers and the
// client. They hold no Beast types, so only http_server.cc and http_client.cc compile Beast.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
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

// The source of a streamed response body (`HttpResponse::producer`), asked for one chunk at a
// time. Each call returns the next bytes of the body, std::nullopt once the body is complete, or
// an error when the body cannot be completed (a data file became unreadable, …). An empty string
// sends nothing and the producer is asked again.
//
// Contract with `HttpServer`:
//  - Back-pressure: the producer is called again only after the previous chunk was written to
//    the socket, so a stream holds one chunk in flight; chunks of about 256 KiB are a good size.
//  - It is called on the connection's I/O thread, like the handler, never concurrently with
//    itself. It may block (it blocks that thread's other connections meanwhile).
//  - It is destroyed when the stream ends: after the end or an error, or early when the client
//    goes away, the write times out or a shutdown deadline cuts the connection. Cleanup that must
//    not be skipped (cancelling work, logging) belongs in the destructor of what it captures.
//  - Must be copyable (std::function): wrap move-only state in a `std::shared_ptr`.
using BodyProducer = std::function<absl::StatusOr<std::optional<std::string>>()>;

struct HttpResponse;

// A response that is completed later, from any thread: a handler that hands its work to another
// thread (dynamic batching) returns at once with `HttpResponse::deferred` set, and that thread
// calls `Complete`. The I/O thread is free meanwhile; the connection waits.
//
// Contract:
//  - `Complete` takes effect once; later calls are ignored. It may run before, during or after
//    the handler returns.
//  - `Then` adds a step applied to the response before it is delivered, in the order added; only
//    the layers between the handler and the server call it, before the server takes the response
//    (the request-id header, the access log).
//  - `OnComplete` is the server's: `sink` gets the response (steps applied) exactly once, on the
//    thread that completed it — or at once, when it was already complete. A response never
//    completed is answered by the server with 504 after its read timeout.
// Thread-safe.
class DeferredResponse {
 public:
  void Complete(HttpResponse response);
  void Then(std::function<void(HttpResponse&)> step);
  void OnComplete(std::function<void(HttpResponse)> sink);

 private:
  void Deliver(std::unique_lock<std::mutex> lock);
  std::mutex mu_;
  std::unique_ptr<HttpResponse> response_;  // set by Complete
  std::vector<std::function<void(HttpResponse&)>> steps_;
  std::function<void(HttpResponse)> sink_;
  bool completed_ = false;
  bool delivered_ = false;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  HeaderList headers;  // extra headers (Content-Type and Content-Length are set by the server)
  std::string body;
  // Set: the body is streamed from `producer` and `body` is ignored. HTTP/1.1 clients get
  // `Transfer-Encoding: chunked`; HTTP/1.0 clients get the body delimited by closing the
  // connection. An error from the producer ends the connection without completing the body
  // (no final zero-length chunk; a reset for HTTP/1.0), so clients see a truncated response,
  // never a short one that looks complete. The status and headers are sent before the first
  // chunk is asked for, so errors known up front must be answered as a normal response instead.
  BodyProducer producer;
  // Set: the response is not this one but arrives later through `deferred` (see
  // DeferredResponse); status, headers and body are ignored.
  std::shared_ptr<DeferredResponse> deferred;

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
