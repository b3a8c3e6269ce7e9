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

Batcher::Batcher(BatchingOptions options, PredictFn predict)
    : options_(options), predict_(std::move(predict)) {
  thread_ = std::thread([this] { Loop(); });
}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Batcher::Submit(std::shared_ptr<const lake::RecordBatch> rows, Done done) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queued_rows_ += rows->num_rows();
    queue_.push_back({std::move(rows), std::move(done), std::chrono::steady_clock::now()});
    // The thread sleeps either for a first request or until a batch is full or due: waking it
    // for every request would cost a futex call each.
    wake = queue_.size() == 1 || queued_rows_ >= options_.max_batch_rows;
  }
  if (wake) cv_.notify_one();
}

Batcher::Stats Batcher::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::vector<Batcher::Item> Batcher::TakeBatchLocked() {
  std::vector<Item> items;
  int64_t rows = 0;
  while (!queue_.empty()) {
    Item& next = queue_.front();
    const int64_t n = next.rows->num_rows();
    if (!items.empty() && (rows + n > options_.max_batch_rows || !(next.rows->schema() == items[0].rows->schema()))) {
      break;
    }
    rows += n;
    queued_rows_ -= n;
    items.push_back(std::move(next));
    queue_.pop_front();
  }
  return items;
}

void Batcher::Loop() {
  const auto delay = absl::ToChronoNanoseconds(options_.max_queue_delay);
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    // Wait for the batch to fill, at most until the oldest request has waited `delay`.
    const auto due = queue_.front().arrived + delay;
    cv_.wait_until(lock, due, [this] { return stopping_ || queued_rows_ >= options_.max_batch_rows; });
    std::vector<Item> items = TakeBatchLocked();
    lock.unlock();
    RunBatch(std::move(items));
    lock.lock();
  }
}

void Batcher::RunBatch(std::vector<Item> items) {
  int64_t total = 0;
  for (const Item& item : items) total += item.rows->num_rows();
  absl::StatusOr<train::Predictions> predictions;
  if (items.size() == 1) {
    predictions = predict_(*items[0].rows);
  } else {
    lake::RecordBatch batch(items[0].rows->schema());
    for (size_t c = 0; c < batch.num_columns(); ++c) {
      for (const Item& item : items) {
        batch.mutable_column(c).AppendRange(item.rows->column(c), 0, item.rows->num_rows());
      }
    }
    predictions = predict_(batch);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.batches;
    stats_.requests += static_cast<int64_t>(items.size());
    stats_.rows += total;
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
