#pragma once
// `PredictionLog`: what the deployments answered, for monitoring (drift against the training
// reference, audits of individual decisions). Sampled, bounded and asynchronous: `Record` puts
// the entry in a bounded in-memory queue and returns at once — a full queue drops the entry and
// counts the drop, so a slow disk never slows a request; one writer thread appends JSON lines to
//   <root>/<deployment>/predictions-<UTC yyyymmdd-hhmmss>-<seq>.jsonl
// starting a new file when the current one passes `max_file_bytes` and deleting the oldest files
// of a deployment beyond `max_files`. The writer wakes when 256 entries are queued, on `Flush`, or
// every 50 ms — not per entry, which would cost a request a futex call. Each line is one request:
//   {"ts", "deployment", "model", "version", "canary", "id", "rows": [{input columns…}],
//    "scores": [...], "labels": [...]}
// Thread-safe.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/clock.h"
#include "lepton/base/json.h"

namespace lepton::serving {

struct PredictionLogOptions {
  size_t max_queue = 10000;                 // entries waiting to be written
  int64_t max_file_bytes = 64ll << 20;      // rotate after this many bytes
  int max_files = 20;                       // per deployment; older files are deleted
};

struct PredictionLogStats {
  int64_t written = 0;   // entries on disk
  int64_t dropped = 0;   // entries lost to a full queue
  int64_t errors = 0;    // entries the writer failed to write (disk full, …)
};

class PredictionLog {
 public:
  PredictionLog(std::string root, Clock& clock, PredictionLogOptions options = {});
  ~PredictionLog();  // writes what is queued, then stops

  // True when this request should be logged at `sample_rate` (0..1), by a hash of `key` (the
  // request id) so a retried request is sampled the same way, or at random without one.
  static bool Sampled(double sample_rate, const std::optional<std::string>& key);

  // Queues one entry (see the file comment for its fields). Never blocks on I/O.
  void Record(const Json& entry);
  // The same with the entry already as one line of JSON text (no newline): the request path
  // builds it without a JSON document.
  void Record(std::string deployment, std::string line);

  // Blocks until every entry queued so far is written (tests, shutdown).
  void Flush();
  PredictionLogStats stats() const;

  // The log files of `deployment`, oldest first.
  std::vector<std::string> Files(const std::string& deployment) const;

  // The newest entries of `deployment` answered by `version` (0: any), newest first, at most
  // `max_entries`. Lines that do not parse are skipped (a line being written).
  std::vector<Json> Recent(const std::string& deployment, int64_t version, size_t max_entries) const;
  // The same entries handed to `fn` one at a time as they are parsed, so that memory holds one
  // document, not `max_entries` (the drift check). Returns how many were handed over.
  size_t ForEachRecent(const std::string& deployment, int64_t version, size_t max_entries,
                       const std::function<void(Json&& entry)>& fn) const;

 private:
  void WriterLoop();
  struct Current;
  // Appends `lines` (each without its newline) to the deployment's files, rotating as needed.
  // An error loses the lines not yet written (counted as errors).
  absl::Status Write(const std::string& deployment, const std::vector<const std::string*>& lines);
  absl::Status Rotate(const std::string& deployment, Current& cur);  // starts a new file
  absl::Status Append(Current& cur, const std::string& text);
  struct Entry {
    std::string deployment;
    std::string line;
  };

  const std::string root_;
  Clock& clock_;
  const PredictionLogOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<Entry> queue_;
  bool writing_ = false;
  bool flush_requested_ = false;
  bool stopping_ = false;
  PredictionLogStats stats_;
  // Writer-thread state: the open file per deployment.
  struct Current {
    std::string path;
    int64_t bytes = 0;
  };
  std::map<std::string, Current> current_;
  int64_t seq_ = 0;
  std::thread writer_;
};

}  // namespace lepton::serving
