#include "lepton/lake/delta/delta_log.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "gtest/gtest.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::lake::delta {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

class DeltaLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            StrCat("lepton_delta_", ::getpid(), "_",
                   ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    log_ = std::make_unique<DeltaLog>(dir_, clock_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static TableMetadata Meta() {
    TableMetadata m;
    m.name = "customers";
    m.schema = Schema({{"id", DataType::kInt64, false}, {"name", DataType::kString, true}});
    return m;
  }
  static AddFile File(const std::string& path, int64_t rows) {
    AddFile f;
    f.path = path;
    f.size_bytes = 100 * rows;
    f.num_records = rows;
    f.stats = {{"numRecords", rows}, {"minValues", {{"id", 1}}}, {"maxValues", {{"id", rows}}},
               {"nullCount", {{"id", 0}, {"name", 0}}}};
    return f;
  }
  void Create() {
    ASSERT_OK(log_->CommitVersion(0, {.operation = "CREATE TABLE", .metadata = Meta()}));
  }

  FakeClock clock_;
  std::string dir_;
  std::unique_ptr<DeltaLog> log_;
};

TEST_F(DeltaLogTest, NoTableIsNotFound) {
  EXPECT_THAT(log_->LatestVersion(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(log_->SnapshotAt(), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(DeltaLogTest, CreateWritesProtocolMetadataAndCommitInfo) {
  Create();
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string text, ReadFile(dir_ + "/_delta_log/00000000000000000000.json"));
  std::vector<std::string> kinds;
  for (std::string_view line : Split(text, '\n')) {
    if (line.empty()) continue;
    LEPTON_ASSERT_OK_AND_ASSIGN(Json j, ParseJson(line));
    kinds.push_back(j.begin().key());
    if (j.contains("protocol")) {
      EXPECT_EQ(j["protocol"]["minReaderVersion"], 1);
      EXPECT_EQ(j["protocol"]["minWriterVersion"], 2);
    }
    if (j.contains("metaData")) {
      EXPECT_EQ(j["metaData"]["format"]["provider"], "parquet");
      EXPECT_EQ(j["metaData"]["partitionColumns"], Json::array());
      // schemaString is a JSON document inside a string, in Spark's struct format.
      LEPTON_ASSERT_OK_AND_ASSIGN(Json schema, ParseJson(j["metaData"]["schemaString"].get<std::string>()));
      EXPECT_EQ(schema["type"], "struct");
      EXPECT_EQ(schema["fields"][0]["type"], "long");
      EXPECT_EQ(schema["fields"][0]["nullable"], false);
      EXPECT_EQ(j["metaData"]["id"].get<std::string>().size(), 36u);
    }
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"commitInfo", "protocol", "metaData"}));
}

TEST_F(DeltaLogTest, AppendsAccumulateAndSnapshotsReplay) {
  Create();
  LEPTON_ASSERT_OK_AND_ASSIGN(CommitInfo c1, log_->Append({.operation = "WRITE", .add = {File("a.parquet", 10)}}));
  EXPECT_EQ(c1.version, 1);
  ASSERT_OK(log_->Append({.operation = "WRITE", .add = {File("b.parquet", 5), File("c.parquet", 1)}}));
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot s, log_->SnapshotAt());
  EXPECT_EQ(s.version, 2);
  ASSERT_EQ(s.files.size(), 3u);
  EXPECT_EQ(s.num_records, 16);
  EXPECT_EQ(s.metadata.schema, Meta().schema);
  EXPECT_EQ(s.files[0].stats["maxValues"]["id"], 10);
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot v1, log_->SnapshotAt(1));
  EXPECT_EQ(v1.files.size(), 1u);
  EXPECT_THAT(log_->SnapshotAt(7), StatusIs(absl::StatusCode::kNotFound, HasSubstr("latest is 2")));
}

TEST_F(DeltaLogTest, OverwriteRemovesLiveFiles) {
  Create();
  ASSERT_OK(log_->Append({.add = {File("a.parquet", 10), File("b.parquet", 10)}}));
  ASSERT_OK(log_->CommitVersion(2, {.operation = "OVERWRITE", .add = {File("c.parquet", 3)},
                                    .remove = {"a.parquet", "b.parquet"}}));
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot s, log_->SnapshotAt());
  ASSERT_EQ(s.files.size(), 1u);
  EXPECT_EQ(s.files[0].path, "c.parquet");
  EXPECT_THAT(log_->CommitVersion(3, {.remove = {"a.parquet"}}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not a live file")));
}

TEST_F(DeltaLogTest, AVersionIsWonOnlyOnce) {
  Create();
  ASSERT_OK(log_->CommitVersion(1, {.add = {File("a.parquet", 1)}}));
  EXPECT_THAT(log_->CommitVersion(1, {.add = {File("b.parquet", 1)}}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(log_->CommitVersion(5, {.add = {File("b.parquet", 1)}}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot s, log_->SnapshotAt());
  ASSERT_EQ(s.files.size(), 1u);
  EXPECT_EQ(s.files[0].path, "a.parquet");
}

TEST_F(DeltaLogTest, FirstVersionNeedsMetadata) {
  EXPECT_THAT(log_->CommitVersion(0, {.add = {File("a.parquet", 1)}}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("metadata")));
}

TEST_F(DeltaLogTest, TimeTravelByTimestamp) {
  const absl::Time t0 = clock_.Now();
  Create();
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK(log_->Append({.add = {File("a.parquet", 1)}}));
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK(log_->Append({.add = {File("b.parquet", 1)}}));
  EXPECT_THAT(log_->SnapshotAsOf(t0 - absl::Seconds(1)), StatusIs(absl::StatusCode::kNotFound));
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot s, log_->SnapshotAsOf(t0 + absl::Seconds(90)));
  EXPECT_EQ(s.version, 1);
  LEPTON_ASSERT_OK_AND_ASSIGN(s, log_->SnapshotAsOf(t0 + absl::Hours(1)));
  EXPECT_EQ(s.version, 2);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto history, log_->History());
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].operation, "CREATE TABLE");
}

TEST_F(DeltaLogTest, CommitTimestampsNeverGoBackwards) {
  Create();
  clock_.Advance(absl::Minutes(-10));  // a writer whose clock is behind
  ASSERT_OK(log_->Append({.add = {File("a.parquet", 1)}}));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto history, log_->History());
  EXPECT_GT(history[1].timestamp_ms, history[0].timestamp_ms);
}

TEST_F(DeltaLogTest, LeftoversOfAKilledWriterAreIgnored) {
  Create();
  ASSERT_OK(log_->Append({.add = {File("a.parquet", 1)}}));
  // A writer killed after writing its temporary commit and its data file, before the link:
  ASSERT_OK(WriteFileAtomically(dir_ + "/_delta_log/.tmp-deadbeef.json", "{\"add\":{\"path\":\"x\"}}\n"));
  ASSERT_OK(WriteFileAtomically(dir_ + "/part-orphan.parquet", "PAR1"));
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot s, log_->SnapshotAt());
  EXPECT_EQ(s.version, 1);
  EXPECT_EQ(s.files.size(), 1u);
  ASSERT_OK(log_->Append({.add = {File("b.parquet", 1)}}));
  LEPTON_ASSERT_OK_AND_ASSIGN(s, log_->SnapshotAt());
  EXPECT_EQ(s.version, 2);
}

TEST_F(DeltaLogTest, CorruptCommitIsDataLoss) {
  Create();
  ASSERT_OK(WriteFileAtomically(log_->CommitPath(1), "{not json\n"));
  EXPECT_THAT(log_->SnapshotAt(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr(":1:")));
}

TEST_F(DeltaLogTest, NewerReaderProtocolIsRefused) {
  ASSERT_OK(MakeDirs(dir_ + "/_delta_log"));
  ASSERT_OK(WriteFileAtomically(log_->CommitPath(0),
                                "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7}}\n"));
  EXPECT_THAT(log_->SnapshotAt(), StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("reader version 3")));
}

// Two (here four) processes appending to one table at once lose and duplicate nothing.
TEST_F(DeltaLogTest, ConcurrentProcessesNeverLoseOrDuplicateCommits) {
  Create();
  constexpr int kProcs = 4;
  constexpr int kAppends = 25;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcs; ++p) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      DeltaLog mine(dir_, Clock::System());
      for (int i = 0; i < kAppends; ++i) {
        auto r = mine.Append({.add = {File(StrCat("p", p, "-", i, ".parquet"), 1)}});
        if (!r.ok()) _exit(1);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot s, log_->SnapshotAt());
  EXPECT_EQ(s.version, kProcs * kAppends);
  std::set<std::string> paths;
  for (const AddFile& f : s.files) paths.insert(f.path);
  EXPECT_EQ(paths.size(), static_cast<size_t>(kProcs * kAppends));
  EXPECT_EQ(s.files.size(), paths.size());
}

TEST(DeltaSchemaTest, TypesRoundTrip) {
  Schema s({{"b", DataType::kBool}, {"i", DataType::kInt32}, {"l", DataType::kInt64, false},
            {"f", DataType::kFloat}, {"d", DataType::kDouble}, {"s", DataType::kString},
            {"dt", DataType::kDate}, {"ts", DataType::kTimestamp}});
  LEPTON_ASSERT_OK_AND_ASSIGN(Schema back, SchemaFromDeltaString(SchemaToDeltaString(s)));
  EXPECT_EQ(back, s);
  EXPECT_THAT(SchemaFromDeltaString(
                  R"({"type":"struct","fields":[{"name":"m","type":{"type":"map"},"nullable":true}]})"),
              StatusIs(absl::StatusCode::kUnimplemented));
  EXPECT_THAT(FromDeltaTypeName("decimal(10,2)"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace lepton::lake::delta
