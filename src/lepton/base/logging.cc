#include "lepton/base/logging.h"

#include "lepton/base/strings.h"

#include <unistd.h>

#include <atomic>
#include <mutex>

#include "absl/strings/ascii.h"
#include "lepton/base/clock.h"
#include "nlohmann/json.hpp"

namespace lepton {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<int> g_format{static_cast<int>(LogFormat::kText)};
thread_local std::string t_request_id;

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "info";
}

// Text values with spaces, quotes or '=' are quoted so that lines stay machine-splittable.
void AppendTextValue(std::string* out, std::string_view v) {
  const bool plain = !v.empty() && v.find_first_of(" \"=\t\n") == std::string_view::npos;
  if (plain) {
    out->append(v);
    return;
  }
  out->append(nlohmann::json(std::string(v)).dump(-1, ' ', false,
                                                  nlohmann::json::error_handler_t::replace));
}

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(std::string_view name) {
  const std::string n = AsciiLower(name);
  if (n == "debug") return LogLevel::kDebug;
  if (n == "info") return LogLevel::kInfo;
  if (n == "warning" || n == "warn") return LogLevel::kWarning;
  if (n == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(
      lepton::StrCat("log level: expected debug, info, warning or error, got '",
                   absl::string_view(name.data(), name.size()), "'"));
}

absl::StatusOr<LogFormat> ParseLogFormat(std::string_view name) {
  const std::string n = AsciiLower(name);
  if (n == "text") return LogFormat::kText;
  if (n == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(
      lepton::StrCat("log format: expected text or json, got '",
                   absl::string_view(name.data(), name.size()), "'"));
}

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }
void SetLogFormat(LogFormat format) { g_format = static_cast<int>(format); }
bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  if (!LogEnabled(level)) return;
  const std::string ts = lepton::FormatTimestamp(Clock::System().Now());
  std::string line;
  if (static_cast<LogFormat>(g_format.load()) == LogFormat::kJson) {
    nlohmann::ordered_json j;
    j["ts"] = ts;
    j["level"] = LevelName(level);
    j["msg"] = msg;
    if (!t_request_id.empty()) j["request_id"] = t_request_id;
    for (const LogField& f : fields) j[std::string(f.key)] = f.value;
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = lepton::StrCat(ts, " ", AsciiUpper(std::string(LevelName(level))), " ",
                        absl::string_view(msg.data(), msg.size()));
    for (const LogField& f : fields) {
      lepton::StrAppend(&line, " ", absl::string_view(f.key.data(), f.key.size()), "=");
      AppendTextValue(&line, f.value);
    }
    if (!t_request_id.empty()) lepton::StrAppend(&line, " request_id=", t_request_id);
  }
  line.push_back('\n');
  // One write(2) per line keeps lines whole even across processes sharing stderr.
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = ::write(2, line.data() + off, line.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
}

ScopedRequestId::ScopedRequestId(std::string id) : previous_(std::move(t_request_id)) {
  t_request_id = std::move(id);
}
ScopedRequestId::~ScopedRequestId() { t_request_id = std::move(previous_); }
const std::string& CurrentRequestId() { return t_request_id; }

}  // namespace lepton
