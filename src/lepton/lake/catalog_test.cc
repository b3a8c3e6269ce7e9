#include "lepton/lake/catalog.h"

#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/store/testing/test_store.h"

namespace lepton::lake {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

class CatalogTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LEPTON_ASSERT_OK_AND_ASSIGN(store_, store::testing::OpenTestStore(GetParam()));
    catalog_ = std::make_unique<Catalog>(*store_, clock_);
  }
  FakeClock clock_;
  std::unique_ptr<store::MetaStore> store_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_P(CatalogTest, NamespacesAndDatasetsLifecycle) {
  ASSERT_OK(catalog_->CreateNamespace("credit", "credit risk", "ada"));
  EXPECT_THAT(catalog_->CreateNamespace("credit", "", "ada"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Dataset d, catalog_->CreateDataset("credit", "customers", "applicants", {"pii", "gold"},
                                         true, "ada"));
  EXPECT_EQ(d.full_name(), "credit/customers");
  EXPECT_EQ(d.current_version, -1);
  EXPECT_THAT(catalog_->CreateDataset("credit", "customers", "", {}, false, "ada"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(catalog_->CreateDataset("fraud", "x", "", {}, false, "ada"),
              StatusIs(absl::StatusCode::kNotFound));
  LEPTON_ASSERT_OK_AND_ASSIGN(Dataset got, catalog_->GetDataset("credit", "customers"));
  EXPECT_EQ(got.tags, (std::vector<std::string>{"pii", "gold"}));
  EXPECT_TRUE(got.sensitive);
  EXPECT_THAT(catalog_->DeleteNamespace("credit"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("1 datasets")));
  ASSERT_OK(catalog_->DeleteDataset("credit", "customers"));
  ASSERT_OK(catalog_->DeleteNamespace("credit"));
  EXPECT_THAT(catalog_->GetNamespace("credit"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(CatalogTest, NamesAreValidated) {
  for (const char* bad : {"", "Credit", "1abc", "a-b", "a/b", "ä"}) {
    EXPECT_THAT(catalog_->CreateNamespace(bad, "", "x"), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(ParseDatasetName("credit"), StatusIs(absl::StatusCode::kInvalidArgument));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto parts, ParseDatasetName("credit/customers_v2"));
  EXPECT_EQ(parts.second, "customers_v2");
}

TEST_P(CatalogTest, RecordVersionMovesForwardAndKeepsLineage) {
  ASSERT_OK(catalog_->CreateNamespace("credit", "", "ada"));
  LEPTON_ASSERT_OK_AND_ASSIGN(Dataset d, catalog_->CreateDataset("credit", "c", "", {}, false, "ada"));
  Schema s({{"id", DataType::kInt64}});
  ASSERT_OK(catalog_->RecordVersion(d, 0, 10, 1000, s, "ingest",
                                    {{"source", {{"file", "c.csv"}, {"sha256", "ab"}}}}, "ada"));
  ASSERT_OK(catalog_->RecordVersion(d, 2, 30, 3000, s, "ingest", Json::object(), "ada"));
  ASSERT_OK(catalog_->RecordVersion(d, 1, 20, 2000, s, "ingest", Json::object(), "bob"));  // late
  LEPTON_ASSERT_OK_AND_ASSIGN(Dataset got, catalog_->GetDataset("credit", "c"));
  EXPECT_EQ(got.current_version, 2);
  EXPECT_EQ(got.row_count, 30);
  EXPECT_EQ(got.schema, s);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto lineage, catalog_->Lineage("credit", "c"));
  ASSERT_EQ(lineage.size(), 3u);
  EXPECT_EQ(lineage[0].detail["source"]["file"], "c.csv");
  EXPECT_EQ(lineage[1].version, 1);
  EXPECT_EQ(lineage[1].created_by, "bob");
}

TEST_P(CatalogTest, UpdateChangesOnlyGivenFields) {
  ASSERT_OK(catalog_->CreateNamespace("credit", "", "ada"));
  ASSERT_OK(catalog_->CreateDataset("credit", "c", "old", {"a"}, false, "ada"));
  LEPTON_ASSERT_OK_AND_ASSIGN(Dataset d,
                              catalog_->UpdateDataset("credit", "c", {.sensitive = true}));
  EXPECT_EQ(d.description, "old");
  EXPECT_TRUE(d.sensitive);
  EXPECT_EQ(d.tags, (std::vector<std::string>{"a"}));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto all, catalog_->ListDatasets(""));
  EXPECT_EQ(all.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Stores, CatalogTest, ::testing::ValuesIn(store::testing::TestStoreKinds()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace lepton::lake
