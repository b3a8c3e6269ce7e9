#include "lepton/monitor/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "lepton/base/files.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::monitor {
namespace {

std::optional<ProcStat> ReadSelfStat() {
  absl::StatusOr<std::string> text = ReadFile("/proc/self/stat");
  if (!text.ok()) return std::nullopt;
  absl::StatusOr<ProcStat> stat = ParseProcStat(*text);
  if (!stat.ok()) return std::nullopt;
  return *stat;
}

// Open descriptors, not counting the one this listing itself holds.
std::optional<double> CountOpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  const int own_fd = ::dirfd(dir);
  int64_t count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    int64_t fd;
    if (!ParseInt(entry->d_name, &fd)) continue;  // "." and ".."
    if (fd != own_fd) ++count;
  }
  ::closedir(dir);
  return static_cast<double>(count);
}

std::optional<double> StartTimeSeconds() {
  const std::optional<ProcStat> stat = ReadSelfStat();
  absl::StatusOr<std::string> proc_stat = ReadFile("/proc/stat");
  if (!stat.has_value() || !proc_stat.ok()) return std::nullopt;
  absl::StatusOr<int64_t> boot = ParseBootTime(*proc_stat);
  const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
  if (!boot.ok() || ticks_per_second <= 0) return std::nullopt;
  return static_cast<double>(*boot) +
         static_cast<double>(stat->starttime_ticks) / static_cast<double>(ticks_per_second);
}

}  // namespace

absl::StatusOr<ProcStat> ParseProcStat(std::string_view text) {
  const size_t close = text.rfind(')');
  if (close == std::string_view::npos || text.find('(') == std::string_view::npos) {
    return absl::InvalidArgumentError("/proc stat: no command name in parentheses");
  }
  // Fields from 3 (state) on, separated by single spaces.
  std::vector<std::string_view> fields;
  for (std::string_view piece : Split(StripWhitespace(text.substr(close + 1)), ' ')) {
    if (!piece.empty()) fields.push_back(piece);
  }
  constexpr size_t kFirst = 3;
  if (fields.size() < 24 - kFirst + 1) {
    return absl::InvalidArgumentError(
        StrCat("/proc stat: ", fields.size() + kFirst - 1, " fields, expected at least 24"));
  }
  auto field = [&](size_t number, uint64_t* out) -> absl::Status {
    int64_t v;
    if (!ParseInt(fields[number - kFirst], &v) || v < 0) {
      return absl::InvalidArgumentError(
          StrCat("/proc stat: field ", number, " is not a count: ", fields[number - kFirst]));
    }
    *out = static_cast<uint64_t>(v);
    return absl::OkStatus();
  };
  ProcStat stat;
  LEPTON_RETURN_IF_ERROR(field(14, &stat.utime_ticks));
  LEPTON_RETURN_IF_ERROR(field(15, &stat.stime_ticks));
  LEPTON_RETURN_IF_ERROR(field(22, &stat.starttime_ticks));
  LEPTON_RETURN_IF_ERROR(field(23, &stat.vsize_bytes));
  LEPTON_RETURN_IF_ERROR(field(24, &stat.rss_pages));
  return stat;
}

absl::StatusOr<int64_t> ParseBootTime(std::string_view text) {
  for (std::string_view line : Split(text, '\n')) {
    constexpr std::string_view kPrefix = "btime ";
    if (line.substr(0, kPrefix.size()) != kPrefix) continue;
    int64_t seconds;
    if (!ParseInt(StripWhitespace(line.substr(kPrefix.size())), &seconds) || seconds < 0) {
      return absl::InvalidArgumentError(StrCat("/proc/stat: bad btime line: ", line));
    }
    return seconds;
  }
  return absl::InvalidArgumentError("/proc/stat: no btime line");
}

absl::Status RegisterProcessMetrics(MetricsRegistry& registry) {
  LEPTON_RETURN_IF_ERROR(registry.AddCallbackCounter(
      "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
      []() -> std::optional<double> {
        const std::optional<ProcStat> stat = ReadSelfStat();
        const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
        if (!stat.has_value() || ticks_per_second <= 0) return std::nullopt;
        return static_cast<double>(stat->utime_ticks + stat->stime_ticks) /
               static_cast<double>(ticks_per_second);
      }));
  LEPTON_RETURN_IF_ERROR(registry.AddCallbackGauge(
      "process_resident_memory_bytes", "Resident memory size in bytes.",
      []() -> std::optional<double> {
        const std::optional<ProcStat> stat = ReadSelfStat();
        const long page_bytes = ::sysconf(_SC_PAGESIZE);
        if (!stat.has_value() || page_bytes <= 0) return std::nullopt;
        return static_cast<double>(stat->rss_pages) * static_cast<double>(page_bytes);
      }));
  LEPTON_RETURN_IF_ERROR(registry.AddCallbackGauge(
      "process_virtual_memory_bytes", "Virtual memory size in bytes.",
      []() -> std::optional<double> {
        const std::optional<ProcStat> stat = ReadSelfStat();
        if (!stat.has_value()) return std::nullopt;
        return static_cast<double>(stat->vsize_bytes);
      }));
  LEPTON_RETURN_IF_ERROR(registry.AddCallbackGauge(
      "process_open_fds", "Number of open file descriptors.", CountOpenFds));
  LEPTON_RETURN_IF_ERROR(registry.AddCallbackGauge(
      "process_max_fds", "Maximum number of open file descriptors.",
      []() -> std::optional<double> {
        rlimit limit;
        if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
        return static_cast<double>(limit.rlim_cur);
      }));
  const std::optional<double> start = StartTimeSeconds();
  LEPTON_RETURN_IF_ERROR(registry.AddCallbackGauge(
      "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
      [start] { return start; }));
  return absl::OkStatus();
}

}  // namespace lepton::monitor
