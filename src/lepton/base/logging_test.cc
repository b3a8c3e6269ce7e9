#include "lepton/base/logging.h"

#include "gtest/gtest.h"
#include "lepton/base/json.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton {
namespace {

using ::lepton::testing::StatusIs;

TEST(LoggingTest, TextLineCarriesFieldsAndRequestId) {
  ::testing::internal::CaptureStderr();
  {
    ScopedRequestId rid("abc123");
    Log(LogLevel::kInfo, "hello", {{"path", "/x y"}, {"status", 200}});
  }
  Log(LogLevel::kInfo, "after");
  const std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("INFO hello path=\"/x y\" status=200 request_id=abc123\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("INFO after\n"), std::string::npos) << out;
}

TEST(LoggingTest, JsonLinesParse) {
  SetLogFormat(LogFormat::kJson);
  ::testing::internal::CaptureStderr();
  Log(LogLevel::kWarning, "w", {{"k", "v"}});
  const std::string out = ::testing::internal::GetCapturedStderr();
  SetLogFormat(LogFormat::kText);
  LEPTON_ASSERT_OK_AND_ASSIGN(Json j, ParseJson(out));
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["msg"], "w");
  EXPECT_EQ(j["k"], "v");
}

TEST(LoggingTest, LevelFilters) {
  SetLogLevel(LogLevel::kWarning);
  ::testing::internal::CaptureStderr();
  Log(LogLevel::kInfo, "hidden");
  const std::string out = ::testing::internal::GetCapturedStderr();
  SetLogLevel(LogLevel::kInfo);
  EXPECT_EQ(out, "");
  EXPECT_THAT(ParseLogLevel("loud"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace lepton
