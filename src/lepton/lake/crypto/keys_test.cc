#include "lepton/lake/crypto/keys.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "lepton/base/crypto.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/crypto/encrypted_file.h"

namespace lepton::lake::crypto {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kHexKey[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

class CryptoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            StrCat("lepton_crypto_", ::getpid(), "_",
                   ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    ASSERT_OK(MakeDirs(dir_));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  MasterKey Master(std::string_view text = kHexKey) {
    auto k = MasterKey::Parse(text);
    EXPECT_OK(k);
    return *k;
  }

  std::string dir_;
};

TEST_F(CryptoTest, MasterKeyParsesHexAndBase64Alike) {
  std::string raw;
  for (int i = 0; i < 32; ++i) raw.push_back(static_cast<char>(i));
  const MasterKey hex = Master();
  // The same 32 bytes in standard base64.
  const MasterKey b64 = Master("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
  EXPECT_EQ(hex.id(), b64.id());
  EXPECT_EQ(hex.id().size(), 16u);
  EXPECT_NE(hex.id(), Master(std::string(64, 'f')).id());
  EXPECT_EQ(Master(Base64UrlEncode(raw)).id(), hex.id());
}

TEST_F(CryptoTest, MasterKeyRejectsBadTextWithoutEchoingIt) {
  for (const char* bad : {"", "secret-password", "abcd", "0011zz"}) {
    auto k = MasterKey::Parse(bad);
    EXPECT_THAT(k, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("64 hex")));
  }
  EXPECT_THAT(MasterKey::Parse("secret-password-xyz"),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("secret-password"))));
}

TEST_F(CryptoTest, EnvironmentKeyWinsOverFiles) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      auto k, LoadMasterKey({.key = kHexKey, .key_file = dir_ + "/missing.key",
                             .default_key_file = dir_ + "/master.key", .create_if_missing = true}));
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->id(), Master().id());
  EXPECT_EQ(k->source(), "LEPTON_MASTER_KEY");
  EXPECT_FALSE(PathExists(dir_ + "/master.key"));
  EXPECT_THAT(LoadMasterKey({.key = "nope"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("LEPTON_MASTER_KEY")));
}

TEST_F(CryptoTest, DefaultKeyFileIsCreatedOnceWithMode0600) {
  const std::string path = dir_ + "/master.key";
  LEPTON_ASSERT_OK_AND_ASSIGN(auto absent, LoadMasterKey({.default_key_file = path}));
  EXPECT_FALSE(absent.has_value());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto created,
                              LoadMasterKey({.default_key_file = path, .create_if_missing = true}));
  ASSERT_TRUE(created.has_value());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto again,
                              LoadMasterKey({.default_key_file = path, .create_if_missing = true}));
  EXPECT_EQ(again->id(), created->id());
  EXPECT_EQ(again->source(), path);
}

TEST_F(CryptoTest, KeyFileReadableByOthersIsRefused) {
  const std::string path = dir_ + "/open.key";
  ASSERT_OK(WriteFileAtomically(path, kHexKey, 0644));
  EXPECT_THAT(LoadMasterKey({.key_file = path}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("chmod 600")));
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto k, LoadMasterKey({.key_file = path}));
  EXPECT_EQ(k->id(), Master().id());
  EXPECT_THAT(LoadMasterKey({.key_file = dir_ + "/missing.key"}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(CryptoTest, TableKeyIsCreatedOnceAndStoredOnlyWrapped) {
  const MasterKey master = Master();
  const std::string table = dir_ + "/t";
  LEPTON_ASSERT_OK_AND_ASSIGN(auto first, LoadOrCreateTableKey(table, master, "ns/t"));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto second, LoadOrCreateTableKey(table, master, "ns/t"));
  const std::string_view a(reinterpret_cast<const char*>(first->key().data()), kKeyBytes);
  const std::string_view b(reinterpret_cast<const char*>(second->key().data()), kKeyBytes);
  EXPECT_EQ(a, b);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string file, ReadFile(table + "/" + kTableKeyFile));
  EXPECT_EQ(file.find(HexEncode(a)), std::string::npos);
  EXPECT_EQ(file.find(a), std::string::npos);
  EXPECT_THAT(file, HasSubstr(master.id()));
}

TEST_F(CryptoTest, TableKeyWithAnotherMasterKeyNamesBothIds) {
  const std::string table = dir_ + "/t";
  ASSERT_OK(LoadOrCreateTableKey(table, Master(), "ns/t").status());
  const MasterKey other = Master(std::string(64, 'e'));
  EXPECT_THAT(LoadTableKey(table, other, "ns/t"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::AllOf(HasSubstr("ns/t"), HasSubstr(Master().id()),
                                        HasSubstr(other.id()), HasSubstr("LEPTON_MASTER_KEY"))));
  EXPECT_THAT(LoadTableKey(dir_ + "/none", other, "ns/none"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(CryptoTest, TamperedTableKeyIsDataLoss) {
  const std::string table = dir_ + "/t";
  ASSERT_OK(LoadOrCreateTableKey(table, Master(), "ns/t").status());
  const std::string path = table + "/" + kTableKeyFile;
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string file, ReadFile(path));
  const size_t at = file.find("\"wrapped_key\":\"") + 15;
  file[at] = file[at] == '0' ? '1' : '0';
  ASSERT_OK(WriteFileAtomically(path, file, 0600));
  EXPECT_THAT(LoadTableKey(table, Master(), "ns/t"), StatusIs(absl::StatusCode::kDataLoss));
}

class EncryptedFileTest : public CryptoTest {
 protected:
  std::shared_ptr<const DataKey> Key() {
    auto k = LoadOrCreateTableKey(dir_ + "/t", Master(), "ns/t");
    EXPECT_OK(k);
    return *k;
  }
  // Writes `plain` in uneven pieces; returns the file's path.
  std::string Write(const std::string& plain, const std::shared_ptr<const DataKey>& key) {
    const std::string path = StrCat(dir_, "/t/f", ++files_, kEncryptedSuffix);
    auto sink = OpenEncryptedFile(path, key);
    EXPECT_OK(sink);
    for (size_t pos = 0; pos < plain.size(); pos += 7777) {
      EXPECT_OK((*sink)->Append(std::string_view(plain).substr(pos, 7777)));
    }
    EXPECT_OK((*sink)->Close());
    return path;
  }
  int files_ = 0;
};

TEST_F(EncryptedFileTest, RoundTripsAllSizes) {
  const auto key = Key();
  for (size_t size : {size_t{0}, size_t{1}, kChunkBytes - 1, kChunkBytes, kChunkBytes + 1,
                      3 * kChunkBytes + 5}) {
    std::string plain;
    for (size_t i = 0; i < size; ++i) plain.push_back(static_cast<char>('a' + i % 26));
    const std::string path = Write(plain, key);
    LEPTON_ASSERT_OK_AND_ASSIGN(std::string back, ReadEncryptedFile(path, *key));
    EXPECT_EQ(back, plain) << size;
    LEPTON_ASSERT_OK_AND_ASSIGN(std::string raw, ReadFile(path));
    if (size > 100) {
      EXPECT_EQ(raw.find(plain.substr(0, 32)), std::string::npos);
    }
  }
}

TEST_F(EncryptedFileTest, TamperingTruncationAndExtraBytesAreDataLoss) {
  const auto key = Key();
  const std::string plain(3 * kChunkBytes + 100, 'x');
  const std::string path = Write(plain, key);
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::string raw, ReadFile(path));
  const auto read_with = [&](const std::string& bytes) {
    EXPECT_OK(WriteFileAtomically(path, bytes));
    return ReadEncryptedFile(path, *key);
  };
  std::string flipped = raw;
  flipped[raw.size() / 2] ^= 1;
  EXPECT_THAT(read_with(flipped), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("authentication")));
  // Cut after the first two whole chunks: every remaining chunk is valid, but no FINAL one.
  const size_t whole = 8 + 24 + 2 * (kChunkBytes + 17);
  EXPECT_THAT(read_with(raw.substr(0, whole)), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")));
  EXPECT_THAT(read_with(raw.substr(0, raw.size() - 1)), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(read_with(raw + "junk"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(read_with("PAR1 plain parquet"), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("magic")));
  EXPECT_OK(read_with(raw).status());
  // The key of another table does not open it.
  auto other = LoadOrCreateTableKey(dir_ + "/u", Master(), "ns/u");
  ASSERT_OK(other.status());
  EXPECT_THAT(ReadEncryptedFile(path, **other), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(EncryptedFileTest, AbortLeavesNoFile) {
  const auto key = Key();
  const std::string path = dir_ + "/t/aborted" + kEncryptedSuffix;
  {
    LEPTON_ASSERT_OK_AND_ASSIGN(auto sink, OpenEncryptedFile(path, key));
    ASSERT_OK(sink->Append("some bytes"));
  }  // destroyed unclosed
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/t")) {
    EXPECT_EQ(e.path().filename().string(), kTableKeyFile);
  }
}

}  // namespace
}  // namespace lepton::lake::crypto
