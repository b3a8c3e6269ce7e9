#pragma once
// Identifiers. Ids are opaque, URL-safe, sortable by creation time within a process, and unique
// across processes (48 bits of milliseconds then 80 random bits, as 26 Crockford base32
// characters, like ULIDs). Thread-safe.

#include <string>

namespace lepton {

// A new id, e.g. "01JDX3Q0ZB2M6N8P9R4S5T7V8W".
std::string NewId();
// A new request id (shorter: 16 hex characters), for logs and `X-Request-Id`.
std::string NewRequestId();

}  // namespace lepton
