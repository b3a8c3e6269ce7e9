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

TEST_F(PredictionLogTest, RecentReadsTheNewestEntriesBackwardsAcrossBlocksAndFiles) {
  // ~1.2 KB lines: 3000 of them span several 1 MiB read blocks and, at 2 MiB per file, two files.
  PredictionLog log(root_, Clock::System(), {.max_file_bytes = 2 << 20});
  const std::string pad(1100, 'x');
  for (int i = 0; i < 3000; ++i) {
    log.Record({{"deployment", "a"}, {"version", i % 3 == 0 ? 2 : 1}, {"id", StrCat("r", i)}, {"pad", pad}});
  }
  log.Flush();
  ASSERT_GE(log.Files("a").size(), 2u);
  const std::vector<Json> newest = log.Recent("a", 0, 2500);
  ASSERT_EQ(newest.size(), 2500u);
  for (size_t k = 0; k < newest.size(); ++k) EXPECT_EQ(newest[k]["id"], StrCat("r", 2999 - static_cast<int>(k))) << k;
  const std::vector<Json> all = log.Recent("a", 0, 100000);
  EXPECT_EQ(all.size(), 3000u);
  EXPECT_EQ(all.back()["id"], "r0");  // the first line of the oldest file
  const std::vector<Json> v2 = log.Recent("a", 2, 5);
  ASSERT_EQ(v2.size(), 5u);
  EXPECT_EQ(v2[0]["id"], "r2997");  // i % 3 == 0 went to version 2
  EXPECT_EQ(v2[1]["id"], "r2994");
  // One at a time, the same entries in the same order, and the count of those handed over.
  std::vector<std::string> ids;
  EXPECT_EQ(log.ForEachRecent("a", 2, 5, [&](Json&& e) { ids.push_back(e["id"].get<std::string>()); }), 5u);
  EXPECT_EQ(ids, (std::vector<std::string>{"r2997", "r2994", "r2991", "r2988", "r2985"}));
  EXPECT_EQ(log.ForEachRecent("b", 0, 5, [](Json&&) { ADD_FAILURE() << "no such deployment"; }), 0u);
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
