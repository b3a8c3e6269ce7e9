#include "lepton/train/training_job.h"

#include <filesystem>
#include <future>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/clock.h"
#include "lepton/base/files.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/store/testing/test_store.h"
#include "lepton/train/model.h"
#include "lepton/train/testing/data.h"

namespace lepton::train {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

using ::lepton::train::testing::ExampleConfig;
class TrainingJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LEPTON_ASSERT_OK_AND_ASSIGN(store_, store::testing::OpenTestStore("sqlite"));
    home_ = (std::filesystem::temp_directory_path() /
             ("lepton-train-job-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand())))
                .string();
    lake_ = std::make_unique<lake::Lake>(home_ + "/lake", *store_, Clock::System());
    tracking_ = std::make_unique<tracking::TrackingService>(*store_, Clock::System(), home_ + "/artifacts");
    runner_ = std::make_unique<jobs::JobRunner>(*store_, Clock::System(), 1);
    ASSERT_OK(runner_->Start());
    lake::IngestRequest r;
    r.ns = "credit";
    r.name = "german_credit";
    r.path = std::string(LEPTON_SOURCE_DIR) + "/examples/credit-scoring/german_credit.csv";
    ASSERT_OK(lake_->Ingest(r).status());
  }
  void TearDown() override { runner_.reset(); }

  std::unique_ptr<store::MetaStore> store_;
  std::string home_;
  std::unique_ptr<lake::Lake> lake_;
  std::unique_ptr<tracking::TrackingService> tracking_;
  std::unique_ptr<jobs::JobRunner> runner_;
};

TEST_F(TrainingJobTest, JobTrainsTracksAndReportsRunAndModelDir) {
  Json config = ExampleConfig("model_config.json");
  config["search"]["space"]["C"] = {0.1, 1.0};
  config["cv"]["folds"] = 3;
  LEPTON_ASSERT_OK_AND_ASSIGN(jobs::Job job, SubmitTrainingJob(*runner_, *lake_, *tracking_, config, "ada"));
  EXPECT_EQ(job.kind, "train");
  EXPECT_EQ(job.resource, "credit/german_credit");
  EXPECT_EQ(job.params["config"], config);
  LEPTON_ASSERT_OK_AND_ASSIGN(jobs::Job done, runner_->Wait(job.id, absl::Seconds(60)));
  ASSERT_EQ(done.state, jobs::JobState::kSucceeded) << done.error;
  const std::string run_id = done.result["run_id"];
  LEPTON_ASSERT_OK_AND_ASSIGN(tracking::Run run, tracking_->GetRun(run_id));
  EXPECT_EQ(run.info.job_id, job.id);
  EXPECT_EQ(run.info.user, "ada");
  EXPECT_EQ(run.info.status, tracking::RunStatus::kFinished);
  EXPECT_EQ(run.inputs[0].version, 0);
  // The configured report metrics, and a loadable model in the run's artifact folder.
  EXPECT_EQ(done.result["metrics"].size(), 7u);
  EXPECT_GT(done.result["metrics"]["auc"].get<double>(), 0.7);
  LEPTON_ASSERT_OK_AND_ASSIGN(Model model, Model::Load(done.result["model_dir"].get<std::string>()));
  EXPECT_EQ(model.run_id(), run_id);
}

TEST_F(TrainingJobTest, BadConfigIsRejectedBeforeQueuing) {
  Json config = ExampleConfig("model_config.json");
  config["split"]["test_fraction"] = 2;
  EXPECT_THAT(SubmitTrainingJob(*runner_, *lake_, *tracking_, config, "ada"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("split.test_fraction")));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto jobs, runner_->List("train", 10));
  EXPECT_TRUE(jobs.empty());
}

TEST_F(TrainingJobTest, UnknownDatasetFailsTheJobAndTheRun) {
  Json config = ExampleConfig("model_config.json");
  config["dataset"]["name"] = "credit/nope";
  LEPTON_ASSERT_OK_AND_ASSIGN(jobs::Job job, SubmitTrainingJob(*runner_, *lake_, *tracking_, config, "ada"));
  LEPTON_ASSERT_OK_AND_ASSIGN(jobs::Job done, runner_->Wait(job.id, absl::Seconds(30)));
  EXPECT_EQ(done.state, jobs::JobState::kFailed);
  EXPECT_THAT(done.error, HasSubstr("credit/nope"));
}

TEST_F(TrainingJobTest, CancelStopsARunningTrainingAndKillsItsRun) {
  Json config = ExampleConfig("model_config_xgboost.json");
  config.erase("search");
  config.erase("cv");
  config.erase("early_stopping");
  config["learner"]["params"]["n_estimators"] = 100000;
  LEPTON_ASSERT_OK_AND_ASSIGN(jobs::Job job, SubmitTrainingJob(*runner_, *lake_, *tracking_, config, "ada"));
  // Wait until the boosting rounds are running, then cancel.
  for (int i = 0; i < 500; ++i) {
    LEPTON_ASSERT_OK_AND_ASSIGN(jobs::Job j, runner_->Get(job.id));
    if (j.progress.value("phase", "") == "fit" && j.progress.value("round", 0) > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_OK(runner_->Cancel(job.id).status());
  LEPTON_ASSERT_OK_AND_ASSIGN(jobs::Job done, runner_->Wait(job.id, absl::Seconds(30)));
  EXPECT_EQ(done.state, jobs::JobState::kCancelled);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto experiment, tracking_->GetExperimentByName("credit/xgboost"));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto runs, tracking_->SearchRuns({.experiment_ids = {experiment.id}}));
  ASSERT_EQ(runs.runs.size(), 1u);
  EXPECT_EQ(runs.runs[0].info.status, tracking::RunStatus::kKilled);
}

// A process that dies mid-training leaves its job and run "running". The next start fails the
// job (JobRunner::Start) and `ReconcileInterruptedRuns` fails the run.
TEST_F(TrainingJobTest, RestartFailsTheRunOfAnInterruptedJob) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<std::string> run_created;
  tracking::TrackingService& tracking = *tracking_;
  LEPTON_ASSERT_OK_AND_ASSIGN(auto exp, tracking.CreateExperiment("credit/restart", "", {}, "ada"));
  auto job_id = std::make_shared<std::promise<std::string>>();
  std::shared_future<std::string> id = job_id->get_future().share();
  LEPTON_ASSERT_OK_AND_ASSIGN(
      jobs::Job job, runner_->Submit(kTrainJobKind, "credit/german_credit", Json::object(), "ada",
                                     [&, id](jobs::JobContext&) -> absl::StatusOr<Json> {
                                       auto run = tracking.CreateRun({.experiment_id = exp.id, .job_id = id.get()});
                                       run_created.set_value(run.ok() ? run->id : "");
                                       released.wait();  // "the process dies here"
                                       return Json::object();
                                     }));
  job_id->set_value(job.id);
  const std::string run_id = run_created.get_future().get();
  ASSERT_FALSE(run_id.empty());
  // A second runner on the same store plays the restarted server.
  jobs::JobRunner restarted(*store_, Clock::System(), 1);
  ASSERT_OK(restarted.Start());
  LEPTON_ASSERT_OK_AND_ASSIGN(jobs::Job interrupted, restarted.Get(job.id));
  EXPECT_EQ(interrupted.state, jobs::JobState::kFailed);
  LEPTON_ASSERT_OK_AND_ASSIGN(int failed, ReconcileInterruptedRuns(restarted, tracking));
  EXPECT_EQ(failed, 1);
  LEPTON_ASSERT_OK_AND_ASSIGN(tracking::Run run, tracking.GetRun(run_id));
  EXPECT_EQ(run.info.status, tracking::RunStatus::kFailed);
  EXPECT_THAT(run.tags["lepton.error"], HasSubstr("interrupted"));
  // Reconciling again finds nothing to do.
  LEPTON_ASSERT_OK_AND_ASSIGN(failed, ReconcileInterruptedRuns(restarted, tracking));
  EXPECT_EQ(failed, 0);
  release.set_value();
}

}  // namespace
}  // namespace lepton::train
