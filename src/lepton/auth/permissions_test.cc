#include "lepton/auth/permissions.h"

#include "gtest/gtest.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::auth {
namespace {

using ::lepton::testing::StatusIs;

Principal With(std::vector<Grant> grants) { return Principal{"u1", "bob", std::move(grants), ""}; }

TEST(ScopeTest, PatternsMatchNamespacesAndExactResources) {
  EXPECT_TRUE(ScopeMatches("*", "credit/customers"));
  EXPECT_TRUE(ScopeMatches("*", "*"));
  EXPECT_TRUE(ScopeMatches("credit/*", "credit/customers"));
  EXPECT_TRUE(ScopeMatches("credit/*", "credit"));
  EXPECT_FALSE(ScopeMatches("credit/*", "creditx/customers"));
  EXPECT_FALSE(ScopeMatches("credit/*", "*"));
  EXPECT_TRUE(ScopeMatches("credit/customers", "credit/customers"));
  EXPECT_FALSE(ScopeMatches("credit/customers", "credit/other"));
}

TEST(ScopeTest, ValidatesScopes) {
  EXPECT_OK(ValidateScope("*"));
  EXPECT_OK(ValidateScope("credit/*"));
  EXPECT_OK(ValidateScope("credit/customers_v2"));
  for (const char* bad : {"", "/*", "Credit/*", "credit//x", "credit/", "a b", "*/x"}) {
    EXPECT_THAT(ValidateScope(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(AuthorizeTest, RoleAndScopeMustBothAllow) {
  Principal p = With({{"g1", Role::kDataScientist, "credit/*"}});
  EXPECT_OK(Authorize(p, Action::kTrain, "credit/scorer"));
  EXPECT_THAT(Authorize(p, Action::kTrain, "fraud/scorer"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "user 'bob' may not train on 'fraud/scorer'"));
  EXPECT_THAT(Authorize(p, Action::kDeploy, "credit/scorer"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(AuthorizeTest, SystemActionsNeedGlobalScope) {
  EXPECT_THAT(Authorize(With({{"g", Role::kAdmin, "credit/*"}}), Action::kUserAdmin, "*"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_OK(Authorize(With({{"g", Role::kAdmin, "*"}}), Action::kUserAdmin, "*"));
}

TEST(AuthorizeTest, NoGrantsAllowNothing) {
  for (Action a : AllActions()) {
    EXPECT_THAT(Authorize(With({}), a, "x"), StatusIs(absl::StatusCode::kPermissionDenied));
  }
}

TEST(RolesTest, MatrixMatchesDocumentation) {
  // The four-eyes split: those who build models cannot approve them, approvers cannot deploy.
  EXPECT_TRUE(RoleAllows(Role::kDataScientist, Action::kModelRegister));
  EXPECT_FALSE(RoleAllows(Role::kDataScientist, Action::kModelApprove));
  EXPECT_TRUE(RoleAllows(Role::kMlEngineer, Action::kModelPromote));
  EXPECT_FALSE(RoleAllows(Role::kMlEngineer, Action::kModelApprove));
  EXPECT_TRUE(RoleAllows(Role::kApprover, Action::kModelApprove));
  EXPECT_FALSE(RoleAllows(Role::kApprover, Action::kDeploy));
  EXPECT_TRUE(RoleAllows(Role::kDataEngineer, Action::kDatasetWrite));
  EXPECT_FALSE(RoleAllows(Role::kViewer, Action::kDatasetWrite));
  for (Role r : AllRoles()) EXPECT_TRUE(RoleAllows(r, Action::kRead)) << RoleName(r);
  for (Action a : AllActions()) EXPECT_TRUE(RoleAllows(Role::kAdmin, a)) << ActionName(a);
  for (Action a : AllActions()) {
    if (a != Action::kRead) {
      EXPECT_FALSE(RoleAllows(Role::kViewer, a)) << ActionName(a);
    }
  }
}

TEST(RolesTest, ParseRoundTripsAndRejectsUnknown) {
  for (Role r : AllRoles()) {
    auto parsed = ParseRole(RoleName(r));
    ASSERT_OK(parsed);
    EXPECT_EQ(*parsed, r);
  }
  EXPECT_THAT(ParseRole("root"), StatusIs(absl::StatusCode::kInvalidArgument,
                                          ::testing::HasSubstr("expected one of admin")));
}

}  // namespace
}  // namespace lepton::auth
