#include "lepton/api/status_http.h"

#include "lepton/base/strings.h"
#include "lepton/base/logging.h"
#include "lepton/base/status.h"

namespace lepton::api {

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kFailedPrecondition: return 409;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kCancelled: return 499;
    case absl::StatusCode::kUnimplemented: return 501;
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

HttpResponse ErrorResponse(int http_status, absl::StatusCode code, std::string_view message) {
  HttpResponse r = HttpResponse::MakeJson(
      http_status, Json{{"error", std::string(message)}, {"code", std::string(StatusCodeName(code))}});
  if (http_status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

HttpResponse ErrorResponse(const absl::Status& status) {
  const int http = HttpStatusFor(status.code());
  if (http == 500) {
    Log(LogLevel::kError, "internal error", {{"status", status.ToString()}});
    return ErrorResponse(http, status.code(),
                         "internal error; the server log has the details under this request id");
  }
  return ErrorResponse(http, status.code(), ToStd(status.message()));
}

}  // namespace lepton::api
