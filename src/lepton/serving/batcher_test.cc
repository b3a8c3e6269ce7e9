// Dynamic batching: concurrent requests share one prediction call and each gets its own rows'
// answers back; big requests go alone; errors reach every request of the batch; nothing queued
// is lost at destruction; the options' JSON is checked.

#include "lepton/serving/batcher.h"

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::serving {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::shared_ptr<const lake::RecordBatch> Rows(std::vector<double> xs) {
  auto b = std::make_shared<lake::RecordBatch>(lake::Schema({{"x", lake::DataType::kDouble}}));
  for (double x : xs) b->mutable_column(0).AppendDouble(x);
  return b;
}

// Scores each row with its x and labels it "L<x>"; records the batch sizes it saw.
struct EchoModel {
  std::mutex mu;
  std::vector<int64_t> batch_rows;
  absl::StatusOr<train::Predictions> operator()(const lake::RecordBatch& b) {
    {
      std::lock_guard<std::mutex> lock(mu);
      batch_rows.push_back(b.num_rows());
    }
    train::Predictions p;
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      const double x = b.column(0).ValueAt<double>(r);
      p.scores.push_back(x);
      p.labels.push_back(StrCat("L", x));
    }
    return p;
  }
};

TEST(BatcherTest, ConcurrentRequestsShareOneCallAndGetTheirOwnRows) {
  EchoModel model;
  std::atomic<int64_t> told_batch_rows{0};
  Batcher batcher({.max_batch_rows = 12, .max_queue_delay = absl::Seconds(10)},
                  [&model](const lake::RecordBatch& b) { return model(b); });
  // Six requests of two rows: the batch is full at 12 rows, long before the 10 s delay.
  std::vector<std::promise<absl::StatusOr<train::Predictions>>> answers(6);
  std::vector<std::thread> clients;
  for (int i = 0; i < 6; ++i) {
    clients.emplace_back([&, i] {
      batcher.Submit(Rows({10.0 * i, 10.0 * i + 1}),
                     [&answers, &told_batch_rows, i](absl::StatusOr<train::Predictions> p, int64_t batch_rows) {
                       told_batch_rows += batch_rows;
                       answers[i].set_value(std::move(p));
                     });
    });
  }
  for (auto& t : clients) t.join();
  for (int i = 0; i < 6; ++i) {
    absl::StatusOr<train::Predictions> p = answers[i].get_future().get();
    ASSERT_OK(p);
    EXPECT_THAT(p->scores, ElementsAre(10.0 * i, 10.0 * i + 1));
    EXPECT_THAT(p->labels, ElementsAre(StrCat("L", 10.0 * i), StrCat("L", 10.0 * i + 1)));
  }
  EXPECT_THAT(model.batch_rows, ElementsAre(12));
  EXPECT_EQ(batcher.stats().batches, 1);
  EXPECT_EQ(batcher.stats().requests, 6);
  EXPECT_EQ(batcher.stats().rows, 12);
  EXPECT_EQ(told_batch_rows.load(), 6 * 12);  // each request was in the batch of 12
}

TEST(BatcherTest, ALoneRequestGoesWhenTheDelayIsOver) {
  EchoModel model;
  Batcher batcher({.max_batch_rows = 64, .max_queue_delay = absl::Milliseconds(5)},
                  [&model](const lake::RecordBatch& b) { return model(b); });
  std::promise<absl::StatusOr<train::Predictions>> answer;
  batcher.Submit(Rows({7}), [&](absl::StatusOr<train::Predictions> p, int64_t) { answer.set_value(std::move(p)); });
  auto future = answer.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_THAT(future.get()->scores, ElementsAre(7));
}

TEST(BatcherTest, RequestsAreTakenWholeAndInOrder) {
  EchoModel model;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first = true;
  std::atomic<bool> entered = false;
  // The first call blocks until everything else is queued, so the queue's split is deterministic.
  Batcher batcher({.max_batch_rows = 4, .max_queue_delay = absl::ZeroDuration()},
                  [&](const lake::RecordBatch& b) {
                    if (first.exchange(false)) {
                      entered = true;
                      released.wait();
                    }
                    return model(b);
                  });
  std::vector<std::vector<double>> got(5);
  std::atomic<int> done = 0;
  auto submit = [&](int i, std::vector<double> xs) {
    batcher.Submit(Rows(std::move(xs)), [&, i](absl::StatusOr<train::Predictions> p, int64_t) {
      got[i] = p->scores;
      ++done;
    });
  };
  submit(0, {0});
  while (!entered.load()) std::this_thread::yield();  // the first batch is in its call
  submit(1, {1, 1, 1});
  submit(2, {2, 2});      // 3 + 2 > 4: starts the next batch
  submit(3, {3, 3, 3, 3, 3, 3});  // bigger than a batch: alone
  submit(4, {4});
  release.set_value();
  while (done.load() < 5) std::this_thread::yield();
  EXPECT_THAT(model.batch_rows, ElementsAre(1, 3, 2, 6, 1));
  for (int i = 0; i < 5; ++i) {
    for (double x : got[i]) EXPECT_EQ(x, i);
  }
}

TEST(BatcherTest, AFailedBatchFailsEachOfItsRequests) {
  Batcher batcher({.max_batch_rows = 4, .max_queue_delay = absl::Seconds(10)},
                  [](const lake::RecordBatch&) -> absl::StatusOr<train::Predictions> {
                    return absl::InvalidArgumentError("no good");
                  });
  std::vector<std::promise<absl::Status>> answers(2);
  batcher.Submit(Rows({1, 2}), [&](absl::StatusOr<train::Predictions> p, int64_t) { answers[0].set_value(p.status()); });
  batcher.Submit(Rows({3, 4}), [&](absl::StatusOr<train::Predictions> p, int64_t) { answers[1].set_value(p.status()); });
  for (auto& a : answers) EXPECT_THAT(a.get_future().get(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no good")));
}

TEST(BatcherTest, DestructionAnswersEverythingQueued) {
  EchoModel model;
  std::atomic<int> answered = 0;
  {
    Batcher batcher({.max_batch_rows = 1000, .max_queue_delay = absl::Seconds(60)},
                    [&model](const lake::RecordBatch& b) { return model(b); });
    for (int i = 0; i < 20; ++i) {
      batcher.Submit(Rows({1.0 * i}), [&](absl::StatusOr<train::Predictions> p, int64_t) {
        if (p.ok() && p->scores.size() == 1) ++answered;
      });
    }
  }  // far before the 60 s delay
  EXPECT_EQ(answered.load(), 20);
}

// Regression: the last request on a swapped-out model version releases the model, which owns the
// batcher, from the batcher's own thread (found by integration_load_test: join on itself aborted
// the server).
TEST(BatcherTest, ADoneCallbackMayReleaseTheLastReference) {
  EchoModel model;
  auto batcher = std::make_shared<Batcher>(BatchingOptions{.max_batch_rows = 4, .max_queue_delay = absl::ZeroDuration()},
                                           [&model](const lake::RecordBatch& b) { return model(b); });
  std::promise<double> answered;
  Batcher* raw = batcher.get();
  raw->Submit(Rows({5}), [keep = batcher, &answered](absl::StatusOr<train::Predictions> p, int64_t) mutable {
    keep.reset();  // the Batcher is destroyed here, on its own thread
    answered.set_value(p.ok() ? p->scores[0] : -1);
  });
  batcher.reset();  // the callback holds the last reference now
  EXPECT_EQ(answered.get_future().get(), 5);
}

TEST(BatcherTest, SlicesMulticlassScoresByRow) {
  train::Predictions all;
  all.task = ml::Task::kMulticlass;
  all.num_classes = 3;
  all.scores = {0.1, 0.2, 0.7, 0.3, 0.3, 0.4, 0.5, 0.25, 0.25};
  all.labels = {"c", "c", "a"};
  const train::Predictions one = SlicePredictions(all, 1, 2);
  EXPECT_THAT(one.scores, ElementsAre(0.3, 0.3, 0.4, 0.5, 0.25, 0.25));
  EXPECT_THAT(one.labels, ElementsAre("c", "a"));
  EXPECT_TRUE(one.credit_scores.empty());
  EXPECT_EQ(one.num_classes, 3);
}

TEST(BatchingOptionsTest, JsonRoundTripsAndNamesBadFields) {
  LEPTON_ASSERT_OK_AND_ASSIGN(BatchingOptions o,
                              BatchingOptions::FromJson({{"max_batch_size", 32}, {"max_queue_delay_us", 250}}, "batching"));
  EXPECT_EQ(o.max_batch_rows, 32);
  EXPECT_EQ(o.max_queue_delay, absl::Microseconds(250));
  EXPECT_TRUE(o.enabled());
  EXPECT_EQ(o.ToJson(), Json({{"max_batch_size", 32}, {"max_queue_delay_us", 250}}));
  EXPECT_THAT(BatchingOptions::FromJson({{"max_batch_size", 0}}, "batching").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("batching.max_batch_size")));
  EXPECT_THAT(BatchingOptions::FromJson({{"max_queue_delay_us", -1}}, "batching").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("batching.max_queue_delay_us")));
  EXPECT_THAT(BatchingOptions::FromJson({{"size", 3}}, "batching").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("batching.size: unknown field")));
  EXPECT_THAT(BatchingOptions::FromJson(Json::array(), "batching").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected an object")));
}

}  // namespace
}  // namespace lepton::serving
