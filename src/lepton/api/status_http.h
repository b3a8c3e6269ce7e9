#pragma once
// The one mapping from `absl::Status` to HTTP. Every error response of the server is made here:
// status code from the canonical code, body `{"error": "<message>", "code": "<CANONICAL_CODE>"}`.

#include "absl/status/status.h"
#include "lepton/api/http.h"

namespace lepton::api {

// InvalidArgument/OutOfRange 400, Unauthenticated 401, PermissionDenied 403, NotFound 404,
// AlreadyExists/Aborted/FailedPrecondition 409, ResourceExhausted 429, Cancelled 499,
// Unimplemented 501, Unavailable 503, DeadlineExceeded 504, everything else 500.
int HttpStatusFor(absl::StatusCode code);

// The error response for a non-OK `status`. Unauthenticated responses carry
// `WWW-Authenticate: Bearer`. Internal errors are answered with a generic message (the detail
// goes to the log, not to the client).
HttpResponse ErrorResponse(const absl::Status& status);

// An error response with an explicit HTTP status (for protocol-level errors such as 405, 413,
// 431 that have no canonical code of their own) and the canonical `code` name.
HttpResponse ErrorResponse(int http_status, absl::StatusCode code, std::string_view message);

}  // namespace lepton::api
