// Deployments on a real store and registry with real models: hot reload on alias moves, a
// failed load that keeps the old version serving, draining, rollback, admission control,
// restart, and the watcher.

#include "lepton/serving/deployment_service.h"

#include "lepton/serving/drift_monitor.h"
#include "lepton/serving/prediction_log.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <random>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/crypto.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/store/testing/test_store.h"
#include "lepton/train/json_rows.h"
#include "lepton/train/model_builder.h"
#include "lepton/train/testing/data.h"

namespace lepton::serving {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

lake::RecordBatch Data(int64_t rows, uint64_t seed) { return train::testing::Applicants(rows, seed); }

class DeploymentTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LEPTON_ASSERT_OK_AND_ASSIGN(store_, store::testing::OpenTestStore(GetParam()));
    root_ = (std::filesystem::temp_directory_path() / StrCat("lepton_serving_", ::getpid(), "_", HexEncode(RandomBytes(6)))).string();
    tracking_ = std::make_unique<tracking::TrackingService>(*store_, Clock::System(), root_ + "/artifacts");
    registry_ = std::make_unique<registry::RegistryService>(*store_, Clock::System(), root_ + "/models", *tracking_);
    ASSERT_OK(registry_->CreateModel("scorer", "", {}, "ada").status());
    ASSERT_OK(registry_->SetPolicy("scorer", {{"protected_aliases", Json::array()}}, "ada").status());
    for (uint64_t seed : {1, 2, 3}) {
      auto config = train::ModelConfig::FromJson({{"dataset", {{"name", "test/applicants"}}},
                                                  {"target", {{"column", "label"}, {"positive_class", "bad"}}},
                                                  {"learner", {{"flavor", "logistic"}}},
                                                  {"split", {{"method", "stratified"}, {"test_fraction", 0.3}, {"seed", seed}}},
                                                  {"permutation_importance", false},
                                                  {"bootstrap", false},
                                                  {"experiment", {{"name", "serving/test"}}}});
      ASSERT_OK(config.status());
      train::ModelBuilder builder(*config, {.tracking = tracking_.get()});
      LEPTON_ASSERT_OK_AND_ASSIGN(train::Model model, builder.build_and_train(Data(300, seed)));
      ASSERT_OK(registry_->CreateVersionFromRun("scorer", model.run_id(), "", "ada").status());
    }
    ASSERT_OK(registry_->SetAlias("scorer", "live", 1, "ada").status());
    service_ = std::make_unique<DeploymentService>(*store_, Clock::System(), *registry_);
  }
  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(root_);
  }

  DeploymentSpec Spec(std::string alias = "live") {
    DeploymentSpec s;
    s.model = "scorer";
    s.alias = std::move(alias);
    return s;
  }
  int64_t Serving(const std::string& name = "web") {
    auto m = service_->Current(name);
    return m.ok() ? (*m)->version : -1;
  }

  std::unique_ptr<store::MetaStore> store_;
  std::string root_;
  std::unique_ptr<tracking::TrackingService> tracking_;
  std::unique_ptr<registry::RegistryService> registry_;
  std::unique_ptr<DeploymentService> service_;
};

TEST_P(DeploymentTest, ServesTheAliasAndSwitchesWhenItMovesWhileOldRequestsFinish) {
  LEPTON_ASSERT_OK_AND_ASSIGN(Deployment d, service_->Create("web", Spec(), "ada"));
  EXPECT_EQ(d.revision, 1);
  EXPECT_EQ(Serving(), 1);
  DeploymentStatus st = service_->Status("web");
  EXPECT_EQ(st.state, "ready");
  EXPECT_GT(st.load_seconds, 0.0);
  EXPECT_TRUE(service_->AllReady());

  // A request holding version 1 keeps it while the alias moves and the deployment switches.
  LEPTON_ASSERT_OK_AND_ASSIGN(auto held, service_->Current("web"));
  ASSERT_OK(registry_->SetAlias("scorer", "live", 2, "ada").status());
  LEPTON_ASSERT_OK_AND_ASSIGN(st, service_->Refresh("web"));
  EXPECT_EQ(st.serving_version, 2);
  EXPECT_EQ(Serving(), 2);
  EXPECT_EQ(held->version, 1);
  LEPTON_ASSERT_OK_AND_ASSIGN(train::Predictions p, held->bundle->Predict(Data(5, 9)));
  EXPECT_EQ(p.scores.size(), 5u);  // the drained model still predicts
  std::weak_ptr<const LoadedModel> old = held;
  held.reset();
  EXPECT_TRUE(old.expired());  // unloaded once its last request let go

  EXPECT_THAT(service_->Current("web", 1), StatusIs(absl::StatusCode::kNotFound, HasSubstr("serves version 2")));
  EXPECT_OK(service_->Current("web", 2).status());
  EXPECT_THAT(service_->Current("nope"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(DeploymentTest, AVersionThatFailsToLoadLeavesTheOldOneServing) {
  ASSERT_OK(service_->Create("web", Spec(), "ada").status());
  // Damage version 3 on disk, then point the alias at it.
  const std::string pipeline = registry_->BundleDir("scorer", 3) + "/pipeline.json";
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string text, ReadFile(pipeline));
  text[text.size() / 2] ^= 1;
  ASSERT_OK(WriteFileAtomically(pipeline, text));
  ASSERT_OK(registry_->SetAlias("scorer", "live", 3, "ada").status());
  LEPTON_ASSERT_OK_AND_ASSIGN(DeploymentStatus st, service_->Refresh("web"));
  EXPECT_EQ(st.state, "degraded");
  EXPECT_EQ(st.serving_version, 1);
  EXPECT_EQ(st.target_version, 3);
  EXPECT_THAT(st.last_error, HasSubstr("pipeline.json"));
  EXPECT_EQ(Serving(), 1);
  // Once the alias points at a good version again, the deployment recovers.
  ASSERT_OK(registry_->SetAlias("scorer", "live", 2, "ada").status());
  LEPTON_ASSERT_OK_AND_ASSIGN(st, service_->Refresh("web"));
  EXPECT_EQ(st.state, "ready");
  EXPECT_EQ(st.serving_version, 2);
  EXPECT_EQ(st.last_error, "");
  // Creating a deployment on the damaged version fails and leaves nothing behind.
  DeploymentSpec bad = Spec("");
  bad.version = 3;
  EXPECT_THAT(service_->Create("broken", bad, "ada"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(service_->Get("broken"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(DeploymentTest, RollbackPinsThePreviouslyServedVersion) {
  ASSERT_OK(service_->Create("web", Spec(), "ada").status());
  EXPECT_THAT(service_->Rollback("web", "ada"), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("only version 1")));
  ASSERT_OK(registry_->SetAlias("scorer", "live", 2, "ada").status());
  ASSERT_OK(service_->Refresh("web").status());
  LEPTON_ASSERT_OK_AND_ASSIGN(Deployment d, service_->Rollback("web", "bob"));
  EXPECT_EQ(d.spec.version, 1);
  EXPECT_EQ(d.spec.alias, "");
  EXPECT_EQ(d.revision, 2);
  EXPECT_EQ(d.updated_by, "bob");
  EXPECT_EQ(Serving(), 1);
  // Pinned: the alias moving no longer changes what it serves.
  ASSERT_OK(registry_->SetAlias("scorer", "live", 3, "ada").status());
  ASSERT_OK(service_->Refresh("web").status());
  EXPECT_EQ(Serving(), 1);
  // Back on the alias by an update.
  LEPTON_ASSERT_OK_AND_ASSIGN(d, service_->Update("web", Spec(), "ada", "follow live again"));
  EXPECT_EQ(d.revision, 3);
  EXPECT_EQ(Serving(), 3);
}

TEST_P(DeploymentTest, AdmissionBoundsConcurrencyAndTheQueue) {
  DeploymentSpec s = Spec();
  s.max_concurrency = 1;
  s.max_queue = 1;
  s.queue_timeout_ms = 3000;
  ASSERT_OK(service_->Create("web", s, "ada").status());
  LEPTON_ASSERT_OK_AND_ASSIGN(DeploymentService::Ticket first, service_->Admit("web"));
  // A second request waits in the queue; a third finds the queue full at once.
  std::atomic<bool> second_admitted{false};
  std::thread waiter([&] {
    auto t = service_->Admit("web");
    second_admitted = t.ok();
  });
  for (int i = 0; i < 200 && service_->Status("web").queued == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(service_->Status("web").queued, 1);
  EXPECT_THAT(service_->Admit("web"), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("at capacity")));
  { DeploymentService::Ticket released = std::move(first); }  // the running request ends
  waiter.join();
  EXPECT_TRUE(second_admitted.load());
  DeploymentStatus st = service_->Status("web");
  EXPECT_EQ(st.rejected, 1);
  EXPECT_EQ(st.in_flight, 0);
  // A wait that times out is rejected too.
  s.queue_timeout_ms = 50;
  ASSERT_OK(service_->Update("web", s, "ada").status());
  LEPTON_ASSERT_OK_AND_ASSIGN(DeploymentService::Ticket busy, service_->Admit("web"));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(service_->Admit("web"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(45));
}

TEST_P(DeploymentTest, SpecErrorsAndNames) {
  EXPECT_THAT(DeploymentSpec::FromJson({{"model", "scorer"}}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exactly one of alias and version")));
  EXPECT_THAT(DeploymentSpec::FromJson({{"model", "scorer"}, {"alias", "live"}, {"version", 1}}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DeploymentSpec::FromJson({{"model", "scorer"}, {"alias", "live"}, {"max_concurrency", 0}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("deployment.max_concurrency")));
  EXPECT_THAT(DeploymentSpec::FromJson({{"model", "scorer"}, {"alias", "live"}, {"replicas", 2}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("deployment.replicas: unknown field")));
  LEPTON_ASSERT_OK_AND_ASSIGN(DeploymentSpec round, DeploymentSpec::FromJson(Spec().ToJson()));
  EXPECT_EQ(round.ToJson(), Spec().ToJson());
  EXPECT_THAT(service_->Create("Web App", Spec(), "ada"), StatusIs(absl::StatusCode::kInvalidArgument));
  DeploymentSpec unknown = Spec();
  unknown.model = "nope";
  EXPECT_THAT(service_->Create("web", unknown, "ada"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(service_->Create("web", Spec("missing"), "ada"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("alias 'missing'")));
  ASSERT_OK(service_->Create("web", Spec(), "ada").status());
  EXPECT_THAT(service_->Create("web", Spec(), "ada"), StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK(service_->Delete("web"));
  EXPECT_THAT(service_->Current("web"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(service_->Delete("web"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(DeploymentTest, ARestartServesTheSameAndTheWatcherFollowsAliasMoves) {
  ASSERT_OK(service_->Create("web", Spec(), "ada").status());
  DeploymentSpec pinned = Spec("");
  pinned.version = 2;
  ASSERT_OK(service_->Create("pinned", pinned, "ada").status());
  service_ = std::make_unique<DeploymentService>(*store_, Clock::System(), *registry_);
  ASSERT_OK(service_->Start(absl::Milliseconds(50)));
  EXPECT_EQ(Serving("web"), 1);
  EXPECT_EQ(Serving("pinned"), 2);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Deployment> all, service_->List());
  EXPECT_EQ(all.size(), 2u);
  ASSERT_OK(registry_->SetAlias("scorer", "live", 3, "ada").status());
  for (int i = 0; i < 200 && Serving("web") != 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  EXPECT_EQ(Serving("web"), 3);
  EXPECT_EQ(Serving("pinned"), 2);
}

TEST_P(DeploymentTest, CanaryTakesItsShareAndShadowComparesWithoutAnswering) {
  LEPTON_ASSERT_OK_AND_ASSIGN(DeploymentSpec s, DeploymentSpec::FromJson(
      {{"model", "scorer"}, {"alias", "live"}, {"canary", {{"version", 2}, {"percent", 25}}}, {"shadow", {{"version", 3}}}}));
  EXPECT_EQ(DeploymentSpec::FromJson(s.ToJson())->ToJson(), s.ToJson());
  ASSERT_OK(service_->Create("web", s, "ada").status());
  DeploymentStatus st = service_->Status("web");
  EXPECT_EQ(st.serving_version, 1);
  EXPECT_EQ(st.canary_version, 2);
  EXPECT_EQ(st.shadow_version, 3);

  // 25 % of uniformly spread keys go to the canary; the same key always to the same version.
  int canary = 0;
  std::mt19937_64 rng(11);
  for (int i = 0; i < 4000; ++i) {
    const uint64_t key = rng();
    LEPTON_ASSERT_OK_AND_ASSIGN(DeploymentService::Routed r, service_->Route("web", 0, key));
    canary += r.canary;
    EXPECT_EQ(r.serve->version, r.canary ? 2 : 1);
    ASSERT_NE(r.shadow, nullptr);
    EXPECT_EQ(r.shadow->version, 3);
    EXPECT_EQ(service_->Route("web", 0, key)->canary, r.canary);
  }
  EXPECT_NEAR(canary / 4000.0, 0.25, 0.03);
  // A versioned request picks exactly that version, canary included; others are unknown.
  EXPECT_EQ(service_->Route("web", 2, 0)->serve->version, 2);
  EXPECT_EQ(service_->Route("web", 1, 0)->serve->version, 1);
  EXPECT_THAT(service_->Route("web", 3, 0), StatusIs(absl::StatusCode::kNotFound, HasSubstr("canary 2")));

  // The shadow answers copies in the background; its differences are counted.
  const lake::RecordBatch rows = Data(50, 21);
  LEPTON_ASSERT_OK_AND_ASSIGN(DeploymentService::Routed r, service_->Route("web", 1, 0));
  LEPTON_ASSERT_OK_AND_ASSIGN(train::Predictions served, r.serve->bundle->Predict(rows));
  LEPTON_ASSERT_OK_AND_ASSIGN(train::Predictions theirs, r.shadow->bundle->Predict(rows));
  for (int i = 0; i < 3; ++i) service_->Shadow("web", r.shadow, rows, served);
  service_->DrainShadow();
  st = service_->Status("web");
  EXPECT_EQ(st.shadow.compared, 3);
  EXPECT_EQ(st.shadow.rows, 150);
  int agree = 0;
  double max_diff = 0;
  for (size_t i = 0; i < 50; ++i) {
    agree += served.labels[i] == theirs.labels[i];
    max_diff = std::max(max_diff, std::fabs(served.scores[i] - theirs.scores[i]));
  }
  EXPECT_EQ(st.shadow.label_agreements, 3 * agree);
  EXPECT_DOUBLE_EQ(st.shadow.max_abs_score_diff, max_diff);
  EXPECT_GT(max_diff, 0.0);  // different training seeds, different models

  // Dropping the canary and shadow from the spec unloads them.
  ASSERT_OK(service_->Update("web", Spec(), "ada").status());
  st = service_->Status("web");
  EXPECT_EQ(st.canary_version, 0);
  EXPECT_EQ(st.shadow_version, 0);
  EXPECT_EQ(service_->Route("web", 0, 0)->shadow, nullptr);
  EXPECT_THAT(DeploymentSpec::FromJson({{"model", "scorer"}, {"alias", "live"}, {"canary", {{"version", 2}}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("deployment.canary.percent: required")));
  EXPECT_THAT(DeploymentSpec::FromJson({{"model", "scorer"}, {"alias", "live"}, {"canary", {{"version", 2}, {"percent", 101}}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("[0, 100]")));
  DeploymentSpec missing = Spec();
  missing.shadow = VersionTarget{.alias = "nope"};
  EXPECT_THAT(service_->Update("web", missing, "ada"), StatusIs(absl::StatusCode::kNotFound));
}

// Drift on demand and on a schedule, from the prediction log, kept as a time series.
TEST_P(DeploymentTest, BatchedDeploymentsAnswerEachRequestLikeUnbatchedOnes) {
  DeploymentSpec spec = Spec();
  spec.batching = {.max_batch_rows = 16, .max_queue_delay = absl::Milliseconds(20)};
  LEPTON_ASSERT_OK_AND_ASSIGN(Deployment d, service_->Create("web", spec, "ada"));
  EXPECT_EQ(d.spec.batching.max_batch_rows, 16);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto loaded, service_->Current("web"));
  ASSERT_NE(loaded->batcher, nullptr);
  // The spec round-trips through the store (a restart batches the same way).
  LEPTON_ASSERT_OK_AND_ASSIGN(Deployment stored, service_->Get("web"));
  EXPECT_EQ(stored.spec.batching.max_batch_rows, 16);
  EXPECT_EQ(stored.spec.batching.max_queue_delay, absl::Milliseconds(20));

  // 8 clients × 3 requests of 1-3 rows: every answer equals the model's own prediction of those rows.
  const lake::RecordBatch all = Data(48, 11);
  LEPTON_ASSERT_OK_AND_ASSIGN(train::Predictions expected, loaded->bundle->Predict(all));
  std::atomic<int> mismatches = 0, answered = 0;
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      for (int k = 0; k < 3; ++k) {
        const int64_t offset = c * 6 + k * 2, rows = 1 + (c + k) % 2;
        std::promise<absl::StatusOr<train::Predictions>> got;
        loaded->batcher->Submit(std::make_shared<const lake::RecordBatch>(all.Slice(offset, rows)),
                                [&got](absl::StatusOr<train::Predictions> p, int64_t) { got.set_value(std::move(p)); });
        absl::StatusOr<train::Predictions> p = got.get_future().get();
        if (!p.ok() || p->scores.size() != static_cast<size_t>(rows)) {
          ++mismatches;
          continue;
        }
        for (int64_t r = 0; r < rows; ++r) {
          if (p->scores[r] != expected.scores[offset + r] || p->labels[r] != expected.labels[offset + r]) ++mismatches;
        }
        ++answered;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(answered.load(), 24);
  EXPECT_EQ(mismatches.load(), 0);
  const Batcher::Stats stats = loaded->batcher->stats();
  EXPECT_EQ(stats.requests, 24);
  EXPECT_LE(stats.batches, 24);

  // Turning batching off (or changing it) needs no reload: the same bundle, another batcher.
  spec.batching = {};
  ASSERT_OK(service_->Update("web", spec, "ada", "no batching").status());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto unbatched, service_->Current("web"));
  EXPECT_EQ(unbatched->batcher, nullptr);
  EXPECT_EQ(unbatched->bundle, loaded->bundle);
  EXPECT_THAT(DeploymentSpec::FromJson({{"model", "scorer"}, {"alias", "live"}, {"batching", {{"max_batch_size", -3}}}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("deployment.batching.max_batch_size")));
}

TEST_P(DeploymentTest, DriftChecksOnDemandAndOnAScheduleAreKept) {
  ASSERT_OK(service_->Create("web", Spec(), "ada").status());
  PredictionLog log(root_ + "/predictions", Clock::System());
  DriftMonitor drift(*store_, Clock::System(), *service_, log);
  EXPECT_THAT(drift.Check("web"), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no logged requests")));
  // Logged traffic whose income is far above the training data's.
  LEPTON_ASSERT_OK_AND_ASSIGN(auto loaded, service_->Current("web"));
  const lake::RecordBatch rows = Data(200, 5);
  LEPTON_ASSERT_OK_AND_ASSIGN(train::Predictions p, loaded->bundle->Predict(rows));
  for (int64_t r = 0; r < rows.num_rows(); ++r) {
    Json row = train::RowToJson(rows, r);
    row["income"] = row["income"].get<double>() + 5.0;
    log.Record({{"deployment", "web"}, {"version", loaded->version}, {"rows", {row}}, {"scores", {p.scores[static_cast<size_t>(r)]}}});
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(Json result, drift.Check("web", 500));
  EXPECT_EQ(result["rows"], 200);
  EXPECT_EQ(result["version"], 1);
  EXPECT_EQ(result["columns"]["income"]["level"], "significant");
  EXPECT_EQ(result["columns"]["region"]["level"], "none");
  EXPECT_GE(result["max_psi"].get<double>(), result["columns"]["income"]["psi"].get<double>());
  // The schedule adds results to the same series.
  drift.StartSchedule(absl::Milliseconds(30), /*min_rows=*/100);
  std::vector<Json> history;
  for (int i = 0; i < 200; ++i) {
    LEPTON_ASSERT_OK_AND_ASSIGN(history, drift.History("web"));
    if (history.size() >= 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  drift.Stop();
  ASSERT_GE(history.size(), 3u);
  EXPECT_GE(history[0]["computed_at"].get<std::string>(), history.back()["computed_at"].get<std::string>());  // newest first
  EXPECT_EQ(history.back()["columns"]["income"]["level"], "significant");
}

INSTANTIATE_TEST_SUITE_P(Stores, DeploymentTest, ::testing::ValuesIn(store::testing::TestStoreKinds()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace lepton::serving
