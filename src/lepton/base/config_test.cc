#include "lepton/base/config.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "lepton/base/files.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = (std::filesystem::temp_directory_path() /
             ("lepton_config_test_" + std::to_string(::getpid()))).string();
    std::filesystem::remove_all(home_);
    ASSERT_OK(MakeDirs(home_));
  }
  void TearDown() override { std::filesystem::remove_all(home_); }
  std::string home_;
};

TEST_F(ConfigTest, DefaultsWithoutSources) {
  LEPTON_ASSERT_OK_AND_ASSIGN(Config c, LoadConfig({}, {}));
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.store, "sqlite");
  EXPECT_EQ(c.max_body_bytes, 64 << 20);
}

TEST_F(ConfigTest, FlagsBeatEnvironmentBeatFile) {
  ASSERT_OK(WriteFileAtomically(home_ + "/lepton.yaml",
                                "listen: 0.0.0.0:1\nio_threads: 3\nlog_level: debug\n"));
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Config c, LoadConfig({{"home", home_}, {"listen", "127.0.0.1:3"}},
                           {"LEPTON_LISTEN=127.0.0.1:2", "LEPTON_IO_THREADS=4", "PATH=/bin"}));
  EXPECT_EQ(c.listen, "127.0.0.1:3");  // flag
  EXPECT_EQ(c.io_threads, 4);          // environment over file
  EXPECT_EQ(c.log_level, LogLevel::kDebug);  // file over default
}

TEST_F(ConfigTest, HomeFromEnvironmentLocatesFile) {
  ASSERT_OK(WriteFileAtomically(home_ + "/lepton.yaml", "max_body_bytes: 1024\n"));
  LEPTON_ASSERT_OK_AND_ASSIGN(Config c, LoadConfig({}, {"LEPTON_HOME=" + home_}));
  EXPECT_EQ(c.max_body_bytes, 1024);
}

TEST_F(ConfigTest, UnknownKeyInFileIsAnError) {
  ASSERT_OK(WriteFileAtomically(home_ + "/lepton.yaml", "lisen: 1\n"));
  EXPECT_THAT(LoadConfig({{"home", home_}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown setting 'lisen'")));
}

TEST_F(ConfigTest, BadValuesNameTheirSource) {
  EXPECT_THAT(LoadConfig({{"listen", "nohost"}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("flag --listen")));
  EXPECT_THAT(LoadConfig({}, {"LEPTON_MAX_BODY_BYTES=-5"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("environment LEPTON_MAX_BODY_BYTES")));
  EXPECT_THAT(LoadConfig({{"store", "mysql://x"}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ConfigTest, ExplicitMissingConfigFileIsNotFound) {
  EXPECT_THAT(LoadConfig({{"config", home_ + "/nope.yaml"}}, {}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ConfigTest, MalformedYamlIsInvalidArgument) {
  ASSERT_OK(WriteFileAtomically(home_ + "/lepton.yaml", "listen: [unclosed\n"));
  EXPECT_THAT(LoadConfig({{"home", home_}}, {}), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace lepton
