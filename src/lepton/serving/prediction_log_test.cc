// The prediction log: entries land as JSON lines per deployment, a full queue drops instead of
// blocking, files rotate and old ones are deleted, sampling follows the rate and the request id.

#include "lepton/serving/prediction_log.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/crypto.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::serving {
namespace {

class PredictionLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = (std::filesystem::temp_directory_path() / StrCat("lepton_plog_", ::getpid(), "_", HexEncode(RandomBytes(6)))).string();
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  static Json Entry(const std::string& deployment, int i) {
    return {{"deployment", deployment}, {"version", 1}, {"id", StrCat("r", i)},
            {"rows", {{{"income", i}}}}, {"scores", {0.25}}, {"labels", {"good"}}};
  }
  std::string root_;
};

TEST_F(PredictionLogTest, EntriesBecomeJsonLinesPerDeployment) {
  PredictionLog log(root_, Clock::System());
  for (int i = 0; i < 10; ++i) log.Record(Entry(i % 2 ? "a" : "b", i));
  log.Flush();
  EXPECT_EQ(log.stats().written, 10);
  EXPECT_EQ(log.stats().dropped, 0);
  ASSERT_EQ(log.Files("a").size(), 1u);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string text, ReadFile(log.Files("a")[0]));
  std::vector<std::string_view> lines = Split(StripWhitespace(text), '\n');
  ASSERT_EQ(lines.size(), 5u);
  const Json first = *ParseJson(lines[0]);
  EXPECT_EQ(first["deployment"], "a");
  EXPECT_EQ(first["id"], "r1");
  EXPECT_EQ(first["rows"][0]["income"], 1);
}

TEST_F(PredictionLogTest, AFullQueueDropsInsteadOfBlocking) {
  PredictionLog log(root_, Clock::System(), {.max_queue = 5});
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20000; ++i) log.Record(Entry("a", i));
  // 20 000 records against a 5-entry queue return at once; most are dropped.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  log.Flush();
  const PredictionLogStats st = log.stats();
  EXPECT_EQ(st.written + st.dropped, 20000);
  EXPECT_GT(st.dropped, 0);
}

TEST_F(PredictionLogTest, FilesRotateAndOldOnesAreDeleted) {
  PredictionLog log(root_, Clock::System(), {.max_file_bytes = 400, .max_files = 3});
  for (int i = 0; i < 60; ++i) {
    log.Record(Entry("a", i));
    if (i % 10 == 0) log.Flush();  // several write batches
  }
  log.Flush();
  const std::vector<std::string> files = log.Files("a");
  EXPECT_EQ(files.size(), 3u);
  int64_t lines = 0;
  for (const std::string& f : files) {
    EXPECT_LE(std::filesystem::file_size(f), 400u + 200u);  // one line may start a file
    lines += static_cast<int64_t>(Split(StripWhitespace(*ReadFile(f)), '\n').size());
  }
  EXPECT_LT(lines, 60);  // the oldest went
  EXPECT_EQ(log.stats().written, 60);
}

TEST_F(PredictionLogTest, SamplingFollowsTheRateAndTheRequestId) {
  EXPECT_TRUE(PredictionLog::Sampled(1.0, std::nullopt));
  EXPECT_FALSE(PredictionLog::Sampled(0.0, std::string("x")));
  int sampled = 0;
  for (int i = 0; i < 20000; ++i) sampled += PredictionLog::Sampled(0.1, StrCat("req-", i));
  EXPECT_NEAR(sampled / 20000.0, 0.1, 0.015);
  for (int i = 0; i < 100; ++i) {
    const std::string id = StrCat("req-", i);
    EXPECT_EQ(PredictionLog::Sampled(0.3, id), PredictionLog::Sampled(0.3, id));
  }
}

}  // namespace
}  // namespace lepton::serving
