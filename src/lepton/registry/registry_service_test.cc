// The registry on a real store (SQLite, and PostgreSQL when LEPTON_TEST_PG_URL is set) with
// real models: each test trains a small logistic model through ModelBuilder with tracking, so
// versions are registered from genuine runs and bundles.

#include "lepton/registry/registry_service.h"

#include "lepton/registry/model_card.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/crypto.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/store/testing/test_store.h"
#include "lepton/lake/lake.h"
#include "lepton/train/model_builder.h"
#include "lepton/train/testing/data.h"

namespace lepton::registry {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

lake::RecordBatch Data(int64_t rows, uint64_t seed) { return train::testing::Applicants(rows, seed); }

class RegistryTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LEPTON_ASSERT_OK_AND_ASSIGN(store_, store::testing::OpenTestStore(GetParam()));
    root_ = (std::filesystem::temp_directory_path() / StrCat("lepton_registry_", ::getpid(), "_", HexEncode(RandomBytes(6)))).string();
    tracking_ = std::make_unique<tracking::TrackingService>(*store_, Clock::System(), root_ + "/artifacts");
    registry_ = std::make_unique<RegistryService>(*store_, Clock::System(), root_ + "/models", *tracking_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // A finished run with a logged model (fairness slices by region). `columns`: the features
  // (both by default; {"region"} alone gives a model no better than chance).
  std::string TrainRun(uint64_t seed = 1, std::vector<std::string> columns = {"income", "region"}) {
    auto config = train::ModelConfig::FromJson(
        {{"dataset", {{"name", "test/applicants"}}},
         {"target", {{"column", "label"}, {"positive_class", "bad"}}},
         {"features", {{"columns", columns}}},
         {"learner", {{"flavor", "logistic"}}},
         {"split", {{"method", "stratified"}, {"test_fraction", 0.3}, {"seed", seed}}},
         {"fairness_slices", {"region"}},
         {"experiment", {{"name", "credit/registry-test"}}}});
    EXPECT_TRUE(config.ok()) << config.status();
    train::ModelBuilder builder(*config, {.tracking = tracking_.get()});
    auto model = builder.build_and_train(Data(300, seed));
    EXPECT_TRUE(model.ok()) << model.status();
    return model.ok() ? model->run_id() : "";
  }

  std::unique_ptr<store::MetaStore> store_;
  std::string root_;
  std::unique_ptr<tracking::TrackingService> tracking_;
  std::unique_ptr<RegistryService> registry_;
};

TEST_P(RegistryTest, ModelsWithTagsDescriptionsAndNameRules) {
  LEPTON_ASSERT_OK_AND_ASSIGN(RegisteredModel m, registry_->CreateModel("credit-scorer", "PD model", {{"team", "risk"}}, "ada"));
  EXPECT_EQ(m.name, "credit-scorer");
  EXPECT_EQ(m.tags["team"], "risk");
  EXPECT_EQ(m.latest_version, 0);
  EXPECT_EQ(m.created_by, "ada");
  EXPECT_THAT(registry_->CreateModel("credit-scorer", "", {}, "bob"), StatusIs(absl::StatusCode::kAlreadyExists));
  for (const char* bad : {"", "Credit", "credit/scorer", "-x", "a b", "..x/y"}) {
    EXPECT_THAT(registry_->CreateModel(bad, "", {}, "ada"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("model name"))) << bad;
  }
  ASSERT_OK(registry_->CreateModel("fraud", "", {}, "ada").status());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto all, registry_->ListModels());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "credit-scorer");
  LEPTON_ASSERT_OK_AND_ASSIGN(auto some, registry_->ListModels("fr"));
  ASSERT_EQ(some.size(), 1u);
  EXPECT_EQ(some[0].name, "fraud");

  LEPTON_ASSERT_OK_AND_ASSIGN(m, registry_->UpdateModel("credit-scorer", "probability of default"));
  EXPECT_EQ(m.description, "probability of default");
  ASSERT_OK(registry_->SetModelTag("credit-scorer", "team", "credit-risk"));
  ASSERT_OK(registry_->SetModelTag("credit-scorer", "tier", "1"));
  ASSERT_OK(registry_->DeleteModelTag("credit-scorer", "tier"));
  EXPECT_THAT(registry_->DeleteModelTag("credit-scorer", "tier"), StatusIs(absl::StatusCode::kNotFound));
  LEPTON_ASSERT_OK_AND_ASSIGN(m, registry_->GetModel("credit-scorer"));
  EXPECT_EQ(m.tags, (std::map<std::string, std::string>{{"team", "credit-risk"}}));
  EXPECT_THAT(registry_->GetModel("nope"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("'nope'")));
}

TEST_P(RegistryTest, VersionsFromRunsAreNumberedVerifiedAndLoadBitIdentically) {
  ASSERT_OK(registry_->CreateModel("credit-scorer", "", {}, "ada").status());
  const std::string run1 = TrainRun(1), run2 = TrainRun(2);
  LEPTON_ASSERT_OK_AND_ASSIGN(ModelVersion v1, registry_->CreateVersionFromRun("credit-scorer", run1, "first", "ada"));
  LEPTON_ASSERT_OK_AND_ASSIGN(ModelVersion v2, registry_->CreateVersionFromRun("credit-scorer", run2, "", "bob"));
  EXPECT_EQ(v1.version, 1);
  EXPECT_EQ(v2.version, 2);
  EXPECT_EQ(v1.status, VersionStatus::kReady);
  EXPECT_EQ(v1.source, "run:" + run1);
  EXPECT_EQ(v1.run_id, run1);
  EXPECT_EQ(v1.flavor, "logistic");
  EXPECT_EQ(v2.created_by, "bob");
  EXPECT_TRUE(PathExists(registry_->BundleDir("credit-scorer", 1) + "/manifest.json"));

  LEPTON_ASSERT_OK_AND_ASSIGN(auto versions, registry_->ListVersions("credit-scorer"));
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].version, 2);  // newest first
  LEPTON_ASSERT_OK_AND_ASSIGN(RegisteredModel m, registry_->GetModel("credit-scorer"));
  EXPECT_EQ(m.latest_version, 2);

  // The registered bundle predicts exactly as the run's model.
  LEPTON_ASSERT_OK_AND_ASSIGN(train::Model loaded, registry_->LoadVersion("credit-scorer", 1));
  LEPTON_ASSERT_OK_AND_ASSIGN(train::Model from_run, train::Model::Load(tracking_->ArtifactDir(*tracking_->GetRunInfo(run1)) + "/model"));
  const lake::RecordBatch rows = Data(200, 9);
  LEPTON_ASSERT_OK_AND_ASSIGN(train::Predictions p, loaded.Predict(rows));
  LEPTON_ASSERT_OK_AND_ASSIGN(train::Predictions q, from_run.Predict(rows));
  ASSERT_EQ(p.scores.size(), 200u);
  EXPECT_EQ(std::memcmp(p.scores.data(), q.scores.data(), p.scores.size() * sizeof(double)), 0);

  // Unknown or unfinished runs, unknown models.
  EXPECT_THAT(registry_->CreateVersionFromRun("credit-scorer", "nope", "", "ada"), StatusIs(absl::StatusCode::kNotFound));
  LEPTON_ASSERT_OK_AND_ASSIGN(tracking::Experiment e, tracking_->GetExperimentByName("credit/registry-test"));
  LEPTON_ASSERT_OK_AND_ASSIGN(tracking::RunInfo running, tracking_->CreateRun({.experiment_id = e.id, .name = "manual", .user = "ada"}));
  EXPECT_THAT(registry_->CreateVersionFromRun("credit-scorer", running.id, "", "ada"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not finished")));
  EXPECT_THAT(registry_->CreateVersionFromRun("other", run1, "", "ada"), StatusIs(absl::StatusCode::kNotFound));

  ASSERT_OK(registry_->SetVersionTag("credit-scorer", 1, "validated", "yes"));
  LEPTON_ASSERT_OK_AND_ASSIGN(v1, registry_->UpdateVersion("credit-scorer", 1, "the first one"));
  EXPECT_EQ(v1.description, "the first one");
  EXPECT_EQ(v1.tags["validated"], "yes");
  EXPECT_THAT(registry_->GetVersion("credit-scorer", 3), StatusIs(absl::StatusCode::kNotFound, HasSubstr("no version 3")));
}

TEST_P(RegistryTest, BundlesMoveBetweenInstallationsAndDamageIsRefused) {
  ASSERT_OK(registry_->CreateModel("credit-scorer", "", {}, "ada").status());
  ASSERT_OK(registry_->CreateVersionFromRun("credit-scorer", TrainRun(), "", "ada").status());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto files, registry_->BundleFiles("credit-scorer", 1));
  EXPECT_TRUE(files.contains("manifest.json"));
  EXPECT_TRUE(files.contains("pipeline.json"));
  EXPECT_TRUE(files.contains("model.json"));

  // A second installation (its own store and folders) takes the bundle as a new version.
  LEPTON_ASSERT_OK_AND_ASSIGN(auto other_store, store::testing::OpenTestStore(GetParam()));
  tracking::TrackingService other_tracking(*other_store, Clock::System(), root_ + "/other-artifacts");
  RegistryService other(*other_store, Clock::System(), root_ + "/other-models", other_tracking);
  ASSERT_OK(other.CreateModel("imported", "", {}, "eve").status());
  LEPTON_ASSERT_OK_AND_ASSIGN(ModelVersion up, other.CreateVersionFromFiles("imported", files, "from prod", "eve"));
  EXPECT_EQ(up.version, 1);
  EXPECT_EQ(up.source, "upload");
  EXPECT_EQ(up.flavor, "logistic");
  LEPTON_ASSERT_OK_AND_ASSIGN(auto round_trip, other.BundleFiles("imported", 1));
  EXPECT_EQ(round_trip, files);

  // Damaged uploads: a changed byte, a missing file, an extra file, no manifest. None of them
  // takes a version number.
  auto changed = files;
  changed["pipeline.json"][changed["pipeline.json"].size() / 2] ^= 1;
  EXPECT_THAT(other.CreateVersionFromFiles("imported", changed, "", "eve"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("pipeline.json")));
  auto missing = files;
  missing.erase("model.json");
  EXPECT_THAT(other.CreateVersionFromFiles("imported", missing, "", "eve"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("model.json is listed in the manifest but missing")));
  auto extra = files;
  extra["notes.txt"] = "hi";
  EXPECT_THAT(other.CreateVersionFromFiles("imported", extra, "", "eve"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unexpected file notes.txt")));
  auto traversal = files;
  traversal["../x"] = "hi";
  EXPECT_THAT(other.CreateVersionFromFiles("imported", traversal, "", "eve"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a plain file name")));
  auto no_manifest = files;
  no_manifest.erase("manifest.json");
  EXPECT_THAT(other.CreateVersionFromFiles("imported", no_manifest, "", "eve"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no manifest.json")));
  // A manifest whose declared input signature is not the pipeline's.
  auto wrong_signature = files;
  Json edited = *ParseJson(files["manifest.json"]);
  edited["input_signature"][0]["name"] = "salary";
  wrong_signature["manifest.json"] = edited.dump();
  EXPECT_THAT(other.CreateVersionFromFiles("imported", wrong_signature, "", "eve"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match the pipeline's inputs")));
  // A manifest naming an unknown flavor, with consistent checksums: refused by the loader,
  // and the version it took is recorded as failed.
  auto manifest = *ParseJson(files["manifest.json"]);
  manifest["flavor"] = "prophet";
  auto unknown = files;
  unknown["manifest.json"] = manifest.dump();
  EXPECT_THAT(other.CreateVersionFromFiles("imported", unknown, "", "eve"), StatusIs(absl::StatusCode::kInvalidArgument));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto versions, other.ListVersions("imported"));
  ASSERT_EQ(versions.size(), 3u);  // 1 ready, 2 (signature) and 3 (flavor) failed
  EXPECT_EQ(versions[0].status, VersionStatus::kFailedRegistration);
  EXPECT_EQ(versions[1].status, VersionStatus::kFailedRegistration);
  EXPECT_FALSE(versions[0].status_message.empty());
  EXPECT_FALSE(PathExists(other.BundleDir("imported", 2)));
  EXPECT_FALSE(PathExists(other.BundleDir("imported", 3)));

  // A bundle changed on disk after registration is caught at load.
  const std::string pipeline = registry_->BundleDir("credit-scorer", 1) + "/pipeline.json";
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string text, ReadFile(pipeline));
  text[text.size() / 3] ^= 1;
  ASSERT_OK(WriteFileAtomically(pipeline, text));
  EXPECT_THAT(registry_->LoadVersion("credit-scorer", 1), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("pipeline.json")));
  EXPECT_THAT(registry_->BundleFiles("credit-scorer", 1), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("pipeline.json")));
}

TEST_P(RegistryTest, AliasesMoveAtomicallyKeepHistoryAndProtectTheirVersions) {
  ASSERT_OK(registry_->CreateModel("credit-scorer", "", {}, "ada").status());
  ASSERT_OK(registry_->CreateVersionFromRun("credit-scorer", TrainRun(1), "", "ada").status());
  ASSERT_OK(registry_->CreateVersionFromRun("credit-scorer", TrainRun(2), "", "ada").status());
  // "production" is protected by default (promotions only); this test moves aliases directly.
  EXPECT_THAT(registry_->SetAlias("credit-scorer", "production", 1, "ada"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("protected")));
  ASSERT_OK(registry_->SetPolicy("credit-scorer", {{"protected_aliases", Json::array()}}, "ada").status());

  LEPTON_ASSERT_OK_AND_ASSIGN(int64_t previous, registry_->SetAlias("credit-scorer", "production", 1, "ada", "go live"));
  EXPECT_EQ(previous, -1);
  LEPTON_ASSERT_OK_AND_ASSIGN(previous, registry_->SetAlias("credit-scorer", "production", 2, "bob", "v2 is better"));
  EXPECT_EQ(previous, 1);
  ASSERT_OK(registry_->SetAlias("credit-scorer", "champion", 2, "bob").status());
  LEPTON_ASSERT_OK_AND_ASSIGN(ModelVersion prod, registry_->GetVersionByAlias("credit-scorer", "production"));
  EXPECT_EQ(prod.version, 2);
  EXPECT_THAT(prod.aliases, ElementsAre("champion", "production"));
  LEPTON_ASSERT_OK_AND_ASSIGN(RegisteredModel m, registry_->GetModel("credit-scorer"));
  EXPECT_EQ(m.aliases, (std::map<std::string, int64_t>{{"champion", 2}, {"production", 2}}));

  // Protected: a version behind an alias, and a model with aliases, cannot be deleted.
  EXPECT_THAT(registry_->DeleteVersion("credit-scorer", 2),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("champion, production")));
  EXPECT_THAT(registry_->DeleteModel("credit-scorer"), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("aliases")));
  ASSERT_OK(registry_->DeleteVersion("credit-scorer", 1));  // no alias left on 1
  EXPECT_FALSE(PathExists(registry_->BundleDir("credit-scorer", 1)));
  EXPECT_THAT(registry_->SetAlias("credit-scorer", "production", 1, "ada"), StatusIs(absl::StatusCode::kNotFound));

  ASSERT_OK(registry_->DeleteAlias("credit-scorer", "champion", "ada", "retired"));
  EXPECT_THAT(registry_->GetVersionByAlias("credit-scorer", "champion"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(registry_->DeleteAlias("credit-scorer", "champion", "ada"), StatusIs(absl::StatusCode::kNotFound));

  LEPTON_ASSERT_OK_AND_ASSIGN(auto history, registry_->AliasHistory("credit-scorer", "production"));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].version, 1);
  EXPECT_EQ(history[0].previous_version, -1);
  EXPECT_EQ(history[0].changed_by, "ada");
  EXPECT_EQ(history[0].comment, "go live");
  EXPECT_EQ(history[1].version, 2);
  EXPECT_EQ(history[1].previous_version, 1);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto all, registry_->AliasHistory("credit-scorer"));
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[3].alias, "champion");
  EXPECT_EQ(all[3].version, -1);  // removed
  EXPECT_EQ(all[3].previous_version, 2);

  for (const char* bad : {"latest", "v3", "Production", "1st", "a/b", ""}) {
    EXPECT_THAT(registry_->SetAlias("credit-scorer", bad, 2, "ada"), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST_P(RegistryTest, ConcurrentMovesOfOneAliasLoseNoHistory) {
  ASSERT_OK(registry_->CreateModel("m", "", {}, "ada").status());
  const std::string run = TrainRun();
  for (int i = 0; i < 3; ++i) ASSERT_OK(registry_->CreateVersionFromRun("m", run, "", "ada").status());
  ASSERT_OK(registry_->SetPolicy("m", {{"protected_aliases", {"prod"}}}, "ada").status());
  constexpr int kThreads = 4, kMoves = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kMoves; ++k) {
        if (!registry_->SetAlias("m", "production", 1 + (t + k) % 3, StrCat("user", t)).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto history, registry_->AliasHistory("m", "production"));
  ASSERT_EQ(history.size(), static_cast<size_t>(kThreads * kMoves));
  // Each move's "previous" is the version the one before it set: a chain with no gaps.
  EXPECT_EQ(history[0].previous_version, -1);
  for (size_t i = 1; i < history.size(); ++i) EXPECT_EQ(history[i].previous_version, history[i - 1].version) << i;
  LEPTON_ASSERT_OK_AND_ASSIGN(ModelVersion now, registry_->GetVersionByAlias("m", "production"));
  EXPECT_EQ(now.version, history.back().version);
}

TEST_P(RegistryTest, InterruptedRegistrationsAreFailedAtRecovery) {
  ASSERT_OK(registry_->CreateModel("m", "", {}, "ada").status());
  // What a crash between "pending" and "ready" leaves: the row and a temporary folder.
  ASSERT_OK(store_->Exec("INSERT INTO registry_versions (name, version, status, status_message, source, run_id, flavor, "
                         "description, manifest_sha256, created_by, created_at, updated_at) VALUES "
                         "('m', 1, 'pending_registration', '', 'upload', '', 'logistic', '', '', 'ada', "
                         "'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')")
                .status());
  ASSERT_OK(store_->Exec("UPDATE registry_models SET next_version = 2 WHERE name = 'm'").status());
  const std::string temp = registry_->BundleDir("m", 1) + ".tmp-crashed";
  ASSERT_OK(MakeDirs(temp));
  ASSERT_OK(WriteFileAtomically(temp + "/manifest.json", "{"));
  EXPECT_THAT(registry_->SetAlias("m", "staging", 1, "ada"), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("pending")));
  LEPTON_ASSERT_OK_AND_ASSIGN(int64_t failed, registry_->RecoverPending(absl::Now()));
  EXPECT_EQ(failed, 1);
  EXPECT_FALSE(PathExists(temp));
  LEPTON_ASSERT_OK_AND_ASSIGN(ModelVersion v, registry_->GetVersion("m", 1));
  EXPECT_EQ(v.status, VersionStatus::kFailedRegistration);
  EXPECT_THAT(v.status_message, HasSubstr("interrupted"));
  EXPECT_THAT(registry_->LoadVersion("m", 1), StatusIs(absl::StatusCode::kFailedPrecondition));
  // The next registration takes the next number.
  LEPTON_ASSERT_OK_AND_ASSIGN(ModelVersion next, registry_->CreateVersionFromRun("m", TrainRun(), "", "ada"));
  EXPECT_EQ(next.version, 2);
}

TEST_P(RegistryTest, GatesBlockPromotionsAndNameEachFailedGateWithItsNumbers) {
  ASSERT_OK(registry_->CreateModel("m", "", {}, "ada").status());
  ASSERT_OK(registry_->CreateVersionFromRun("m", TrainRun(), "", "ada").status());
  LEPTON_ASSERT_OK_AND_ASSIGN(ModelVersion v, registry_->GetVersion("m", 1));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto files, registry_->BundleFiles("m", 1));
  const double auc = ParseJson(files["metrics.json"])->at("summary").at("auc").get<double>();
  ASSERT_GT(auc, 0.6);

  EXPECT_THAT(registry_->SetPolicy("m", {{"metrics", {{"auc", {{"minimum", 1}}}}}}, "ada"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("policy.metrics.auc.minimum: unknown field")));
  ASSERT_OK(registry_->SetPolicy("m",
                                 {{"metrics", {{"auc", {{"min", 0.99}}}, {"log_loss", {{"max", 5.0}}}}},
                                  {"max_fairness_gap", {{"gap", "demographic_parity_difference"}, {"max", 0.0}}},
                                  {"required_card_fields", {"intended_use"}}},
                                 "ada")
                .status());
  LEPTON_ASSERT_OK_AND_ASSIGN(GateReport report, registry_->CheckGates("m", 1, "production"));
  EXPECT_FALSE(report.passed);
  const Json j = report.ToJson();
  EXPECT_THAT(j["failed"].get<std::vector<std::string>>(),
              ElementsAre("auc >= 0.99", "region demographic_parity_difference gap <= 0", "intended_use"));
  EXPECT_EQ(j["gates"][0]["actual"].get<double>(), auc);
  EXPECT_TRUE(j["gates"][1]["passed"].get<bool>());  // log_loss <= 5
  auto refused = registry_->RequestPromotion("m", 1, "production", "ada", "");
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("auc >= 0.99: actual ")));
  EXPECT_THAT(refused.status().message(), HasSubstr("card field intended_use: empty"));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto none, registry_->ListPromotions("m"));
  EXPECT_TRUE(none.empty());  // a refused request leaves nothing behind

  // Fix what can be fixed: fill in the card, relax the thresholds; then it passes.
  ASSERT_OK(registry_->UpdateCard("m", 1, {{"intended_use", "pre-screening of loan applications"}}, "ada").status());
  ASSERT_OK(registry_->SetPolicy("m",
                                 {{"metrics", {{"auc", {{"min", 0.6}}}}},
                                  {"max_fairness_gap", {{"gap", "auc"}, {"max", 1.0}, {"columns", {"region"}}}},
                                  {"required_card_fields", {"intended_use"}}},
                                 "ada")
                .status());
  LEPTON_ASSERT_OK_AND_ASSIGN(report, registry_->CheckGates("m", 1, "production"));
  EXPECT_TRUE(report.passed) << report.ToJson();
  LEPTON_ASSERT_OK_AND_ASSIGN(Promotion p, registry_->RequestPromotion("m", 1, "production", "ada", "ready"));
  EXPECT_EQ(p.state, PromotionState::kPending);
  EXPECT_TRUE(p.gate_report["passed"].get<bool>());
}

TEST_P(RegistryTest, ProtectedAliasesMoveOnlyByAnotherUsersApproval) {
  ASSERT_OK(registry_->CreateModel("m", "", {}, "ada").status());
  ASSERT_OK(registry_->CreateVersionFromRun("m", TrainRun(1), "", "ada").status());
  ASSERT_OK(registry_->CreateVersionFromRun("m", TrainRun(2), "", "ada").status());
  EXPECT_THAT(registry_->SetAlias("m", "production", 1, "ada"), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("protected")));

  LEPTON_ASSERT_OK_AND_ASSIGN(Promotion p, registry_->RequestPromotion("m", 1, "production", "ada", "first release"));
  EXPECT_EQ(p.state, PromotionState::kPending);
  EXPECT_THAT(registry_->GetVersionByAlias("m", "production"), StatusIs(absl::StatusCode::kNotFound));  // not yet
  EXPECT_THAT(registry_->RequestPromotion("m", 1, "production", "ada", ""),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already pending")));
  // Four eyes: the requester cannot decide; another user can.
  EXPECT_THAT(registry_->ApprovePromotion("m", p.id, "ada", "lgtm"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("four eyes")));
  EXPECT_THAT(registry_->RejectPromotion("m", p.id, "ada", ""), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(registry_->CancelPromotion("m", p.id, "bob", ""), StatusIs(absl::StatusCode::kPermissionDenied));
  LEPTON_ASSERT_OK_AND_ASSIGN(Promotion approved, registry_->ApprovePromotion("m", p.id, "bob", "checked the card"));
  EXPECT_EQ(approved.state, PromotionState::kApproved);
  EXPECT_EQ(approved.decided_by, "bob");
  EXPECT_EQ(approved.decision_comment, "checked the card");
  LEPTON_ASSERT_OK_AND_ASSIGN(ModelVersion prod, registry_->GetVersionByAlias("m", "production"));
  EXPECT_EQ(prod.version, 1);
  EXPECT_THAT(registry_->ApprovePromotion("m", p.id, "carol", ""),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already approved by bob")));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto history, registry_->AliasHistory("m", "production"));
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].changed_by, "bob");
  EXPECT_THAT(history[0].comment, HasSubstr(p.id));

  // Rejected and cancelled requests move nothing.
  LEPTON_ASSERT_OK_AND_ASSIGN(Promotion second, registry_->RequestPromotion("m", 2, "production", "ada", ""));
  LEPTON_ASSERT_OK_AND_ASSIGN(Promotion rejected, registry_->RejectPromotion("m", second.id, "bob", "AUC too close"));
  EXPECT_EQ(rejected.state, PromotionState::kRejected);
  LEPTON_ASSERT_OK_AND_ASSIGN(Promotion third, registry_->RequestPromotion("m", 2, "production", "ada", ""));
  LEPTON_ASSERT_OK_AND_ASSIGN(Promotion cancelled, registry_->CancelPromotion("m", third.id, "ada", "wrong version"));
  EXPECT_EQ(cancelled.state, PromotionState::kCancelled);
  EXPECT_EQ(registry_->GetVersionByAlias("m", "production")->version, 1);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto all, registry_->ListPromotions("m"));
  EXPECT_EQ(all.size(), 3u);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto pending, registry_->ListPromotions("m", "pending"));
  EXPECT_TRUE(pending.empty());
  // A protected alias cannot be removed by one person either.
  EXPECT_THAT(registry_->DeleteAlias("m", "production", "ada"), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("protected")));
  // A request to an unprotected alias that passes the gates is applied at once.
  LEPTON_ASSERT_OK_AND_ASSIGN(Promotion staging, registry_->RequestPromotion("m", 2, "staging", "ada", ""));
  EXPECT_EQ(staging.state, PromotionState::kApproved);
  EXPECT_EQ(registry_->GetVersionByAlias("m", "staging")->version, 2);
}

TEST_P(RegistryTest, NotWorseThanProductionIsCheckedAtRequestAndAgainAtApproval) {
  ASSERT_OK(registry_->CreateModel("m", "", {}, "ada").status());
  ASSERT_OK(registry_->CreateVersionFromRun("m", TrainRun(1), "", "ada").status());                 // good
  ASSERT_OK(registry_->CreateVersionFromRun("m", TrainRun(1, {"region"}), "", "ada").status());     // chance
  ASSERT_OK(registry_->CreateVersionFromRun("m", TrainRun(1), "", "ada").status());                 // good again
  ASSERT_OK(registry_->SetPolicy("m", {{"not_worse_than", {{"alias", "production"}, {"metric", "auc"}, {"margin", 0.02}}}},
                                 "ada").status());
  // Nothing in production: the chance model would pass this gate now, so request it while
  // empty, then put the good one in production before anyone approves it.
  LEPTON_ASSERT_OK_AND_ASSIGN(Promotion weak, registry_->RequestPromotion("m", 2, "production", "ada", ""));
  LEPTON_ASSERT_OK_AND_ASSIGN(Promotion good, registry_->RequestPromotion("m", 1, "production", "ada", ""));
  ASSERT_OK(registry_->ApprovePromotion("m", good.id, "bob", "").status());
  auto late = registry_->ApprovePromotion("m", weak.id, "bob", "");
  EXPECT_THAT(late, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no longer passes")));
  EXPECT_THAT(late.status().message(), HasSubstr("behind production"));
  EXPECT_EQ(registry_->GetPromotion("m", weak.id)->state, PromotionState::kPending);
  EXPECT_EQ(registry_->GetVersionByAlias("m", "production")->version, 1);
  // Now a request of the weak model fails at once, naming both numbers; the equal one passes.
  EXPECT_THAT(registry_->RequestPromotion("m", 2, "production", "ada", ""),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("version 1 behind production")));
  LEPTON_ASSERT_OK_AND_ASSIGN(GateReport same, registry_->CheckGates("m", 3, "production"));
  EXPECT_TRUE(same.passed) << same.ToJson();
  EXPECT_EQ(same.gates[0].limit["incumbent_version"], 1);
}

TEST_P(RegistryTest, ModelCardsAreGeneratedFromTheBundleAndEditable) {
  ASSERT_OK(registry_->CreateModel("m", "", {}, "ada").status());
  ASSERT_OK(registry_->CreateVersionFromRun("m", TrainRun(), "PD model", "ada").status());
  LEPTON_ASSERT_OK_AND_ASSIGN(Json card, registry_->GetCard("m", 1));
  EXPECT_EQ(card["model"], "m");
  EXPECT_EQ(card["flavor"], "logistic");
  EXPECT_EQ(card["description"], "PD model");
  EXPECT_EQ(card["training_data"]["rows"], 300);
  EXPECT_EQ(card["training_data"]["test_rows"], 90);
  EXPECT_TRUE(card["training_data"]["label_balance"].contains("train"));
  ASSERT_EQ(card["features"].size(), 2u);
  EXPECT_TRUE(card["metrics"]["auc"]["value"].is_number());
  ASSERT_TRUE(card["metrics"]["auc"].contains("ci_lower")) << card["metrics"];
  EXPECT_LE(card["metrics"]["auc"]["ci_lower"].get<double>(), card["metrics"]["auc"]["value"].get<double>());
  EXPECT_GE(card["metrics"]["auc"]["ci_upper"].get<double>(), card["metrics"]["auc"]["value"].get<double>());
  EXPECT_TRUE(card["fairness"].contains("region"));
  EXPECT_EQ(card["status"], "draft");
  EXPECT_EQ(card["intended_use"], "");

  LEPTON_ASSERT_OK_AND_ASSIGN(card, registry_->UpdateCard("m", 1, {{"intended_use", "pre-screening"},
                                                                     {"owners", {"credit-risk"}},
                                                                     {"risk_rating", "high"}}, "ada"));
  EXPECT_EQ(card["intended_use"], "pre-screening");
  LEPTON_ASSERT_OK_AND_ASSIGN(card, registry_->UpdateCard("m", 1, {{"limitations", "trained on 300 rows"}}, "bob"));
  EXPECT_EQ(card["intended_use"], "pre-screening");  // earlier edits kept
  EXPECT_EQ(card["limitations"], "trained on 300 rows");
  EXPECT_THAT(registry_->UpdateCard("m", 1, {{"metrics", {}}}, "ada"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("card.metrics: not an editable field")));
  EXPECT_THAT(registry_->UpdateCard("m", 1, {{"risk_rating", "extreme"}}, "ada"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("card.risk_rating: expected one of high")));
  EXPECT_THAT(registry_->UpdateCard("m", 2, {{"limitations", "x"}}, "ada"), StatusIs(absl::StatusCode::kNotFound));
  const std::string md = CardMarkdown(card);
  EXPECT_THAT(md, HasSubstr("# Model card: m version 1"));
  EXPECT_THAT(md, HasSubstr("## Intended use\n\npre-screening"));
  EXPECT_THAT(md, HasSubstr("| auc | "));
  EXPECT_THAT(md, HasSubstr("### region"));
}

// Lineage both ways through the real lake: two ingests and a cleaning run make version 2 of
// credit/applicants; a model trained on it is registered; its lineage names the run, the
// dataset version and every step behind it with the source files' sha256; and the dataset
// version leads back to the model version.
TEST_P(RegistryTest, LineageFromModelVersionToSourcesAndBack) {
  ASSERT_OK(MakeDirs(root_));
  lake::Lake lake(root_ + "/lake", *store_, Clock::System());
  RegistryService registry(*store_, Clock::System(), root_ + "/models2", *tracking_, &lake.catalog());
  auto csv = [&](const std::string& file, uint64_t seed) {
    const lake::RecordBatch b = Data(200, seed);
    std::string text = "income,region,label\n";
    for (int64_t i = 0; i < b.num_rows(); ++i) {
      text += StrCat(b.column(0).ValueAt<double>(i), ",", b.column(1).StringAt(i), ",", b.column(2).StringAt(i), "\n");
    }
    text += "0.5,north,good\n0.5,north,good\n";  // a duplicate for the cleaning run to drop
    const std::string path = root_ + "/" + file;
    EXPECT_OK(WriteFileAtomically(path, text));
    return path;
  };
  LEPTON_ASSERT_OK_AND_ASSIGN(lake::IngestResult first,
                              lake.Ingest({.ns = "credit", .name = "applicants", .path = csv("jan.csv", 3), .user = "ada"}));
  LEPTON_ASSERT_OK_AND_ASSIGN(lake::IngestResult second,
                              lake.Ingest({.ns = "credit", .name = "applicants", .path = csv("feb.csv", 4), .user = "ada"}));
  ASSERT_OK(lake.Clean("credit", "applicants", "rules:\n  - dedup: {}\n", "ada").status());

  auto config = train::ModelConfig::FromJson(
      {{"dataset", {{"name", "credit/applicants"}}},
       {"target", {{"column", "label"}, {"positive_class", "bad"}}},
       {"learner", {{"flavor", "logistic"}}},
       {"experiment", {{"name", "credit/lineage"}}}});
  ASSERT_OK(config.status());
  train::ModelBuilder builder(*config, {.tracking = tracking_.get(), .lake = &lake});
  LEPTON_ASSERT_OK_AND_ASSIGN(train::Model model, builder.build_and_train());
  ASSERT_OK(registry.CreateModel("m", "", {}, "ada").status());
  ASSERT_OK(registry.CreateVersionFromRun("m", model.run_id(), "", "ada").status());

  LEPTON_ASSERT_OK_AND_ASSIGN(Json lineage, registry.VersionLineage("m", 1));
  EXPECT_EQ(lineage["run"]["id"], model.run_id());
  EXPECT_EQ(lineage["run"]["status"], "finished");
  ASSERT_EQ(lineage["datasets"].size(), 1u);
  const Json& d = lineage["datasets"][0];
  EXPECT_EQ(d["dataset"], "credit/applicants");
  EXPECT_EQ(d["version"], 2);
  EXPECT_EQ(d["context"], "training");
  ASSERT_EQ(d["provenance"].size(), 3u) << d;
  EXPECT_EQ(d["provenance"][0]["kind"], "clean");
  EXPECT_EQ(d["provenance"][0]["version"], 2);
  EXPECT_EQ(d["provenance"][0]["detail"]["input_version"], 1);
  EXPECT_EQ(d["provenance"][1]["kind"], "ingest");
  EXPECT_EQ(d["provenance"][1]["detail"]["source"]["file"], "feb.csv");
  EXPECT_EQ(d["provenance"][1]["detail"]["source"]["sha256"], second.sha256);
  EXPECT_EQ(d["provenance"][2]["detail"]["source"]["sha256"], first.sha256);

  // Data → models.
  LEPTON_ASSERT_OK_AND_ASSIGN(auto on_v2, registry.VersionsTrainedOn("credit/applicants", 2));
  ASSERT_EQ(on_v2.size(), 1u);
  EXPECT_EQ(on_v2[0].name, "m");
  EXPECT_EQ(on_v2[0].version, 1);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto on_any, registry.VersionsTrainedOn("credit/applicants"));
  EXPECT_EQ(on_any.size(), 1u);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto on_v0, registry.VersionsTrainedOn("credit/applicants", 0));
  EXPECT_TRUE(on_v0.empty());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto elsewhere, registry.VersionsTrainedOn("credit/other"));
  EXPECT_TRUE(elsewhere.empty());
}

// A model trained by Python's xgboost, imported with a declared signature: a ready version
// that predicts as it did in Python; a signature that does not fit takes no version number.
TEST_P(RegistryTest, ImportedXGBoostModelsBecomeVersions) {
  const std::string dir = root_ + "/py";
  ASSERT_OK(MakeDirs(dir));
  const std::string script = R"(import json, sys, numpy as np, xgboost as xgb
rng = np.random.default_rng(5)
x = rng.normal(size=(200, 3)); y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
b = xgb.train({"objective": "binary:logistic", "max_depth": 2, "nthread": 1}, xgb.DMatrix(x, label=y), 10)
b.save_model(sys.argv[1] + "/model.json")
rows = [[0.5, -1.0, 2.0], [-0.3, 0.2, 0.0]]
json.dump({"rows": rows, "p": b.predict(xgb.DMatrix(np.array(rows))).astype(float).tolist()}, open(sys.argv[1] + "/expected.json", "w"))
)";
  ASSERT_OK(WriteFileAtomically(dir + "/train.py", script));
  ASSERT_EQ(std::system(StrCat("/usr/bin/python3 ", dir, "/train.py ", dir).c_str()), 0) << "python3 with xgboost is required";
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string bytes, ReadFile(dir + "/model.json"));
  const Json expected = *ParseJson(*ReadFile(dir + "/expected.json"));
  const Json signature = {{"inputs", {{{"name", "a"}, {"type", "double"}}, {{"name", "b"}, {"type", "double"}},
                                      {{"name", "c"}, {"type", "double"}}}},
                          {"task", "binary"}, {"classes", {"good", "bad"}}, {"threshold", 0.5}};
  ASSERT_OK(registry_->CreateModel("imported", "", {}, "ada").status());
  LEPTON_ASSERT_OK_AND_ASSIGN(ModelVersion v, registry_->CreateVersionFromImport("imported", "xgboost", bytes, signature,
                                                                                 "from the notebook", "ada"));
  EXPECT_EQ(v.version, 1);
  EXPECT_EQ(v.source, "import:xgboost");
  EXPECT_EQ(v.flavor, "xgboost");
  EXPECT_EQ(v.status, VersionStatus::kReady);
  LEPTON_ASSERT_OK_AND_ASSIGN(train::Model model, registry_->LoadVersion("imported", 1));
  lake::RecordBatch rows(lake::Schema({{"a", lake::DataType::kDouble}, {"b", lake::DataType::kDouble},
                                       {"c", lake::DataType::kDouble}}));
  for (const Json& r : expected["rows"]) {
    for (size_t c = 0; c < 3; ++c) rows.mutable_column(c).AppendDouble(r[c].get<double>());
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(train::Predictions p, model.Predict(rows));
  ASSERT_EQ(p.scores.size(), 2u);
  for (size_t i = 0; i < 2; ++i) EXPECT_NEAR(p.scores[i], expected["p"][i].get<double>(), 1e-6);
  EXPECT_EQ(p.labels[0], expected["p"][0].get<double>() >= 0.5 ? "bad" : "good");

  Json two_inputs = signature;
  two_inputs["inputs"].erase(2);
  EXPECT_THAT(registry_->CreateVersionFromImport("imported", "xgboost", bytes, two_inputs, "", "ada"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(registry_->CreateVersionFromImport("imported", "prophet", bytes, signature, "", "ada"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("xgboost")));
  EXPECT_THAT(registry_->CreateVersionFromImport("imported", "xgboost", "not a model", signature, "", "ada"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(registry_->CreateVersionFromImport("nope", "xgboost", bytes, signature, "", "ada"),
              StatusIs(absl::StatusCode::kNotFound));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto versions, registry_->ListVersions("imported"));
  EXPECT_EQ(versions.size(), 1u);  // refused imports take no number
  LEPTON_ASSERT_OK_AND_ASSIGN(ModelVersion next, registry_->CreateVersionFromImport("imported", "xgboost", bytes, signature, "", "ada"));
  EXPECT_EQ(next.version, 2);
}

INSTANTIATE_TEST_SUITE_P(Stores, RegistryTest, ::testing::ValuesIn(store::testing::TestStoreKinds()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace lepton::registry
