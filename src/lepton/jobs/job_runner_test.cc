#include "lepton/jobs/job_runner.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/store/testing/test_store.h"

namespace lepton::jobs {
namespace {

using ::lepton::testing::StatusIs;

class JobRunnerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LEPTON_ASSERT_OK_AND_ASSIGN(store_, store::testing::OpenTestStore(GetParam()));
  }
  std::unique_ptr<store::MetaStore> store_;
};

TEST_P(JobRunnerTest, RunsJobsAndRecordsResultsAndProgress) {
  JobRunner runner(*store_, Clock::System(), 2);
  ASSERT_OK(runner.Start());
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Job j, runner.Submit("test.ok", "ns/x", {{"n", 3}}, "ada", [](JobContext& ctx) -> absl::StatusOr<Json> {
        ctx.SetProgress({{"fraction", 0.5}});
        return Json{{"answer", 42}};
      }));
  EXPECT_EQ(j.state, JobState::kQueued);
  LEPTON_ASSERT_OK_AND_ASSIGN(Job done, runner.Wait(j.id, absl::Seconds(10)));
  EXPECT_EQ(done.state, JobState::kSucceeded);
  EXPECT_EQ(done.result["answer"], 42);
  EXPECT_EQ(done.params["n"], 3);
  EXPECT_FALSE(done.started_at.empty());
  EXPECT_FALSE(done.finished_at.empty());
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Job f, runner.Submit("test.fail", "ns/x", Json::object(), "ada", [](JobContext&) -> absl::StatusOr<Json> {
        return absl::InvalidArgumentError("bad input");
      }));
  LEPTON_ASSERT_OK_AND_ASSIGN(Job failed, runner.Wait(f.id, absl::Seconds(10)));
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_EQ(failed.error, "bad input");
  LEPTON_ASSERT_OK_AND_ASSIGN(auto list, runner.List("", 10));
  EXPECT_EQ(list.size(), 2u);
  EXPECT_THAT(runner.Get("nope"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(JobRunnerTest, RunningJobSeesCancellation) {
  JobRunner runner(*store_, Clock::System(), 1);
  ASSERT_OK(runner.Start());
  std::atomic<bool> started{false};
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Job j, runner.Submit("test.loop", "", Json::object(), "ada", [&](JobContext& ctx) -> absl::StatusOr<Json> {
        started = true;
        while (!ctx.cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return absl::CancelledError("stopped");
      }));
  // A second job queued behind the first is cancelled before it runs.
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Job queued, runner.Submit("test.never", "", Json::object(), "ada", [](JobContext&) -> absl::StatusOr<Json> {
        ADD_FAILURE() << "a cancelled queued job must not run";
        return Json();
      }));
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  LEPTON_ASSERT_OK_AND_ASSIGN(Job c2, runner.Cancel(queued.id));
  EXPECT_EQ(c2.state, JobState::kCancelled);
  ASSERT_OK(runner.Cancel(j.id));
  LEPTON_ASSERT_OK_AND_ASSIGN(Job done, runner.Wait(j.id, absl::Seconds(10)));
  EXPECT_EQ(done.state, JobState::kCancelled);
  EXPECT_THAT(runner.Cancel(j.id), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(JobRunnerTest, RestartMarksInterruptedJobsFailed) {
  ASSERT_OK(store_->Exec(
      "INSERT INTO jobs (id, kind, resource, state, params, progress, result, error, created_by, "
      "created_at, started_at, finished_at) VALUES ('j1', 'x', '', 'running', '{}', '{}', '', '', "
      "'ada', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '')"));
  JobRunner runner(*store_, Clock::System(), 1);
  ASSERT_OK(runner.Start());
  LEPTON_ASSERT_OK_AND_ASSIGN(Job j, runner.Get("j1"));
  EXPECT_EQ(j.state, JobState::kFailed);
  EXPECT_EQ(j.error, "interrupted: the server stopped before the job finished");
}

INSTANTIATE_TEST_SUITE_P(Stores, JobRunnerTest, ::testing::ValuesIn(store::testing::TestStoreKinds()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace lepton::jobs
