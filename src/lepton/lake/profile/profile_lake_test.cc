// `Lake::Profile` over real tables, on every metadata store backend.

#include <filesystem>
#include <memory>
#include <string>

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

class LakeProfileTest : public testing::LakeTestBase {
 protected:
  absl::StatusOr<IngestResult> IngestCredit() {
    return lake_->IngestCsv({.ns = "credit",
                             .name = "customers",
                             .path = std::string(LEPTON_SHARED_DATA) + "/credit/german_credit.csv",
                             .user = "ada"});
  }

};

TEST_P(LakeProfileTest, ProfilesTheLatestVersion) {
  ASSERT_OK(IngestCredit());
  LEPTON_ASSERT_OK_AND_ASSIGN(profile::Profile p, lake_->Profile("credit", "customers", {}));
  EXPECT_EQ(p.rows, 1000);
  EXPECT_EQ(p.duplicate_rows, 0);
  ASSERT_EQ(p.columns.size(), 21u);
  const profile::ColumnProfile* cls = p.Find("class");
  ASSERT_NE(cls, nullptr);
  ASSERT_FALSE(cls->top_values.empty());
  EXPECT_EQ(cls->top_values[0].value, profile::Scalar(std::string("good")));
  EXPECT_EQ(cls->top_values[0].count, 700);
  const profile::ColumnProfile* age = p.Find("age");
  ASSERT_NE(age, nullptr);
  EXPECT_EQ(age->min, profile::Scalar(int64_t{19}));
  EXPECT_EQ(age->max, profile::Scalar(int64_t{75}));
  EXPECT_EQ(age->null_count, 0);
}

TEST_P(LakeProfileTest, ProfilesEachVersion) {
  ASSERT_OK(IngestCredit());
  ASSERT_OK(IngestCredit());  // appends the same rows again
  LEPTON_ASSERT_OK_AND_ASSIGN(profile::Profile v0,
                              lake_->Profile("credit", "customers", {.version = 0}));
  EXPECT_EQ(v0.rows, 1000);
  EXPECT_FALSE(v0.HasAlert("", profile::AlertKind::kDuplicateRows));
  LEPTON_ASSERT_OK_AND_ASSIGN(profile::Profile v1, lake_->Profile("credit", "customers", {}));
  EXPECT_EQ(v0.version, 0);
  EXPECT_EQ(v1.version, 1);
  EXPECT_EQ(profile::ProfileToJson(v1)["version"], 1);
  EXPECT_EQ(v1.rows, 2000);
  EXPECT_EQ(v1.duplicate_rows, 1000);
  EXPECT_TRUE(v1.HasAlert("", profile::AlertKind::kDuplicateRows));
  EXPECT_EQ(v1.Find("class")->top_values[0].count, 1400);
}

TEST_P(LakeProfileTest, Errors) {
  EXPECT_THAT(lake_->Profile("credit", "nope", {}), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(IngestCredit());
  EXPECT_THAT(lake_->Profile("credit", "customers", {.version = 7}),
              StatusIs(absl::StatusCode::kNotFound));
  profile::ProfileOptions bad;
  bad.histogram_bins = 0;
  EXPECT_THAT(lake_->Profile("credit", "customers", {}, bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(Stores, LakeProfileTest,
                         ::testing::ValuesIn(store::testing::TestStoreKinds()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace lepton::lake
