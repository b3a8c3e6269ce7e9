#include "lepton/serving/batcher.h"

#include <utility>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::serving {

absl::StatusOr<BatchingOptions> BatchingOptions::FromJson(const Json& j, std::string_view path) {
  if (!j.is_object()) return absl::InvalidArgumentError(StrCat(path, ": expected an object"));
  BatchingOptions o;
  for (const auto& [key, value] : j.items()) {
    if (key == "max_batch_size") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > 65536) {
        return absl::InvalidArgumentError(StrCat(path, ".max_batch_size: expected an integer in [1, 65536]"));
      }
      o.max_batch_rows = value.get<int>();
    } else if (key == "max_queue_delay_us") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > 1000000) {
        return absl::InvalidArgumentError(StrCat(path, ".max_queue_delay_us: expected an integer in [0, 1000000]"));
      }
      o.max_queue_delay = absl::Microseconds(value.get<int64_t>());
    } else {
      return absl::InvalidArgumentError(
          StrCat(path, ".", key, ": unknown field (expected max_batch_size, max_queue_delay_us)"));
    }
  }
  return o;
}

Json BatchingOptions::ToJson() const {
  return {{"max_batch_size", max_batch_rows},
          {"max_queue_delay_us", absl::ToInt64Microseconds(max_queue_delay)}};
}

train::Predictions SlicePredictions(const train::Predictions& all, int64_t offset, int64_t rows) {
  train::Predictions out;
  out.task = all.task;
  out.num_classes = all.num_classes;
  const auto slice = [offset, rows](const auto& v, int64_t width) {
    using V = std::decay_t<decltype(v)>;
    if (v.empty()) return V();
    return V(v.begin() + offset * width, v.begin() + (offset + rows) * width);
  };
  const int64_t width = all.task == ml::Task::kMulticlass ? all.num_classes : 1;
  out.scores = slice(all.scores, width);
  out.labels = slice(all.labels, 1);
  out.credit_scores = slice(all.credit_scores, 1);
  return out;
}

struct Batcher::State {
  struct Item {
    std::shared_ptr<const lake::RecordBatch> rows;
    Done done;
    std::chrono::steady_clock::time_point arrived;
  };
  State(BatchingOptions o, PredictFn p) : options(o), predict(std::move(p)) {}

  // Takes the next batch from the queue (lock held): whole requests in order, up to
  // max_batch_rows (at least one request), of the first one's schema.
  std::vector<Item> TakeBatchLocked();
  void RunBatch(std::vector<Item> items);

  const BatchingOptions options;
  const PredictFn predict;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Item> queue;
  int64_t queued_rows = 0;
  bool stopping = false;
  Stats stats;
};

Batcher::Batcher(BatchingOptions options, PredictFn predict)
    : options_(options), state_(std::make_shared<State>(options, std::move(predict))) {
  thread_ = std::thread(&Batcher::Loop, state_);
}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stopping = true;
  }
  state_->cv.notify_all();
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();  // destroyed by a `done` callback on the batch thread itself
  } else {
    thread_.join();
  }
}

void Batcher::Submit(std::shared_ptr<const lake::RecordBatch> rows, Done done) {
  State& st = *state_;
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    st.queued_rows += rows->num_rows();
    st.queue.push_back({std::move(rows), std::move(done), std::chrono::steady_clock::now()});
    // The thread sleeps either for a first request or until a batch is full or due: waking it
    // for every request would cost a futex call each.
    wake = st.queue.size() == 1 || st.queued_rows >= st.options.max_batch_rows;
  }
  if (wake) st.cv.notify_one();
}

Batcher::Stats Batcher::stats() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->stats;
}

std::vector<Batcher::State::Item> Batcher::State::TakeBatchLocked() {
  std::vector<Item> items;
  int64_t rows = 0;
  while (!queue.empty()) {
    Item& next = queue.front();
    const int64_t n = next.rows->num_rows();
    if (!items.empty() && (rows + n > options.max_batch_rows || !(next.rows->schema() == items[0].rows->schema()))) {
      break;
    }
    rows += n;
    queued_rows -= n;
    items.push_back(std::move(next));
    queue.pop_front();
  }
  return items;
}

void Batcher::Loop(std::shared_ptr<State> state) {
  State& st = *state;
  const auto delay = absl::ToChronoNanoseconds(st.options.max_queue_delay);
  std::unique_lock<std::mutex> lock(st.mu);
  while (true) {
    st.cv.wait(lock, [&st] { return st.stopping || !st.queue.empty(); });
    if (st.queue.empty()) return;  // stopping, nothing left
    // Wait for the batch to fill, at most until the oldest request has waited `delay`.
    const auto due = st.queue.front().arrived + delay;
    st.cv.wait_until(lock, due, [&st] { return st.stopping || st.queued_rows >= st.options.max_batch_rows; });
    std::vector<State::Item> items = st.TakeBatchLocked();
    lock.unlock();
    st.RunBatch(std::move(items));  // may destroy the Batcher (see the header); `state` lives on
    lock.lock();
  }
}

void Batcher::State::RunBatch(std::vector<Item> items) {
  int64_t total = 0;
  for (const Item& item : items) total += item.rows->num_rows();
  absl::StatusOr<train::Predictions> predictions;
  if (items.size() == 1) {
    predictions = predict(*items[0].rows);
  } else {
    lake::RecordBatch batch(items[0].rows->schema());
    for (size_t c = 0; c < batch.num_columns(); ++c) {
      for (const Item& item : items) {
        batch.mutable_column(c).AppendRange(item.rows->column(c), 0, item.rows->num_rows());
      }
    }
    predictions = predict(batch);
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    ++stats.batches;
    stats.requests += static_cast<int64_t>(items.size());
    stats.rows += total;
  }
  if (!predictions.ok()) {
    for (Item& item : items) item.done(predictions.status(), total);
    return;
  }
  if (items.size() == 1) {
    items[0].done(*std::move(predictions), total);
    return;
  }
  int64_t offset = 0;
  for (Item& item : items) {
    const int64_t n = item.rows->num_rows();
    item.done(SlicePredictions(*predictions, offset, n), total);
    offset += n;
  }
}

}  // namespace lepton::serving
