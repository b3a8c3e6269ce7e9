#pragma once
// Time sources. Code that needs "now" takes a `Clock&` so that tests can inject a `FakeClock`.
// Thread-safety: `SystemClock` is stateless; `FakeClock` is safe for concurrent use.

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace lepton {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // The process-wide real clock. Never destroyed.
  static Clock& System();
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock that only moves when told to. Starts at 2026-01-01T00:00:00Z unless given a time.
class FakeClock final : public Clock {
 public:
  FakeClock();
  explicit FakeClock(absl::Time start) : now_ns_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(now_ns_.load()); }
  void Advance(absl::Duration d) { now_ns_ += absl::ToInt64Nanoseconds(d); }
  void Set(absl::Time t) { now_ns_ = absl::ToUnixNanos(t); }

 private:
  std::atomic<int64_t> now_ns_;
};

// Formats `t` as RFC 3339 UTC with milliseconds, e.g. "2026-11-28T21:06:51.123Z".
std::string FormatTimestamp(absl::Time t);
// Parses what `FormatTime` writes (and RFC 3339 with any fraction or offset).
// Returns false when `text` is not such a time.
bool ParseTimestamp(std::string_view text, absl::Time* out);

}  // namespace lepton
