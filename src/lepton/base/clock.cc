#include "lepton/base/clock.h"

#include <limits>

namespace lepton {

Clock& Clock::System() {
  static SystemClock* clock = new SystemClock();
  return *clock;
}

FakeClock::FakeClock() : FakeClock(absl::FromUnixSeconds(1767225600)) {}

std::string FormatTimestamp(absl::Time t) {
  // absl::FormatTime costs about a microsecond, and a server stamps every prediction-log entry:
  // each thread formats a second once and appends the milliseconds (tested equal).
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
  }
  const int64_t ms = absl::ToUnixMillis(t);  // rounded toward -infinity, as %E3S truncates
  const int64_t sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  const auto milli = static_cast<int>(ms - sec * 1000);
  thread_local int64_t cached_sec = std::numeric_limits<int64_t>::min();
  thread_local std::string cached;  // "YYYY-MM-DDTHH:MM:SS" of cached_sec
  if (sec != cached_sec) {
    cached = absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(sec), absl::UTCTimeZone());
    cached_sec = sec;
  }
  std::string out;
  out.reserve(cached.size() + 5);
  out += cached;
  const char frac[6] = {'.', static_cast<char>('0' + milli / 100), static_cast<char>('0' + milli / 10 % 10),
                        static_cast<char>('0' + milli % 10), 'Z', '\0'};
  out += frac;
  return out;
}

bool ParseTimestamp(std::string_view text, absl::Time* out) {
  std::string err;
  return absl::ParseTime(absl::RFC3339_full, std::string(text), out, &err);
}

}  // namespace lepton
