#pragma once
// What the CLI's long-running commands share: a one-line progress bar and the loop that polls a
// server job until it ends (used by `lepton lake ingest` and `lepton train`).

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/cli/args.h"

namespace lepton::cli {

// "1.5 MiB" and the like.
std::string HumanBytes(int64_t bytes);

// A one-line progress bar on stderr, redrawn in place when stderr is a terminal (nothing is
// drawn otherwise, so logs and pipes stay clean). Not thread-safe.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  // Draws "<label> [####......]  42% <detail>"; `fraction` is clamped to [0, 1].
  void Update(double fraction, const std::string& detail);
  // Ends the line.
  void Done();

 private:
  std::string label_;
  bool tty_;
  size_t last_width_ = 0;
};

// Polls GET `job_path` (a job resource answering {"state", "progress", …}) every 200 ms until
// its state is succeeded, failed or cancelled, calling `on_update` with each answer. Returns the
// last answer (whatever the final state); an error when a request fails.
absl::StatusOr<Json> PollJob(const Args& args, const std::string& job_path,
                             const std::function<void(const Json&)>& on_update);

}  // namespace lepton::cli
