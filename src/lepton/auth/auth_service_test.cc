#include "lepton/auth/auth_service.h"

#include "gtest/gtest.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/store/testing/test_store.h"

namespace lepton::auth {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

class AuthServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LEPTON_ASSERT_OK_AND_ASSIGN(store_, store::testing::OpenTestStore(GetParam()));
    auth_ = std::make_unique<AuthService>(*store_, clock_);
  }
  FakeClock clock_;
  std::unique_ptr<store::MetaStore> store_;
  std::unique_ptr<AuthService> auth_;
};

TEST_P(AuthServiceTest, BootstrapCreatesAdminOnceWithWorkingToken) {
  LEPTON_ASSERT_OK_AND_ASSIGN(auto first, auth_->Bootstrap());
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->secret.size(), 47u);
  LEPTON_ASSERT_OK_AND_ASSIGN(Principal p, auth_->Authenticate(first->secret));
  EXPECT_EQ(p.user_name, "admin");
  EXPECT_OK(Authorize(p, Action::kUserAdmin, "*"));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto second, auth_->Bootstrap());
  EXPECT_FALSE(second.has_value());
}

TEST_P(AuthServiceTest, TokensAreStoredOnlyAsHashes) {
  ASSERT_OK(auth_->CreateUser("ada", std::nullopt, Role::kViewer, "*", "test"));
  LEPTON_ASSERT_OK_AND_ASSIGN(NewToken t, auth_->CreateToken("ada", "laptop", std::nullopt));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto rs, store_->Query("SELECT token_hash FROM api_tokens"));
  ASSERT_EQ(rs.rows.size(), 1u);
  EXPECT_NE(rs.rows[0].String(0), t.secret);
  EXPECT_EQ(rs.rows[0].String(0).find(t.secret.substr(4)), std::string::npos);
}

TEST_P(AuthServiceTest, RevokedExpiredAndUnknownTokensAreRejected) {
  ASSERT_OK(auth_->CreateUser("ada", std::nullopt, Role::kViewer, "*", "test"));
  LEPTON_ASSERT_OK_AND_ASSIGN(NewToken forever, auth_->CreateToken("ada", "a", std::nullopt));
  LEPTON_ASSERT_OK_AND_ASSIGN(NewToken brief, auth_->CreateToken("ada", "b", 60));
  EXPECT_OK(auth_->Authenticate(brief.secret));
  clock_.Advance(absl::Seconds(61));
  EXPECT_THAT(auth_->Authenticate(brief.secret),
              StatusIs(absl::StatusCode::kUnauthenticated, "token has expired"));
  EXPECT_OK(auth_->Authenticate(forever.secret));
  ASSERT_OK(auth_->RevokeToken(forever.info.id));
  ASSERT_OK(auth_->RevokeToken(forever.info.id));  // twice is fine
  EXPECT_THAT(auth_->Authenticate(forever.secret),
              StatusIs(absl::StatusCode::kUnauthenticated, "token was revoked"));
  std::string forged = forever.secret;
  forged[10] = forged[10] == 'A' ? 'B' : 'A';
  EXPECT_THAT(auth_->Authenticate(forged), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(auth_->Authenticate("Bearer junk"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("malformed")));
  EXPECT_THAT(auth_->RevokeToken("nope"), StatusIs(absl::StatusCode::kNotFound));
}

// Verified tokens are cached briefly: changes through this service apply at once, changes by
// another process sharing the store (here a second service) within the TTL (2 s).
TEST_P(AuthServiceTest, CachedTokensFollowChangesHereAtOnceAndElsewhereWithinTheTtl) {
  ASSERT_OK(auth_->CreateUser("ada", std::nullopt, Role::kViewer, "*", "test"));
  LEPTON_ASSERT_OK_AND_ASSIGN(NewToken t, auth_->CreateToken("ada", "a", std::nullopt));
  LEPTON_ASSERT_OK_AND_ASSIGN(Principal first, auth_->Authenticate(t.secret));
  ASSERT_EQ(first.grants.size(), 1u);
  // A grant added here is seen by the next call, not after the TTL.
  ASSERT_OK(auth_->AddGrant("ada", Role::kDataScientist, "credit/*", "test").status());
  LEPTON_ASSERT_OK_AND_ASSIGN(Principal widened, auth_->Authenticate(t.secret));
  EXPECT_EQ(widened.grants.size(), 2u);
  // Revoked by another process: still accepted from the cache, rejected once the TTL passed.
  AuthService other(*store_, clock_);
  ASSERT_OK(other.RevokeToken(t.info.id));
  EXPECT_OK(auth_->Authenticate(t.secret));
  clock_.Advance(absl::Seconds(3));
  EXPECT_THAT(auth_->Authenticate(t.secret), StatusIs(absl::StatusCode::kUnauthenticated, "token was revoked"));
  // Disabled here: rejected at once.
  LEPTON_ASSERT_OK_AND_ASSIGN(NewToken u, auth_->CreateToken("ada", "b", std::nullopt));
  EXPECT_OK(auth_->Authenticate(u.secret));
  ASSERT_OK(auth_->SetUserDisabled("ada", true));
  EXPECT_THAT(auth_->Authenticate(u.secret), StatusIs(absl::StatusCode::kUnauthenticated, "user is disabled"));
  // Without the cache another process's change is seen at once.
  ASSERT_OK(auth_->SetUserDisabled("ada", false));
  AuthService uncached(*store_, clock_, absl::ZeroDuration());
  EXPECT_OK(uncached.Authenticate(u.secret));
  ASSERT_OK(other.RevokeToken(u.info.id));
  EXPECT_THAT(uncached.Authenticate(u.secret), StatusIs(absl::StatusCode::kUnauthenticated, "token was revoked"));
}

TEST_P(AuthServiceTest, DisabledUsersCannotAuthenticate) {
  ASSERT_OK(auth_->CreateUser("ada", std::nullopt, Role::kViewer, "*", "test"));
  LEPTON_ASSERT_OK_AND_ASSIGN(NewToken t, auth_->CreateToken("ada", "a", std::nullopt));
  ASSERT_OK(auth_->SetUserDisabled("ada", true));
  EXPECT_THAT(auth_->Authenticate(t.secret), StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK(auth_->SetUserDisabled("ada", false));
  EXPECT_OK(auth_->Authenticate(t.secret));
}

TEST_P(AuthServiceTest, UserNamesAreValidatedAndUnique) {
  ASSERT_OK(auth_->CreateUser("ada", std::nullopt, std::nullopt, "", "test"));
  EXPECT_THAT(auth_->CreateUser("ada", std::nullopt, std::nullopt, "", "test"),
              StatusIs(absl::StatusCode::kAlreadyExists, "user 'ada' already exists"));
  for (const char* bad : {"", "Ada", "-x", "a b", "ä"}) {
    EXPECT_THAT(auth_->CreateUser(bad, std::nullopt, std::nullopt, "", "t"),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(auth_->CreateUser("bob", std::string("short"), std::nullopt, "", "t"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password")));
}

TEST_P(AuthServiceTest, GrantsScopePermissions) {
  ASSERT_OK(auth_->CreateUser("ds", std::nullopt, std::nullopt, "", "test"));
  LEPTON_ASSERT_OK_AND_ASSIGN(Grant g,
                              auth_->AddGrant("ds", Role::kDataScientist, "credit/*", "test"));
  EXPECT_THAT(auth_->AddGrant("ds", Role::kDataScientist, "credit/*", "test"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(auth_->AddGrant("ghost", Role::kViewer, "*", "test"),
              StatusIs(absl::StatusCode::kNotFound));
  LEPTON_ASSERT_OK_AND_ASSIGN(NewToken t, auth_->CreateToken("ds", "t", std::nullopt));
  LEPTON_ASSERT_OK_AND_ASSIGN(Principal p, auth_->Authenticate(t.secret));
  EXPECT_OK(Authorize(p, Action::kTrain, "credit/scorer"));
  EXPECT_THAT(Authorize(p, Action::kTrain, "fraud/x"), StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK(auth_->RevokeGrant("ds", g.id));
  LEPTON_ASSERT_OK_AND_ASSIGN(p, auth_->Authenticate(t.secret));
  EXPECT_THAT(Authorize(p, Action::kTrain, "credit/scorer"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(auth_->RevokeGrant("ds", g.id), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(AuthServiceTest, LoginWithPasswordIssuesToken) {
  ASSERT_OK(auth_->CreateUser("ada", std::string("correct horse"), Role::kViewer, "*", "t"));
  EXPECT_THAT(auth_->Login("ada", "wrong password", std::nullopt),
              StatusIs(absl::StatusCode::kUnauthenticated, "wrong user name or password"));
  EXPECT_THAT(auth_->Login("nobody", "correct horse", std::nullopt),
              StatusIs(absl::StatusCode::kUnauthenticated, "wrong user name or password"));
  LEPTON_ASSERT_OK_AND_ASSIGN(NewToken t, auth_->Login("ada", "correct horse", 3600));
  LEPTON_ASSERT_OK_AND_ASSIGN(Principal p, auth_->Authenticate(t.secret));
  EXPECT_EQ(p.user_name, "ada");
  LEPTON_ASSERT_OK_AND_ASSIGN(User u, auth_->GetUser("ada"));
  EXPECT_TRUE(u.has_password);
}

TEST_P(AuthServiceTest, DeletingUserRemovesItsTokensAndGrants) {
  ASSERT_OK(auth_->CreateUser("ada", std::nullopt, Role::kViewer, "*", "t"));
  LEPTON_ASSERT_OK_AND_ASSIGN(NewToken t, auth_->CreateToken("ada", "a", std::nullopt));
  ASSERT_OK(auth_->DeleteUser("ada"));
  EXPECT_THAT(auth_->Authenticate(t.secret), StatusIs(absl::StatusCode::kUnauthenticated));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto rs, store_->Query("SELECT count(*) FROM grants"));
  EXPECT_EQ(rs.rows[0].Int(0), 0);
  EXPECT_THAT(auth_->DeleteUser("ada"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(AuthServiceTest, TtlIsValidated) {
  ASSERT_OK(auth_->CreateUser("ada", std::nullopt, Role::kViewer, "*", "t"));
  EXPECT_THAT(auth_->CreateToken("ada", "a", 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(auth_->CreateToken("ada", "", std::nullopt),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(Stores, AuthServiceTest,
                         ::testing::ValuesIn(store::testing::TestStoreKinds()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace lepton::auth
