#pragma once
// A small blocking HTTP/1.1 client for the CLI and the tests: one request per call on a fresh
// connection, with a whole-call timeout. Not for production traffic.
// Thread-compatible: one `HttpClient` per thread, or external locking.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lepton/api/http.h"

namespace lepton::api {

class HttpClient {
 public:
  // `base_url` is "http://host:port" (a trailing '/' is ignored). InvalidArgument otherwise.
  static absl::StatusOr<HttpClient> Create(std::string_view base_url);

  // Sends `method target` with `body` (as JSON when not empty) and the bearer token, if set.
  // Returns the response whatever its status; Unavailable when the server cannot be reached,
  // DeadlineExceeded when no whole response arrived within `timeout`.
  absl::StatusOr<HttpResponse> Send(std::string_view method, std::string_view target,
                                    std::string_view body = "", const HeaderList& headers = {},
                                    absl::Duration timeout = absl::Seconds(30)) const;

  void set_token(std::string token) { token_ = std::move(token); }
  const std::string& host() const { return host_; }
  int port() const { return port_; }

 private:
  HttpClient(std::string host, int port) : host_(std::move(host)), port_(port) {}
  std::string host_;
  int port_;
  std::string token_;
};

}  // namespace lepton::api
