#include "lepton/lake/lake.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "lepton/base/crypto.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/testing/lake_test_base.h"
#include "lepton/store/testing/test_store.h"

namespace lepton::lake {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

class LakeTest : public testing::LakeTestBase {
 protected:
  std::string Csv(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    EXPECT_OK(WriteFileAtomically(path, text));
    return path;
  }
  int64_t CountRows(const std::string& ns, const std::string& name, VersionSpec spec = {},
                    std::vector<Predicate> predicates = {}) {
    int64_t n = 0;
    auto r = lake_->Scan(ns, name, spec, {.predicates = predicates}, [&](const RecordBatch& b) {
      n += b.num_rows();
      return absl::OkStatus();
    });
    EXPECT_OK(r);
    return n;
  }

};

TEST_P(LakeTest, IngestsTheCreditExampleWithLineage) {
  const std::string path = std::string(LEPTON_SHARED_DATA) + "/credit/german_credit.csv";
  std::vector<Progress> progress;
  LEPTON_ASSERT_OK_AND_ASSIGN(
      IngestResult r,
      lake_->IngestCsv({.ns = "credit", .name = "customers", .path = path, .user = "ada",
                        .progress = [&](const Progress& p) { progress.push_back(p); }}));
  EXPECT_EQ(r.version, 0);
  EXPECT_EQ(r.rows, 1000);
  EXPECT_EQ(r.dataset.row_count, 1000);
  EXPECT_EQ(r.dataset.current_version, 0);
  EXPECT_EQ(r.dataset.schema.field(r.dataset.schema.Find("age")).type, DataType::kInt32);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().bytes_done, progress.back().bytes_total);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string bytes, ReadFile(path));
  EXPECT_EQ(r.sha256, Sha256Hex(bytes));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto lineage, lake_->catalog().Lineage("credit", "customers"));
  ASSERT_EQ(lineage.size(), 1u);
  EXPECT_EQ(lineage[0].detail["source"]["file"], "german_credit.csv");
  EXPECT_EQ(lineage[0].detail["source"]["sha256"], r.sha256);
  EXPECT_EQ(CountRows("credit", "customers", {}, {{"class", CompareOp::kEq, {"bad"}}}), 300);
  EXPECT_EQ(CountRows("credit", "customers", {}, {{"age", CompareOp::kGe, {60}}}), 51);
}

TEST_P(LakeTest, BadRowPolicies) {
  const std::string path = Csv("people.csv", "id,age\n1,30\n2,abc\n3,40\n4,\n");
  // Types come from the first row only, so that "abc" is a bad value rather than a string.
  ingest::CsvReadOptions fail;
  fail.infer_rows = 1;
  auto failed = lake_->IngestCsv({.ns = "hr", .name = "people", .path = path, .csv = fail});
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kInvalidArgument,
                               "people.csv:3: column \"age\": expected int32, got \"abc\""));
  // Nothing was committed by the failed ingest.
  LEPTON_ASSERT_OK_AND_ASSIGN(Dataset d, lake_->catalog().GetDataset("hr", "people"));
  EXPECT_EQ(d.current_version, -1);
  EXPECT_THAT(lake_->Snapshot("hr", "people", {}), StatusIs(absl::StatusCode::kNotFound));

  ingest::CsvReadOptions skip = fail;
  skip.bad_rows = ingest::BadRowPolicy::kSkip;
  LEPTON_ASSERT_OK_AND_ASSIGN(IngestResult r, lake_->IngestCsv({.ns = "hr", .name = "people", .path = path, .csv = skip}));
  EXPECT_EQ(r.rows, 3);
  EXPECT_EQ(r.bad_rows, 1);
  EXPECT_TRUE(r.quarantine.empty());

  ingest::CsvReadOptions q = fail;
  q.bad_rows = ingest::BadRowPolicy::kQuarantine;
  LEPTON_ASSERT_OK_AND_ASSIGN(r, lake_->IngestCsv({.ns = "hr", .name = "people", .path = path, .csv = q}));
  EXPECT_EQ(r.version, 1);
  EXPECT_EQ(r.quarantine, "hr/people__quarantine");
  std::vector<std::string> reasons;
  ASSERT_OK(lake_->Scan("hr", "people__quarantine", {}, {.columns = {"line", "reason"}},
                        [&](const RecordBatch& b) {
                          for (int64_t i = 0; i < b.num_rows(); ++i) {
                            EXPECT_EQ(b.column(0).ValueAt<int64_t>(i), 3);
                            reasons.emplace_back(b.column(1).StringAt(i));
                          }
                          return absl::OkStatus();
                        }));
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_THAT(reasons[0], HasSubstr("expected int32, got \"abc\""));
}

TEST_P(LakeTest, AppendsOverwritesAndTimeTravel) {
  ASSERT_OK(lake_->IngestCsv({.ns = "s", .name = "t", .path = Csv("a.csv", "x,y\n1,a\n2,b\n")}));
  clock_.Advance(absl::Hours(1));
  const absl::Time between = clock_.Now();
  clock_.Advance(absl::Hours(1));
  ASSERT_OK(lake_->IngestCsv({.ns = "s", .name = "t", .path = Csv("b.csv", "x,y,z\n3,c,true\n")}));
  ASSERT_OK(lake_->IngestCsv({.ns = "s", .name = "t", .path = Csv("c.csv", "x,y\n9,z\n"),
                              .mode = WriteMode::kOverwrite}));
  EXPECT_EQ(CountRows("s", "t"), 1);
  EXPECT_EQ(CountRows("s", "t", {.version = 1}), 3);
  EXPECT_EQ(CountRows("s", "t", {.as_of = between}), 2);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto history, lake_->History("s", "t"));
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[2].operation, "OVERWRITE");
  LEPTON_ASSERT_OK_AND_ASSIGN(Dataset d, lake_->catalog().GetDataset("s", "t"));
  EXPECT_EQ(d.current_version, 2);
  EXPECT_EQ(d.row_count, 1);
  // Appending a string where x is an integer is refused and commits nothing.
  EXPECT_THAT(lake_->IngestCsv({.ns = "s", .name = "t", .path = Csv("d.csv", "x\nhello\n")}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("column 'x'")));
  LEPTON_ASSERT_OK_AND_ASSIGN(d, lake_->catalog().GetDataset("s", "t"));
  EXPECT_EQ(d.current_version, 2);
}

TEST_P(LakeTest, IngestsJsonLinesParquetAndSqlSources) {
  const std::string jsonl = Csv("people.jsonl",
                                "{\"id\": 1, \"name\": \"ada\", \"born\": \"1815-12-10\"}\n"
                                "{\"id\": 2, \"name\": \"alan\"}\n");
  LEPTON_ASSERT_OK_AND_ASSIGN(IngestResult j, lake_->Ingest({.ns = "s", .name = "people",
                                                            .format = SourceFormat::kJsonLines,
                                                            .path = jsonl}));
  EXPECT_EQ(j.rows, 2);
  const Schema& schema = j.dataset.schema;
  EXPECT_EQ(schema.field(schema.Find("born")).type, DataType::kDate);
  // Parquet: the table's own data file read back as a source into another dataset.
  LEPTON_ASSERT_OK_AND_ASSIGN(auto snap, lake_->Snapshot("s", "people", {}));
  LEPTON_ASSERT_OK_AND_ASSIGN(
      IngestResult p, lake_->Ingest({.ns = "s", .name = "copy", .format = SourceFormat::kParquet,
                                     .path = lake_->TableDir("s", "people") + "/" + snap.files[0].path}));
  EXPECT_EQ(p.rows, 2);
  EXPECT_EQ(p.dataset.schema, j.dataset.schema);
  // SQL: a query against an SQLite database.
  const std::string db = dir_ + "/src.db";
  {
    LEPTON_ASSERT_OK_AND_ASSIGN(auto src, store::OpenMetaStore("sqlite:" + db));
    ASSERT_OK(src->Exec("CREATE TABLE loans (id INTEGER, amount REAL)"));
    ASSERT_OK(src->Exec("INSERT INTO loans VALUES (1, 10.5), (2, 20.0), (3, NULL)"));
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(
      IngestResult q, lake_->Ingest({.ns = "s", .name = "loans", .format = SourceFormat::kSql,
                                     .sql_url = "sqlite:" + db,
                                     .sql = "SELECT id, amount FROM loans WHERE id >= 2"}));
  EXPECT_EQ(q.rows, 2);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto lineage, lake_->catalog().Lineage("s", "loans"));
  EXPECT_THAT(lineage[0].detail["source"]["query"].get<std::string>(), HasSubstr("SELECT id, amount"));
  EXPECT_EQ(lineage[0].detail["source"]["format"], "sql");
  EXPECT_THAT(lake_->Ingest({.ns = "s", .name = "bad", .format = SourceFormat::kSql,
                             .sql_url = "sqlite:" + db, .sql = "SELECT nope FROM loans"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(LakeTest, MissingFileAndBadNames) {
  EXPECT_THAT(lake_->IngestCsv({.ns = "s", .name = "t", .path = dir_ + "/nope.csv"}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(lake_->IngestCsv({.ns = "S", .name = "t", .path = Csv("a.csv", "x\n1\n")}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(lake_->IngestCsv({.ns = "s", .name = "t", .path = Csv("a.csv", "x\n1\n"), .create = false}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(LakeTest, DeleteRemovesCatalogEntryAndFiles) {
  ASSERT_OK(lake_->IngestCsv({.ns = "s", .name = "t", .path = Csv("a.csv", "x\n1\n")}));
  ASSERT_TRUE(std::filesystem::exists(lake_->TableDir("s", "t")));
  ASSERT_OK(lake_->DeleteDataset("s", "t"));
  EXPECT_FALSE(std::filesystem::exists(lake_->TableDir("s", "t")));
  EXPECT_THAT(lake_->catalog().GetDataset("s", "t"), StatusIs(absl::StatusCode::kNotFound));
}

INSTANTIATE_TEST_SUITE_P(Stores, LakeTest, ::testing::ValuesIn(store::testing::TestStoreKinds()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace lepton::lake
