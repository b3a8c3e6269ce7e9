#include "lepton/lake/data_lake.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

class DataLakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = (std::filesystem::temp_directory_path() / StrCat("lepton_datalake_", ::getpid())).string();
    std::filesystem::remove_all(home_);
    ASSERT_OK(MakeDirs(home_));
    // Populate the home the way `lepton lake ingest --home` does.
    LEPTON_ASSERT_OK_AND_ASSIGN(auto store, store::OpenMetaStore("sqlite:" + home_ + "/meta.db"));
    lake::Lake l(home_ + "/lake", *store, Clock::System());
    ASSERT_OK(l.IngestCsv({.ns = "credit", .name = "german_credit",
                           .path = std::string(LEPTON_SHARED_DATA) + "/credit/german_credit.csv"}));
  }
  void TearDown() override { std::filesystem::remove_all(home_); }
  std::string Config(const std::string& datasets) {
    const std::string path = home_ + "/data_lake_config.json";
    EXPECT_OK(WriteFileAtomically(path, StrCat(R"({"home": ")", home_, R"(", "datasets": )", datasets, "}")));
    return path;
  }
  std::string home_;
};

TEST_F(DataLakeTest, SeedProgrammingModel) {
  DataLake lake(Config(R"({"customer_data": {"dataset": "credit/german_credit",
      "columns": ["age", "class"], "where": [{"column": "age", "op": ">=", "value": 70}]}})"));
  ASSERT_OK(lake.status());
  LEPTON_ASSERT_OK_AND_ASSIGN(Frame df, lake.get_data("customer_data"));
  EXPECT_EQ(df.num_rows(), 7);
  ASSERT_EQ(df.num_columns(), 2u);
  EXPECT_EQ(df.schema().field(1).name, "class");
  LEPTON_ASSERT_OK_AND_ASSIGN(Frame all, lake.get_data("credit/german_credit"));
  EXPECT_EQ(all.num_rows(), 1000);
  EXPECT_EQ(all.num_columns(), 21u);
}

TEST_F(DataLakeTest, ErrorsAreValues) {
  DataLake bad(home_ + "/missing.json");
  EXPECT_THAT(bad.get_data("x"), StatusIs(absl::StatusCode::kNotFound));
  DataLake typo(Config(R"({"c": {"datset": "credit/german_credit"}})"));
  EXPECT_THAT(typo.status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("datasets.c.dataset: required field is missing")));
  DataLake ok(Config(R"({"c": {"dataset": "credit/german_credit", "columns": ["nope"]}})"));
  EXPECT_THAT(ok.get_data("c"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown column 'nope'")));
  EXPECT_THAT(ok.get_data("unknown"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ok.get_data("credit/none"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(DataLakeTest, EmptyResultKeepsSchema) {
  DataLake lake(Config(R"({"old": {"dataset": "credit/german_credit", "columns": ["age"],
      "where": [{"column": "age", "op": ">", "value": 200}]}})"));
  LEPTON_ASSERT_OK_AND_ASSIGN(Frame df, lake.get_data("old"));
  EXPECT_EQ(df.num_rows(), 0);
  EXPECT_EQ(df.schema().field(0).name, "age");
}

}  // namespace
}  // namespace lepton
