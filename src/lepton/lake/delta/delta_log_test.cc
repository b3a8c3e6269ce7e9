#include "lepton/lake/delta/delta_log.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "gtest/gtest.h"
#include "lepton/base/files.h"
#include "lepton/base/logging.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/parquet/nested_reader.h"

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

// Field-by-field equality of two snapshots (everything but how they were replayed).
void ExpectSameSnapshot(const Snapshot& a, const Snapshot& b) {
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.timestamp_ms, b.timestamp_ms);
  EXPECT_EQ(a.metadata.id, b.metadata.id);
  EXPECT_EQ(a.metadata.name, b.metadata.name);
  EXPECT_EQ(a.metadata.description, b.metadata.description);
  EXPECT_EQ(a.metadata.schema, b.metadata.schema);
  EXPECT_EQ(a.metadata.configuration, b.metadata.configuration);
  EXPECT_EQ(a.metadata.created_time_ms, b.metadata.created_time_ms);
  ASSERT_EQ(a.files.size(), b.files.size()) << "version " << a.version;
  for (size_t i = 0; i < a.files.size(); ++i) {
    EXPECT_EQ(a.files[i].path, b.files[i].path);
    EXPECT_EQ(a.files[i].size_bytes, b.files[i].size_bytes);
    EXPECT_EQ(a.files[i].modification_time_ms, b.files[i].modification_time_ms);
    EXPECT_EQ(a.files[i].data_change, b.files[i].data_change);
    EXPECT_EQ(a.files[i].num_records, b.files[i].num_records);
    EXPECT_EQ(a.files[i].stats, b.files[i].stats);
  }
  EXPECT_EQ(a.num_records, b.num_records);
  EXPECT_EQ(a.size_bytes, b.size_bytes);
  ASSERT_EQ(a.tombstones.size(), b.tombstones.size()) << "version " << a.version;
  for (size_t i = 0; i < a.tombstones.size(); ++i) {
    EXPECT_EQ(a.tombstones[i].path, b.tombstones[i].path);
    EXPECT_EQ(a.tombstones[i].deletion_timestamp_ms, b.tombstones[i].deletion_timestamp_ms);
    EXPECT_EQ(a.tombstones[i].data_change, b.tombstones[i].data_change);
  }
}

class DeltaCheckpointTest : public DeltaLogTest {
 protected:
  // Version 0 creates the table; versions 1..25 append one file each, except version 7, which
  // removes two files (tombstones), and version 13, which changes the metadata.
  void Build25() {
    Create();
    for (int64_t v = 1; v <= 25; ++v) {
      clock_.Advance(absl::Seconds(30));
      if (v == 7) {
        ASSERT_OK(log_->CommitVersion(
            v, {.operation = "DELETE", .remove = {"f1.parquet", "f3.parquet"}}));
      } else if (v == 13) {
        TableMetadata m = Meta();
        m.description = "now with a description";
        m.configuration["owner"] = "ops";
        ASSERT_OK(log_->CommitVersion(v, {.operation = "SET TBLPROPERTIES",
                                          .metadata = m,
                                          .add = {File(StrCat("f", v, ".parquet"), v)}}));
      } else {
        ASSERT_OK(
            log_->Append({.operation = "WRITE", .add = {File(StrCat("f", v, ".parquet"), v)}}));
      }
    }
  }
  // The same table read without checkpoints: the pure JSON replay.
  DeltaLog JsonOnly() { return DeltaLog(dir_, clock_, {.read_checkpoints = false}); }
};

TEST_F(DeltaCheckpointTest, EveryTenCommitsAndSnapshotsMatchJsonReplay) {
  Build25();
  EXPECT_TRUE(PathExists(log_->CheckpointPath(10)));
  EXPECT_TRUE(PathExists(log_->CheckpointPath(20)));
  for (int64_t v : {0, 1, 5, 9, 11, 19, 21, 25}) {
    EXPECT_FALSE(PathExists(log_->CheckpointPath(v))) << v;
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string last, ReadFile(dir_ + "/_delta_log/_last_checkpoint"));
  LEPTON_ASSERT_OK_AND_ASSIGN(Json j, ParseJson(last));
  EXPECT_EQ(j["version"], 20);
  // protocol + metaData + 17 live files (f2, f4..f6, f8..f20; f1, f3 removed) + 2 tombstones.
  EXPECT_EQ(j["numOfAddFiles"], 17);
  EXPECT_EQ(j["size"], 1 + 1 + 17 + 2);
  EXPECT_EQ(j["sizeInBytes"].get<int64_t>(),
            static_cast<int64_t>(std::filesystem::file_size(log_->CheckpointPath(20))));

  DeltaLog json_only = JsonOnly();
  for (int64_t v = 0; v <= 25; ++v) {
    LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot with, log_->SnapshotAt(v));
    LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot without, json_only.SnapshotAt(v));
    EXPECT_EQ(with.checkpoint_version, v >= 20 ? 20 : v >= 10 ? 10 : -1) << v;
    EXPECT_EQ(without.checkpoint_version, -1);
    ExpectSameSnapshot(with, without);
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot s, log_->SnapshotAt());
  EXPECT_EQ(s.metadata.description, "now with a description");
  ASSERT_EQ(s.tombstones.size(), 2u);
  EXPECT_EQ(s.tombstones[0].path, "f1.parquet");
  EXPECT_GT(s.tombstones[0].deletion_timestamp_ms, 0);
}

TEST_F(DeltaCheckpointTest, CheckpointRowsFollowTheDeltaSchema) {
  Build25();
  LEPTON_ASSERT_OK_AND_ASSIGN(auto reader, parquet::NestedReader::Open(log_->CheckpointPath(10)));
  std::vector<std::string> columns;
  for (const parquet::SchemaNode& f : reader->fields()) columns.push_back(f.name);
  EXPECT_EQ(columns, (std::vector<std::string>{"txn", "add", "remove", "metaData", "protocol"}));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> rows, reader->ReadAll());
  int adds = 0, removes = 0;
  for (const Json& row : rows) {
    int non_null = 0;
    for (const auto& [key, value] : row.items()) non_null += value.is_null() ? 0 : 1;
    EXPECT_EQ(non_null, 1) << row.dump();
    if (!row["protocol"].is_null()) {
      EXPECT_EQ(row["protocol"], Json::parse(R"({"minReaderVersion":1,"minWriterVersion":2})"));
    }
    if (!row["metaData"].is_null()) {
      EXPECT_EQ(row["metaData"]["format"], Json::parse(R"({"provider":"parquet","options":{}})"));
      EXPECT_EQ(row["metaData"]["partitionColumns"], Json::array());
      EXPECT_EQ(row["metaData"]["schemaString"], SchemaToDeltaString(Meta().schema));
    }
    if (!row["add"].is_null()) {
      ++adds;
      EXPECT_EQ(row["add"]["partitionValues"], Json::object());
      EXPECT_TRUE(row["add"]["stats"].is_string());
      EXPECT_TRUE(row["add"]["tags"].is_null());
    }
    if (!row["remove"].is_null()) {
      ++removes;
      EXPECT_TRUE(row["remove"]["deletionTimestamp"].is_number_integer());
    }
  }
  EXPECT_EQ(adds, 7);  // f2, f4, f5, f6, f8, f9, f10
  EXPECT_EQ(removes, 2);
}

// Replay of the latest version reads only the checkpoint and the commits after it: with commits
// 0..20 gone it still gives the same snapshot, while versions that need them fail clearly.
TEST_F(DeltaCheckpointTest, ReplayReadsOnlyCommitsAfterTheCheckpoint) {
  Build25();
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot expected, log_->SnapshotAt());
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot expected20, log_->SnapshotAt(20));
  for (int64_t v = 0; v <= 20; ++v) std::filesystem::remove(log_->CommitPath(v));
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot s, log_->SnapshotAt());
  EXPECT_EQ(s.checkpoint_version, 20);
  ExpectSameSnapshot(s, expected);
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot s20, log_->SnapshotAt(20));
  ExpectSameSnapshot(s20, expected20);
  EXPECT_THAT(log_->SnapshotAt(5),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("commit 0 is missing")));
  EXPECT_THAT(log_->SnapshotAt(15),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("commit 11 is missing")));
  // The table stays writable.
  LEPTON_ASSERT_OK_AND_ASSIGN(CommitInfo c, log_->Append({.add = {File("g.parquet", 1)}}));
  EXPECT_EQ(c.version, 26);
}

TEST_F(DeltaCheckpointTest, CorruptOrMissingCheckpointsFallBack) {
  Build25();
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot expected, JsonOnly().SnapshotAt());
  // `_last_checkpoint` naming a checkpoint that does not exist is ignored.
  ASSERT_OK(WriteFileAtomically(dir_ + "/_delta_log/_last_checkpoint",
                                R"({"version":24,"size":3,"sizeInBytes":100})"));
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot s, log_->SnapshotAt());
  EXPECT_EQ(s.checkpoint_version, 20);
  ExpectSameSnapshot(s, expected);
  // A truncated checkpoint 20: replay starts from 10.
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string c20, ReadFile(log_->CheckpointPath(20)));
  ASSERT_OK(WriteFileAtomically(log_->CheckpointPath(20), c20.substr(0, c20.size() / 2)));
  LEPTON_ASSERT_OK_AND_ASSIGN(s, log_->SnapshotAt());
  EXPECT_EQ(s.checkpoint_version, 10);
  ExpectSameSnapshot(s, expected);
  // Not Parquet at all, and empty.
  ASSERT_OK(WriteFileAtomically(log_->CheckpointPath(20), "{\"add\":{}}"));
  ASSERT_OK(WriteFileAtomically(log_->CheckpointPath(10), ""));
  LEPTON_ASSERT_OK_AND_ASSIGN(s, log_->SnapshotAt());
  EXPECT_EQ(s.checkpoint_version, -1);
  ExpectSameSnapshot(s, expected);
  // Rewriting the checkpoint repairs it.
  ASSERT_OK(log_->WriteCheckpoint(20));
  LEPTON_ASSERT_OK_AND_ASSIGN(s, log_->SnapshotAt());
  EXPECT_EQ(s.checkpoint_version, 20);
  ExpectSameSnapshot(s, expected);
}

// Any single corrupted byte of a checkpoint (pages, footer, digest) is either harmless or
// detected; replay never returns a wrong snapshot.
TEST_F(DeltaCheckpointTest, CorruptedBytesNeverGiveAWrongSnapshot) {
  Build25();
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot expected, JsonOnly().SnapshotAt());
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::string good, ReadFile(log_->CheckpointPath(20)));
  SetLogLevel(LogLevel::kError);  // one warning per corrupted file otherwise
  int detected = 0;
  for (size_t i = 0; i < good.size(); i += 5) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ (1 << (i % 8)));
    ASSERT_OK(WriteFileAtomically(log_->CheckpointPath(20), bad));
    LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot s, log_->SnapshotAt());
    ExpectSameSnapshot(s, expected);
    if (s.checkpoint_version != 20) ++detected;
  }
  SetLogLevel(LogLevel::kInfo);
  EXPECT_GT(detected, static_cast<int>(good.size() / 5 / 2));
}

TEST_F(DeltaCheckpointTest, CheckpointFailureDoesNotFailTheCommit) {
  Create();
  // A folder where checkpoint 10 should go makes its rename fail.
  ASSERT_OK(MakeDirs(log_->CheckpointPath(10)));
  for (int i = 1; i <= 11; ++i) ASSERT_OK(log_->Append({.add = {File(StrCat("f", i), 1)}}));
  EXPECT_FALSE(PathExists(dir_ + "/_delta_log/_last_checkpoint"));
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot s, log_->SnapshotAt());
  EXPECT_EQ(s.version, 11);
  EXPECT_EQ(s.files.size(), 11u);
  EXPECT_EQ(s.checkpoint_version, -1);
}

TEST_F(DeltaCheckpointTest, IntervalComesFromOptionsOrTableProperty) {
  DeltaLog never(dir_, clock_, {.checkpoint_interval = 0});
  ASSERT_OK(never.CommitVersion(0, {.metadata = Meta()}));
  for (int i = 1; i <= 10; ++i) ASSERT_OK(never.Append({.add = {File(StrCat("f", i), 1)}}));
  EXPECT_FALSE(PathExists(never.CheckpointPath(10)));
  TableMetadata m = Meta();
  m.configuration["delta.checkpointInterval"] = "3";
  ASSERT_OK(never.CommitVersion(11, {.metadata = m}));
  ASSERT_OK(never.Append({.add = {File("g", 1)}}));
  EXPECT_TRUE(PathExists(never.CheckpointPath(12)));
  EXPECT_FALSE(PathExists(never.CheckpointPath(11)));
}

TEST_F(DeltaCheckpointTest, ExpiredTombstonesAreDropped) {
  DeltaLog log(dir_, clock_, {.checkpoint_interval = 3, .tombstone_retention = absl::Hours(1)});
  ASSERT_OK(log.CommitVersion(0, {.metadata = Meta()}));
  ASSERT_OK(log.Append({.add = {File("a", 1), File("b", 1)}}));
  ASSERT_OK(log.CommitVersion(2, {.remove = {"a"}}));
  clock_.Advance(absl::Minutes(30));
  ASSERT_OK(log.Append({.add = {File("c", 1)}}));  // checkpoint 3 keeps the tombstone of a
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot s, log.SnapshotAt());
  ASSERT_EQ(s.tombstones.size(), 1u);
  clock_.Advance(absl::Hours(2));
  ASSERT_OK(log.Append({.add = {File("d", 1)}}));
  LEPTON_ASSERT_OK_AND_ASSIGN(s, log.SnapshotAt());
  EXPECT_TRUE(s.tombstones.empty());
  DeltaLog json_only(dir_, clock_,
                     {.read_checkpoints = false, .tombstone_retention = absl::Hours(1)});
  for (int64_t v = 0; v <= 4; ++v) {
    LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot with, log.SnapshotAt(v));
    LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot without, json_only.SnapshotAt(v));
    ExpectSameSnapshot(with, without);
  }
}

// Processes rewriting the same checkpoint while others read it: readers always get the right
// snapshot and the checkpoint stays valid.
TEST_F(DeltaCheckpointTest, ConcurrentCheckpointWritersAreHarmless) {
  Build25();
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot expected, JsonOnly().SnapshotAt());
  std::vector<pid_t> children;
  for (int p = 0; p < 3; ++p) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      DeltaLog mine(dir_, Clock::System());
      for (int i = 0; i < 10; ++i) {
        if (!mine.WriteCheckpoint(20).ok()) _exit(1);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  for (int i = 0; i < 20; ++i) {
    LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot s, log_->SnapshotAt());
    EXPECT_EQ(s.checkpoint_version, 20);
    ExpectSameSnapshot(s, expected);
  }
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot s, log_->SnapshotAt());
  EXPECT_EQ(s.checkpoint_version, 20);
  ExpectSameSnapshot(s, expected);
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/_delta_log")) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  }
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
  // Checkpoints were written across the race (by whichever process won each tenth version) and
  // agree with the pure JSON replay at every version.
  EXPECT_EQ(s.checkpoint_version, kProcs * kAppends);
  DeltaLog json_only(dir_, clock_, {.read_checkpoints = false});
  for (int64_t v = 0; v <= kProcs * kAppends; ++v) {
    LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot with, log_->SnapshotAt(v));
    LEPTON_ASSERT_OK_AND_ASSIGN(Snapshot without, json_only.SnapshotAt(v));
    EXPECT_EQ(with.checkpoint_version, v / 10 * 10 == 0 ? -1 : v / 10 * 10);
    ExpectSameSnapshot(with, without);
  }
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
