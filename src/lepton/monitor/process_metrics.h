#pragma once
// The standard process metrics every Prometheus client library exports, with the same names and
// units, so that stock dashboards and alerts work: CPU time, resident and virtual memory, open
// and maximum file descriptors, and start time. Linux only: values come from /proc/self/stat,
// /proc/stat, /proc/self/fd and getrlimit(RLIMIT_NOFILE), read at scrape time.
//
// Thread-safety: the registered callbacks may run concurrently (each scrape reads /proc afresh).

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/monitor/metrics.h"

namespace lepton::monitor {

// Registers, as callback metrics of `registry`:
//   process_cpu_seconds_total        counter  user + system CPU time, seconds
//   process_resident_memory_bytes    gauge    resident set size
//   process_virtual_memory_bytes     gauge    virtual memory size
//   process_open_fds                 gauge    open file descriptors
//   process_max_fds                  gauge    the soft RLIMIT_NOFILE
//   process_start_time_seconds       gauge    start time, seconds since the Unix epoch
// A value that cannot be read at scrape time (no /proc) is left out of that scrape rather than
// failing it. The start time is computed once, here.
// AlreadyExists: one of the names is already registered (e.g. this was called twice).
absl::Status RegisterProcessMetrics(MetricsRegistry& registry);

// The fields of /proc/<pid>/stat this module uses, in the kernel's units.
struct ProcStat {
  uint64_t utime_ticks = 0;      // field 14, clock ticks (sysconf(_SC_CLK_TCK))
  uint64_t stime_ticks = 0;      // field 15
  uint64_t starttime_ticks = 0;  // field 22, clock ticks after boot
  uint64_t vsize_bytes = 0;      // field 23
  uint64_t rss_pages = 0;        // field 24, pages (sysconf(_SC_PAGESIZE))
};

// Parses the text of /proc/<pid>/stat. The command name (field 2) is in parentheses and may
// itself contain spaces and parentheses, so fields are counted after its last ')'.
// InvalidArgument when the text does not have that shape.
absl::StatusOr<ProcStat> ParseProcStat(std::string_view text);

// Returns the boot time (the `btime` line, seconds since the epoch) from the text of /proc/stat.
// InvalidArgument when there is no valid `btime` line.
absl::StatusOr<int64_t> ParseBootTime(std::string_view text);

}  // namespace lepton::monitor
