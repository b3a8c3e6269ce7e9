#pragma once
// Test-only: the fixture of the tests that need a whole `Lake` — a fresh folder, a metadata
// store of the kind the test is parametrized with (store::testing::TestStoreKinds(): SQLite,
// and PostgreSQL when tools/with-postgres.sh provides one), and a FakeClock. The folder is
// removed after each test.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "lepton/base/clock.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/lake.h"
#include "lepton/store/testing/test_store.h"

namespace lepton::lake::testing {

class LakeTestBase : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    static std::atomic<int> next{0};
    dir_ = (std::filesystem::temp_directory_path() /
            StrCat("lepton_lake_test_", ::getpid(), "_", next++))
               .string();
    std::filesystem::remove_all(dir_);
    ASSERT_OK(MakeDirs(dir_));
    LEPTON_ASSERT_OK_AND_ASSIGN(store_, store::testing::OpenTestStore(GetParam()));
    lake_ = std::make_unique<Lake>(dir_ + "/lake", *store_, clock_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  FakeClock clock_;
  std::string dir_;
  std::unique_ptr<store::MetaStore> store_;
  std::unique_ptr<Lake> lake_;
};

}  // namespace lepton::lake::testing
