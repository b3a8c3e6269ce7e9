#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/lake.h"
#include "lepton/lake/testing/lake_test_base.h"
#include "lepton/store/testing/test_store.h"

namespace lepton::lake {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

class LakeCleanTest : public testing::LakeTestBase {
 protected:
  void Ingest(const std::string& text) {
    const std::string path = dir_ + "/loans.csv";
    ASSERT_OK(WriteFileAtomically(path, text));
    ASSERT_OK(lake_->IngestCsv({.ns = "credit", .name = "loans", .path = path, .user = "ada"}));
  }

  // Column `column` of `name` at `spec` as JSON values, in scan order.
  Json Values(const std::string& name, const std::string& column, VersionSpec spec = {}) {
    Json out = Json::array();
    EXPECT_OK(lake_->Scan("credit", name, spec, {.columns = {column}}, [&](const RecordBatch& b) {
      for (int64_t i = 0; i < b.num_rows(); ++i) out.push_back(clean::ValueToJson(b.column(0), i));
      return absl::OkStatus();
    }));
    return out;
  }

};

constexpr char kLoans[] =
    "id,age,income,purpose\n"
    "1,34,52000,Car\n"
    "2,17,61000,car \n"
    "3,51,,education\n"
    "3,51,,education\n"
    "4,130,38000,radio/TV\n"
    "5,45,47000, Business\n";

constexpr char kPlan[] = R"(
rules:
  - dedup: {}
  - missing: {columns: [income], strategy: median, indicator: true}
  - strings: {columns: [purpose], trim: true, case: lower}
  - constraint: {column: age, range: [18, 120], action: quarantine}
)";

TEST_P(LakeCleanTest, WritesANewVersionWithLineageAndQuarantine) {
  Ingest(kLoans);
  LEPTON_ASSERT_OK_AND_ASSIGN(clean::CleanResult r, lake_->Clean("credit", "loans", kPlan, "bob"));
  EXPECT_EQ(r.input_version, 0);
  EXPECT_EQ(r.version, 1);
  EXPECT_EQ(r.rows_in, 6);
  EXPECT_EQ(r.rows_out, 3);
  EXPECT_EQ(r.rows_quarantined, 2);
  EXPECT_EQ(r.quarantine, "credit/loans__quarantine");
  ASSERT_EQ(r.report.size(), 4u);
  EXPECT_EQ(r.report[0].rows_removed, 1);

  EXPECT_EQ(Values("loans", "id"), Json::parse("[1, 3, 5]"));
  EXPECT_EQ(Values("loans", "purpose"), Json::parse(R"(["car", "education", "business"])"));
  EXPECT_EQ(Values("loans", "income_missing"), Json::parse("[false, true, false]"));
  // The input version is still there for time travel.
  EXPECT_EQ(Values("loans", "id", {.version = 0}).size(), 6u);

  LEPTON_ASSERT_OK_AND_ASSIGN(Dataset d, lake_->catalog().GetDataset("credit", "loans"));
  EXPECT_EQ(d.current_version, 1);
  EXPECT_EQ(d.row_count, 3);
  EXPECT_GE(d.schema.Find("income_missing"), 0);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto lineage, lake_->catalog().Lineage("credit", "loans"));
  ASSERT_EQ(lineage.size(), 2u);
  EXPECT_EQ(lineage[1].kind, "clean");
  EXPECT_EQ(lineage[1].version, 1);
  EXPECT_EQ(lineage[1].created_by, "bob");
  EXPECT_EQ(lineage[1].detail["input_version"], 0);
  EXPECT_EQ(lineage[1].detail["rules"]["rules"][1]["missing"]["strategy"], "median");
  EXPECT_EQ(lineage[1].detail["report"][3]["rows_quarantined"], 2);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto history, lake_->History("credit", "loans"));
  EXPECT_EQ(history.back().operation, "CLEAN");

  EXPECT_EQ(Values("loans__quarantine", "line"), Json::parse("[2, 5]"));
  const Json reasons = Values("loans__quarantine", "reason");
  EXPECT_THAT(reasons[0].get<std::string>(), HasSubstr("age=17 outside [18, 120]"));
  const Json raw = Json::parse(Values("loans__quarantine", "raw")[1].get<std::string>());
  EXPECT_EQ(raw["id"], 4);
  EXPECT_EQ(Values("loans__quarantine", "ingest_version"), Json::parse("[1, 1]"));
}

TEST_P(LakeCleanTest, BadPlansWriteNothing) {
  Ingest(kLoans);
  EXPECT_THAT(lake_->Clean("credit", "loans", "rules: [{scrub: {}}]", "bob"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown rule kind 'scrub'")));
  EXPECT_THAT(lake_->Clean("credit", "loans",
                           "rules: [{missing: {columns: [salary], strategy: mean}}]", "bob"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rules[0].missing.columns[0]: unknown column 'salary'")));
  LEPTON_ASSERT_OK_AND_ASSIGN(Dataset d, lake_->catalog().GetDataset("credit", "loans"));
  EXPECT_EQ(d.current_version, 0);
  EXPECT_THAT(lake_->Clean("credit", "nope", kPlan, "bob"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(LakeCleanTest, CleaningEverythingAwayLeavesAnEmptyVersion) {
  Ingest(kLoans);
  LEPTON_ASSERT_OK_AND_ASSIGN(
      clean::CleanResult r,
      lake_->Clean("credit", "loans", R"({"rules": [{"constraint": {"column": "age", "range": [200, null]}}]})",
                   "bob"));
  EXPECT_EQ(r.rows_out, 0);
  EXPECT_TRUE(r.quarantine.empty());
  EXPECT_TRUE(Values("loans", "id").empty());
  LEPTON_ASSERT_OK_AND_ASSIGN(Dataset d, lake_->catalog().GetDataset("credit", "loans"));
  EXPECT_EQ(d.current_version, 1);
  EXPECT_EQ(d.row_count, 0);
}

INSTANTIATE_TEST_SUITE_P(Stores, LakeCleanTest,
                         ::testing::ValuesIn(store::testing::TestStoreKinds()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace lepton::lake
