#pragma once
// Dynamic batching for one loaded model version. Requests queue their rows; one thread takes
// what is queued — up to `max_batch_rows` rows, waiting at most `max_queue_delay` after the
// first request of a batch arrived for more to come — predicts them in one call, and hands each
// request its own slice of the predictions.
//
// It pays where one call costs much more than one more row in it (libtorch models, large
// pipelines), and costs a little latency everywhere: bench/serve measures both and docs/serving.md
// says when to turn it on. The batch thread also relieves the I/O threads of the prediction.
//
// Requests are taken whole and in arrival order: a request larger than `max_batch_rows` is a
// batch of its own. Requests whose rows have another schema than the batch's (never, when they
// are decoded against the same model) are batched separately.
//
// Thread-safety: `Submit` and `stats` from any thread. The destructor lets the thread predict
// what is still queued and end; `done` callbacks may release the Batcher's owner.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lepton/base/json.h"
#include "lepton/lake/column.h"
#include "lepton/train/model.h"

namespace lepton::serving {

struct BatchingOptions {
  int max_batch_rows = 0;  // 0 (or 1): no batching
  absl::Duration max_queue_delay = absl::Microseconds(500);

  bool enabled() const { return max_batch_rows > 1; }
  // {"max_batch_size": N, "max_queue_delay_us": M}; InvalidArgument naming the field (`path`).
  static absl::StatusOr<BatchingOptions> FromJson(const Json& j, std::string_view path);
  Json ToJson() const;
};

// The rows [offset, offset + rows) of `all`'s predictions (scores, labels, credit scores).
train::Predictions SlicePredictions(const train::Predictions& all, int64_t offset, int64_t rows);

class Batcher {
 public:
  using PredictFn = std::function<absl::StatusOr<train::Predictions>(const lake::RecordBatch&)>;
  // This request's predictions (or the batch's error), and the rows of the whole model call that
  // answered it (for the batch-size metric).
  using Done = std::function<void(absl::StatusOr<train::Predictions>, int64_t batch_rows)>;

  Batcher(BatchingOptions options, PredictFn predict);
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues `rows` (shared: the caller may keep them for its log); `done` runs once, on the
  // batch thread.
  void Submit(std::shared_ptr<const lake::RecordBatch> rows, Done done);

  struct Stats {
    int64_t batches = 0;
    int64_t requests = 0;
    int64_t rows = 0;
  };
  Stats stats() const;
  const BatchingOptions& options() const { return options_; }

 private:
  // Everything the batch thread touches. Shared with the thread so that the Batcher may be
  // destroyed on its own thread — which happens when a `done` callback releases the last
  // reference to the model that owns it: the destructor then detaches instead of joining, and the
  // thread ends on its own, on state that outlives the Batcher.
  struct State;
  static void Loop(std::shared_ptr<State> state);

  const BatchingOptions options_;
  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace lepton::serving
