#include "lepton/auth/audit_log.h"

#include <thread>

#include "gtest/gtest.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/store/testing/test_store.h"

namespace lepton::auth {
namespace {

class AuditLogTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LEPTON_ASSERT_OK_AND_ASSIGN(store_, store::testing::OpenTestStore(GetParam()));
    log_ = std::make_unique<AuditLog>(*store_, clock_);
  }
  void AppendN(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_OK(log_->Append({.actor = "ada", .action = "user.create",
                              .resource = "/api/v1/users/u" + std::to_string(i), .outcome = "ok",
                              .request_id = "r" + std::to_string(i), .detail = "201"}));
    }
  }
  AuditVerifyReport Verify() {
    auto r = log_->Verify();
    EXPECT_OK(r);
    return r.ok() ? *r : AuditVerifyReport{};
  }
  FakeClock clock_;
  std::unique_ptr<store::MetaStore> store_;
  std::unique_ptr<AuditLog> log_;
};

TEST_P(AuditLogTest, EmptyAndAppendedChainsVerify) {
  EXPECT_TRUE(Verify().ok);
  AppendN(5);
  AuditVerifyReport r = Verify();
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.entries, 5);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto entries, log_->List({.after_seq = 2, .limit = 10}));
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].seq, 3);
  EXPECT_EQ(entries[0].prev_hash, (*log_->List({.after_seq = 1, .limit = 1}))[0].hash);
}

TEST_P(AuditLogTest, EditedEntryIsFound) {
  AppendN(6);
  ASSERT_OK(store_->Exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 4"));
  AuditVerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 4);
  EXPECT_EQ(r.problem, "edited");
}

TEST_P(AuditLogTest, DeletedEntryIsFound) {
  AppendN(6);
  ASSERT_OK(store_->Exec("DELETE FROM audit_log WHERE seq = 3"));
  AuditVerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 3);
  EXPECT_EQ(r.problem, "deleted");
}

TEST_P(AuditLogTest, DeletedTailIsFound) {
  AppendN(6);
  ASSERT_OK(store_->Exec("DELETE FROM audit_log WHERE seq >= 5"));
  AuditVerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 5);
  EXPECT_EQ(r.problem, "deleted");
}

TEST_P(AuditLogTest, InsertedEntryIsFound) {
  AppendN(4);
  // Make room at seq 3 by shifting the later entries, then insert a well-formed forged entry
  // whose own hash is consistent: only the chain link gives it away.
  ASSERT_OK(store_->Exec("UPDATE audit_log SET seq = seq + 10 WHERE seq >= 3"));
  ASSERT_OK(store_->Exec("UPDATE audit_log SET seq = seq - 9 WHERE seq >= 13"));
  AuditEntry forged{.seq = 3, .ts = "2026-01-01T00:00:00.000Z", .actor = "mallory",
                    .action = "user.create", .resource = "/x", .outcome = "ok",
                    .request_id = "x", .detail = "", .prev_hash = "", .hash = ""};
  forged.prev_hash = std::string(64, 'f');
  forged.hash = AuditLog::ComputeHash(forged, forged.prev_hash);
  ASSERT_OK(store_->Exec(
      "INSERT INTO audit_log (seq, ts, actor, action, resource, outcome, request_id, detail, "
      "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {forged.seq, forged.ts, forged.actor, forged.action, forged.resource, forged.outcome,
       forged.request_id, forged.detail, forged.prev_hash, forged.hash}));
  AuditVerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 3);
  EXPECT_EQ(r.problem, "inserted");
}

TEST_P(AuditLogTest, AppendedPastHeadIsInserted) {
  AppendN(2);
  ASSERT_OK(store_->Exec(
      "INSERT INTO audit_log (seq, ts, actor, action, resource, outcome, request_id, detail, "
      "prev_hash, hash) SELECT 3, ts, actor, action, resource, outcome, request_id, detail, "
      "hash, hash FROM audit_log WHERE seq = 2"));
  AuditVerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 3);
  EXPECT_EQ(r.problem, "inserted");
}

TEST_P(AuditLogTest, ConcurrentAppendsKeepOneChain) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        EXPECT_OK(log_->Append({.actor = "t", .action = "a", .resource = "r", .outcome = "ok"}));
      }
    });
  }
  for (auto& th : threads) th.join();
  AuditVerifyReport r = Verify();
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.entries, 100);
}

INSTANTIATE_TEST_SUITE_P(Stores, AuditLogTest,
                         ::testing::ValuesIn(store::testing::TestStoreKinds()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace lepton::auth
