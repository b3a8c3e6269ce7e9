#include "lepton/cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "lepton/cli/rest_client.h"

namespace lepton::cli {

std::string HumanBytes(int64_t b) {
  char buf[32];
  if (b >= (1 << 30)) std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(b) / (1 << 30));
  else if (b >= (1 << 20)) std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1 << 20));
  else if (b >= 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(b) / 1024);
  else std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(b));
  return buf;
}

ProgressBar::ProgressBar(std::string label) : label_(std::move(label)), tty_(::isatty(2)) {}

void ProgressBar::Update(double fraction, const std::string& detail) {
  if (!tty_) return;
  const double frac = std::clamp(fraction, 0.0, 1.0);
  const int filled = static_cast<int>(frac * 30);
  char head[128];
  std::snprintf(head, sizeof head, "\r%s [%s%s] %3d%% ", label_.c_str(),
                std::string(static_cast<size_t>(filled), '#').c_str(),
                std::string(static_cast<size_t>(30 - filled), '.').c_str(), static_cast<int>(frac * 100));
  std::string line = head + detail;
  // Blank out what a longer previous line left behind.
  const size_t width = line.size();
  if (width < last_width_) line.append(last_width_ - width, ' ');
  last_width_ = width;
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

void ProgressBar::Done() {
  if (tty_) std::fprintf(stderr, "\n");
}

absl::StatusOr<Json> PollJob(const Args& args, const std::string& job_path,
                             const std::function<void(const Json&)>& on_update) {
  while (true) {
    auto j = Call(args, "GET", job_path);
    if (!j.ok()) return j.status();
    on_update(*j);
    const std::string state = j->value("state", "");
    if (state == "succeeded" || state == "failed" || state == "cancelled") return j;
    usleep(200 * 1000);
  }
}

}  // namespace lepton::cli
