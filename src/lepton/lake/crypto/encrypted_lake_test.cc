// Sensitive datasets through the lake service: encrypted at rest, readable only with the key.

#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/crypto/encrypted_file.h"
#include "lepton/lake/crypto/keys.h"
#include "lepton/lake/lake.h"
#include "lepton/store/testing/test_store.h"

namespace lepton::lake {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kKey[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
constexpr char kOtherKey[] = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";
// Distinctive plaintext that must never reach the disk for a sensitive dataset.
constexpr char kSecretValue[] = "zanzibar-4711";
constexpr char kSecretColumn[] = "diagnosis_xq";

std::shared_ptr<const crypto::MasterKey> Master(const char* hex) {
  auto k = crypto::MasterKey::Parse(hex, "test");
  EXPECT_OK(k);
  return std::make_shared<const crypto::MasterKey>(*k);
}

class EncryptedLakeTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            StrCat("lepton_enc_lake_", ::getpid(), "_", GetParam(), "_",
                   ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    ASSERT_OK(MakeDirs(dir_));
    LEPTON_ASSERT_OK_AND_ASSIGN(store_, store::testing::OpenTestStore(GetParam()));
    lake_ = LakeWith(Master(kKey));
    std::string csv = StrCat("id,", kSecretColumn, ",amount\n");
    for (int i = 0; i < 500; ++i) {
      StrAppend(&csv, i, ",", i == 250 ? kSecretValue : StrCat("note ", i % 7), ",", i * 10, "\n");
    }
    csv_ = dir_ + "/patients.csv";
    ASSERT_OK(WriteFileAtomically(csv_, csv));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Lake> LakeWith(std::shared_ptr<const crypto::MasterKey> key) {
    return std::make_unique<Lake>(dir_ + "/lake", *store_, clock_, std::move(key));
  }
  absl::StatusOr<IngestResult> Ingest(bool sensitive, const std::string& name = "patients") {
    return lake_->IngestCsv({.ns = "health", .name = name, .path = csv_, .sensitive = sensitive});
  }
  // The values of `column` where `predicates` hold, or the scan's error.
  absl::StatusOr<std::vector<std::string>> Strings(Lake& lake, const std::string& column,
                                                   std::vector<Predicate> predicates = {},
                                                   const std::string& name = "patients") {
    std::vector<std::string> out;
    LEPTON_RETURN_IF_ERROR(
        lake.Scan("health", name, {}, {.columns = {column}, .predicates = predicates},
                  [&](const RecordBatch& b) {
                    for (int64_t i = 0; i < b.num_rows(); ++i) {
                      out.emplace_back(b.column(0).StringAt(i));
                    }
                    return absl::OkStatus();
                  })
            .status());
    return out;
  }
  // Every regular file under `dir`, recursively.
  static std::vector<std::string> FilesUnder(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      if (e.is_regular_file()) out.push_back(e.path().string());
    }
    return out;
  }

  FakeClock clock_;
  std::string dir_;
  std::string csv_;
  std::unique_ptr<store::MetaStore> store_;
  std::unique_ptr<Lake> lake_;
};

TEST_P(EncryptedLakeTest, SensitiveDatasetRoundTrips) {
  LEPTON_ASSERT_OK_AND_ASSIGN(IngestResult r, Ingest(/*sensitive=*/true));
  EXPECT_EQ(r.rows, 500);
  EXPECT_TRUE(r.dataset.sensitive);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto all, Strings(*lake_, kSecretColumn));
  ASSERT_EQ(all.size(), 500u);
  EXPECT_EQ(all[250], kSecretValue);
  LEPTON_ASSERT_OK_AND_ASSIGN(
      auto hit, Strings(*lake_, kSecretColumn, {{"amount", CompareOp::kEq, {2500}}}));
  EXPECT_EQ(hit, std::vector<std::string>{kSecretValue});
  // Appends reuse the table's data key; a second lake with the same master key reads it all.
  ASSERT_OK(Ingest(true).status());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto twice, Strings(*LakeWith(Master(kKey)), kSecretColumn));
  EXPECT_EQ(twice.size(), 1000u);
  // Every data file in the log is an encrypted one.
  LEPTON_ASSERT_OK_AND_ASSIGN(delta::Snapshot snap, lake_->Snapshot("health", "patients", {}));
  ASSERT_EQ(snap.files.size(), 2u);
  for (const delta::AddFile& f : snap.files) {
    EXPECT_TRUE(f.path.ends_with(".zstd.parquet.lepton-enc")) << f.path;
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(profile::Profile p, lake_->Profile("health", "patients", {}));
  EXPECT_EQ(p.version, 1);
}

TEST_P(EncryptedLakeTest, NoPlaintextOfASensitiveDatasetOnDisk) {
  IngestRequest req{.ns = "health", .name = "patients", .path = csv_, .sensitive = true};
  ASSERT_OK(lake_->IngestCsv(req).status());
  ASSERT_OK(lake_->Clean("health", "patients",
                         R"({"rules": [{"constraint": {"column": "amount", "range": [0, 4000]}}]})",
                         "bob")
                .status());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto cleaned, Strings(*lake_, kSecretColumn));
  EXPECT_EQ(cleaned.size(), 401u);
  const std::string table = lake_->TableDir("health", "patients");
  int data_files = 0;
  for (const std::string& path : FilesUnder(table)) {
    LEPTON_ASSERT_OK_AND_ASSIGN(std::string bytes, ReadFile(path));
    EXPECT_EQ(bytes.find(kSecretValue), std::string::npos) << path;
    EXPECT_EQ(bytes.find("note 3"), std::string::npos) << path;
    const std::string name = std::filesystem::path(path).filename().string();
    EXPECT_FALSE(name.ends_with(".parquet")) << path;
    if (crypto::IsEncryptedDataFile(name)) {
      ++data_files;
      // Column names live in the (plaintext) Delta log and catalog, never in the data files.
      EXPECT_EQ(bytes.find(kSecretColumn), std::string::npos) << path;
      EXPECT_EQ(bytes.find("PAR1"), std::string::npos) << path;
    }
  }
  EXPECT_GE(data_files, 2);  // the ingested and the cleaned version
  EXPECT_TRUE(PathExists(table + "/" + crypto::kTableKeyFile));
}

TEST_P(EncryptedLakeTest, QuarantineOfASensitiveDatasetIsEncryptedToo) {
  ASSERT_OK(WriteFileAtomically(csv_, StrCat("id,note\n1,a\n2,", kSecretValue, ",extra\n3,c\n")));
  ingest::CsvReadOptions q;
  q.bad_rows = ingest::BadRowPolicy::kQuarantine;
  LEPTON_ASSERT_OK_AND_ASSIGN(
      IngestResult r,
      lake_->IngestCsv({.ns = "health", .name = "notes", .path = csv_, .csv = q, .sensitive = true}));
  ASSERT_EQ(r.quarantine, "health/notes__quarantine");
  LEPTON_ASSERT_OK_AND_ASSIGN(auto raw, Strings(*lake_, "raw", {}, "notes__quarantine"));
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_THAT(raw[0], HasSubstr(kSecretValue));
  for (const std::string& path : FilesUnder(lake_->TableDir("health", "notes__quarantine"))) {
    LEPTON_ASSERT_OK_AND_ASSIGN(std::string bytes, ReadFile(path));
    EXPECT_EQ(bytes.find(kSecretValue), std::string::npos) << path;
  }
}

TEST_P(EncryptedLakeTest, ReadingWithoutTheMasterKeyFailsClearly) {
  ASSERT_OK(Ingest(true).status());
  EXPECT_THAT(Strings(*LakeWith(nullptr), kSecretColumn),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("dataset health/patients is encrypted"),
                             HasSubstr("LEPTON_MASTER_KEY"))));
  // Scanning the table directly without its data key fails the same way.
  LEPTON_ASSERT_OK_AND_ASSIGN(delta::Snapshot snap, lake_->Snapshot("health", "patients", {}));
  EXPECT_THAT(Scan(lake_->TableDir("health", "patients"), snap, {},
                   [](const RecordBatch&) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("health/patients is encrypted"), HasSubstr("LEPTON_MASTER_KEY"))));
}

TEST_P(EncryptedLakeTest, ReadingWithAnotherMasterKeyNamesBothKeys) {
  ASSERT_OK(Ingest(true).status());
  const auto other = Master(kOtherKey);
  EXPECT_THAT(Strings(*LakeWith(other), kSecretColumn),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("health/patients"), HasSubstr(Master(kKey)->id()),
                             HasSubstr(other->id()))));
}

TEST_P(EncryptedLakeTest, WritingASensitiveDatasetWithoutAMasterKeyIsRefused) {
  lake_ = LakeWith(nullptr);
  EXPECT_THAT(Ingest(true), StatusIs(absl::StatusCode::kFailedPrecondition,
                                     HasSubstr("LEPTON_MASTER_KEY")));
  EXPECT_THAT(lake_->catalog().GetDataset("health", "patients"),
              StatusIs(absl::StatusCode::kNotFound));
  // A dataset flagged sensitive later cannot be appended to without the key either.
  ASSERT_OK(Ingest(false).status());
  ASSERT_OK(lake_->catalog().UpdateDataset("health", "patients", {.sensitive = true}).status());
  EXPECT_THAT(Ingest(false), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(EncryptedLakeTest, TamperedDataFileIsDataLoss) {
  ASSERT_OK(Ingest(true).status());
  LEPTON_ASSERT_OK_AND_ASSIGN(delta::Snapshot snap, lake_->Snapshot("health", "patients", {}));
  const std::string path = lake_->TableDir("health", "patients") + "/" + snap.files[0].path;
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string bytes, ReadFile(path));
  bytes[bytes.size() / 2] ^= 0x20;
  ASSERT_OK(WriteFileAtomically(path, bytes));
  EXPECT_THAT(Strings(*lake_, kSecretColumn), StatusIs(absl::StatusCode::kDataLoss));
  ASSERT_OK(WriteFileAtomically(path, bytes.substr(0, bytes.size() - 20)));
  EXPECT_THAT(Strings(*lake_, kSecretColumn), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_P(EncryptedLakeTest, NonSensitiveDatasetStaysPlainParquet) {
  LEPTON_ASSERT_OK_AND_ASSIGN(IngestResult r, Ingest(/*sensitive=*/false));
  EXPECT_FALSE(r.dataset.sensitive);
  const std::string table = lake_->TableDir("health", "patients");
  EXPECT_FALSE(PathExists(table + "/" + crypto::kTableKeyFile));
  LEPTON_ASSERT_OK_AND_ASSIGN(delta::Snapshot snap, lake_->Snapshot("health", "patients", {}));
  ASSERT_EQ(snap.files.size(), 1u);
  EXPECT_TRUE(snap.files[0].path.ends_with(".zstd.parquet")) << snap.files[0].path;
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string bytes, ReadFile(table + "/" + snap.files[0].path));
  EXPECT_TRUE(bytes.starts_with("PAR1"));
  EXPECT_NE(bytes.find(kSecretColumn), std::string::npos);
  // Readable without any key.
  LEPTON_ASSERT_OK_AND_ASSIGN(auto values, Strings(*LakeWith(nullptr), kSecretColumn));
  EXPECT_EQ(values.size(), 500u);
}

INSTANTIATE_TEST_SUITE_P(Stores, EncryptedLakeTest,
                         ::testing::ValuesIn(store::testing::TestStoreKinds()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace lepton::lake
