#include "lepton/cli/args.h"

#include "gtest/gtest.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::cli {
namespace {

using ::lepton::testing::StatusIs;

TEST(ParseArgsTest, FlagsInBothFormsAndPositionals) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Args a, ParseArgs({"create", "ada", "--role", "viewer", "--scope=credit/*", "--json"},
                        {"json"}, {"role", "scope"}));
  EXPECT_EQ(a.positional, (std::vector<std::string>{"create", "ada"}));
  EXPECT_EQ(a.Flag("role"), "viewer");
  EXPECT_EQ(a.Flag("scope"), "credit/*");
  EXPECT_TRUE(a.Has("json"));
}

TEST(ParseArgsTest, UnknownFlagAndMissingValueAreErrors) {
  EXPECT_THAT(ParseArgs({"--colour", "red"}, {}, {"role"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "unknown flag --colour (see --help)"));
  EXPECT_THAT(ParseArgs({"--role"}, {}, {"role"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "flag --role needs a value"));
}

TEST(ParseArgsTest, DoubleDashEndsFlags) {
  LEPTON_ASSERT_OK_AND_ASSIGN(Args a, ParseArgs({"--", "--not-a-flag"}, {}, {}));
  EXPECT_EQ(a.positional, (std::vector<std::string>{"--not-a-flag"}));
}

}  // namespace
}  // namespace lepton::cli
