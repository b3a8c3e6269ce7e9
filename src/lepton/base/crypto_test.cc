#include "lepton/base/crypto.h"

#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton {
namespace {

TEST(CryptoTest, Sha256KnownAnswer) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, IncrementalSha256MatchesOneShot) {
  Sha256 h;
  h.Update("a");
  h.Update("");
  h.Update("bc");
  EXPECT_EQ(h.HexDigest(), Sha256Hex("abc"));
}

TEST(CryptoTest, PasswordHashIsArgon2idAndVerifies) {
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string h, HashPassword("correct horse"));
  EXPECT_EQ(h.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(VerifyPassword("correct horse", h));
  EXPECT_FALSE(VerifyPassword("wrong", h));
  EXPECT_FALSE(VerifyPassword("correct horse", "garbage"));
}

TEST(CryptoTest, RandomBytesDiffer) {
  EXPECT_EQ(RandomBytes(32).size(), 32u);
  EXPECT_NE(RandomBytes(32), RandomBytes(32));
}

TEST(CryptoTest, Base64UrlHasNoPaddingOrUnsafeCharacters) {
  const std::string s = Base64UrlEncode(std::string("\xff\xfe\xfd", 3) + "a");
  EXPECT_EQ(s.find_first_of("+/="), std::string::npos);
  EXPECT_EQ(Base64UrlEncode(RandomBytes(32)).size(), 43u);
}

TEST(CryptoTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
}

}  // namespace
}  // namespace lepton
