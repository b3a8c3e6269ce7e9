#pragma once
// An asynchronous HTTP/1.1 server on Boost.Beast (Beast never appears in this header): one
// io_context and thread per core, each connection owned by one of them, keep-alive, and limits —
// headers 16 KiB (431), bodies `max_body_bytes` (413), a read timeout per request (408) and an
// idle timeout between keep-alive requests. Protocol errors are answered with the JSON error
// format and the connection is closed. `Shutdown` stops accepting, closes idle connections,
// lets in-flight requests finish until a deadline, and joins the threads.
//
// Streamed responses (`HttpResponse::producer`, see http.h for the producer's contract) are sent
// chunk by chunk as the client takes them: `Transfer-Encoding: chunked` for HTTP/1.1, the end of
// the connection for HTTP/1.0. Every chunk write has the read timeout as its deadline (a client
// that stops reading is disconnected); a stream in progress counts as an in-flight request at
// shutdown (it may finish until the deadline, then it is cut — without its final chunk).
//
// Deferred responses (`HttpResponse::deferred`, see http.h) free the I/O thread while another
// thread computes the answer; the connection waits for it (counted as in flight at shutdown) and
// gets 504 when it does not come within the read timeout.
//
// Thread-safety: `handler` is called concurrently from the I/O threads. `port`,
// `open_connections` and `Shutdown` may be called from any thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lepton/api/http.h"

namespace lepton::api {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 picks a free port; see `port()`
  int io_threads = 0;  // 0: one per core
  uint32_t header_limit_bytes = 16 * 1024;
  uint64_t max_body_bytes = 64ull << 20;
  absl::Duration read_timeout = absl::Seconds(30);
  absl::Duration idle_timeout = absl::Seconds(60);
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Parses one complete HTTP/1.1 request held in `raw` exactly as the server's connections do
// (same parser, same limits, same header and target handling) into `out`. Returns 0 on success,
// otherwise the HTTP status the server would answer with (400, 413, 431). Used by the fuzzer and
// the tests; the server itself parses incrementally from the socket.
int ParseRawRequest(std::string_view raw, const HttpServerOptions& options, HttpRequest* out);

class HttpServer {
 public:
  // Binds and starts serving. InvalidArgument for a host that is not an IP address;
  // Unavailable when the address cannot be bound (in use, no permission).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           HttpHandler handler);
  ~HttpServer();  // Shutdown(absl::ZeroDuration()) unless already shut down
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the chosen one when the options asked for 0).
  int port() const;
  // Connections currently open (accepted and not yet closed).
  int64_t open_connections() const;
  // Requests answered since start.
  int64_t requests_served() const;

  // Graceful stop; see the class comment. Returns true when every connection closed before
  // `deadline` (false: some were cut). Idempotent.
  bool Shutdown(absl::Duration deadline);

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lepton::api
