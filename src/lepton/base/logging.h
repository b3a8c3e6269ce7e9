#pragma once
// Structured logging. One line per event on stderr, either text
// (`2026-11-28T21:06:51.123Z INFO http request method=GET path=/healthz status=200`) or JSON
// lines (`{"ts":…,"level":"info","msg":…,…}`). Every line carries the request id of the
// request being served on this thread, if any (see `ScopedRequestId`).
// Thread-safe: lines from concurrent threads never interleave.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "lepton/base/strings.h"

namespace lepton {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };
enum class LogFormat { kText, kJson };

// Parses "debug", "info", "warning"/"warn", "error". InvalidArgument otherwise.
absl::StatusOr<LogLevel> ParseLogLevel(std::string_view name);
absl::StatusOr<LogFormat> ParseLogFormat(std::string_view name);

// Process-wide settings; set once at start-up (before threads), read everywhere.
void SetLogLevel(LogLevel level);
void SetLogFormat(LogFormat format);
bool LogEnabled(LogLevel level);

// One key/value of a structured event. Values are formatted with `absl::StrCat`.
struct LogField {
  template <typename T>
  LogField(std::string_view k, const T& v) : key(k), value(lepton::StrCat(v)) {}
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  std::string_view key;
  std::string value;
};

// Writes one event if `level` is enabled.
void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});

// Sets the request id that log lines on this thread carry, for the scope's lifetime.
class ScopedRequestId {
 public:
  explicit ScopedRequestId(std::string id);
  ~ScopedRequestId();
  ScopedRequestId(const ScopedRequestId&) = delete;
  ScopedRequestId& operator=(const ScopedRequestId&) = delete;

 private:
  std::string previous_;
};
// The request id of this thread ("" outside a request).
const std::string& CurrentRequestId();

}  // namespace lepton
