#include "lepton/api/body_pipe.h"

#include <atomic>
#include <string>

#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::api {
namespace {

using ::lepton::testing::StatusIs;

TEST(BodyPipeTest, DeliversChunksInOrderThenTheEnd) {
  BodyPipe pipe([](const BodyPipe::ChunkWriter& write) -> absl::Status {
    for (int i = 0; i < 100; ++i) {
      absl::Status s = write(std::to_string(i));
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  });
  for (int i = 0; i < 100; ++i) {
    auto chunk = pipe.Next();
    ASSERT_OK(chunk);
    ASSERT_TRUE(chunk->has_value());
    EXPECT_EQ(**chunk, std::to_string(i));
  }
  for (int again = 0; again < 2; ++again) {
    auto end = pipe.Next();
    ASSERT_OK(end);
    EXPECT_FALSE(end->has_value());
  }
}

TEST(BodyPipeTest, WriterRunsAtMostOneChunkAhead) {
  std::atomic<int> produced{0};
  BodyPipe pipe([&](const BodyPipe::ChunkWriter& write) -> absl::Status {
    for (int i = 0; i < 50; ++i) {
      ++produced;
      absl::Status s = write(std::string(1000, 'x'));
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  });
  for (int taken = 1; taken <= 50; ++taken) {
    auto chunk = pipe.Next();
    ASSERT_OK(chunk);
    ASSERT_TRUE(chunk->has_value());
    // The chunks taken, one waiting in the pipe, one blocked in `write`.
    EXPECT_LE(produced.load(), taken + 2);
  }
}

TEST(BodyPipeTest, ChunksBeforeAnErrorComeFirst) {
  BodyPipe pipe([](const BodyPipe::ChunkWriter& write) -> absl::Status {
    absl::Status s = write("a");
    if (!s.ok()) return s;
    return absl::DataLossError("part-1.parquet: truncated");
  });
  auto a = pipe.Next();
  ASSERT_OK(a);
  EXPECT_EQ(a->value_or(""), "a");
  EXPECT_THAT(pipe.Next(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(pipe.Next(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(BodyPipeTest, DestroyingThePipeCancelsABlockedWriter) {
  absl::Status seen;
  std::atomic<int> produced{0};
  {
    BodyPipe pipe([&](const BodyPipe::ChunkWriter& write) -> absl::Status {
      while (true) {  // an endless body: only cancellation stops it
        ++produced;
        absl::Status s = write("chunk");
        if (!s.ok()) {
          seen = s;
          return s;
        }
      }
    });
    ASSERT_OK(pipe.Next());
  }  // joins the writer
  EXPECT_THAT(seen, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_LE(produced.load(), 3);
}

TEST(BodyPipeTest, AThrowingWriterEndsWithInternal) {
  BodyPipe pipe(
      [](const BodyPipe::ChunkWriter&) -> absl::Status { throw std::runtime_error("boom"); });
  EXPECT_THAT(pipe.Next(), StatusIs(absl::StatusCode::kInternal));
}

TEST(BodyPipeTest, AsProducerPullsFromThePipe) {
  BodyProducer producer = BodyPipe::AsProducer(
      std::make_shared<BodyPipe>([](const BodyPipe::ChunkWriter& write) { return write("only"); }));
  auto only = producer();
  ASSERT_OK(only);
  EXPECT_EQ(only->value_or(""), "only");
  auto end = producer();
  ASSERT_OK(end);
  EXPECT_FALSE(end->has_value());
}

}  // namespace
}  // namespace lepton::api
