// Tests of `TrackingService` on every metadata store backend (SQLite always; PostgreSQL under
// tools/with-postgres.sh).

#include "lepton/tracking/tracking_service.h"

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/crypto.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/store/testing/test_store.h"

namespace lepton::tracking {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class TrackingTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LEPTON_ASSERT_OK_AND_ASSIGN(store_, store::testing::OpenTestStore(GetParam()));
    root_ = std::filesystem::temp_directory_path() /
            StrCat("lepton_tracking_", ::getpid(), "_", HexEncode(RandomBytes(6)));
    service_ = std::make_unique<TrackingService>(*store_, clock_, root_.string());
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  Experiment NewExperiment(const std::string& name) {
    auto e = service_->CreateExperiment(name, "test", {{"team", "risk"}}, "ada");
    EXPECT_OK(e);
    return e.ok() ? *e : Experiment{};
  }
  RunInfo NewRunIn(const Experiment& e, const std::string& name = "") {
    auto r = service_->CreateRun({.experiment_id = e.id, .name = name, .user = "ada"});
    EXPECT_OK(r);
    clock_.Advance(absl::Seconds(1));  // distinct start times
    return r.ok() ? *r : RunInfo{};
  }
  std::vector<std::string> Names(const std::vector<tracking::Run>& runs) {
    std::vector<std::string> out;
    for (const tracking::Run& r : runs) out.push_back(r.info.name);
    return out;
  }

  FakeClock clock_;
  std::unique_ptr<store::MetaStore> store_;
  std::filesystem::path root_;
  std::unique_ptr<TrackingService> service_;
};

TEST_P(TrackingTest, ExperimentsAreCreatedListedAndUniqueByName) {
  Experiment e = NewExperiment("credit/scorecard");
  EXPECT_FALSE(e.id.empty());
  EXPECT_EQ(e.created_by, "ada");
  LEPTON_ASSERT_OK_AND_ASSIGN(Experiment got, service_->GetExperiment(e.id));
  EXPECT_EQ(got.name, "credit/scorecard");
  EXPECT_EQ(got.tags.at("team"), "risk");
  EXPECT_FALSE(got.deleted);
  LEPTON_ASSERT_OK_AND_ASSIGN(got, service_->GetExperimentByName("credit/scorecard"));
  EXPECT_EQ(got.id, e.id);
  NewExperiment("credit/xgb");
  LEPTON_ASSERT_OK_AND_ASSIGN(auto list, service_->ListExperiments());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "credit/scorecard");
  EXPECT_THAT(service_->CreateExperiment("credit/scorecard", "", {}, "bob"),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("already exists")));
  for (const char* bad : {"", "Credit", "a//b", "/a", "a/", "a/../b", "has space"}) {
    EXPECT_THAT(service_->CreateExperiment(bad, "", {}, "ada"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid experiment name")))
        << bad;
  }
  EXPECT_THAT(service_->GetExperiment("nope"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(TrackingTest, SoftDeleteHidesExperimentFreezesRunsAndRestoreUndoesIt) {
  Experiment e = NewExperiment("churn");
  RunInfo run = NewRunIn(e);
  ASSERT_OK(service_->DeleteExperiment(e.id));
  EXPECT_THAT(service_->DeleteExperiment(e.id), StatusIs(absl::StatusCode::kFailedPrecondition));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto active, service_->ListExperiments(ViewType::kActiveOnly));
  EXPECT_TRUE(active.empty());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto deleted, service_->ListExperiments(ViewType::kDeletedOnly));
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_TRUE(deleted[0].deleted);
  // Still readable, no longer writable.
  LEPTON_ASSERT_OK_AND_ASSIGN(Experiment got, service_->GetExperiment(e.id));
  EXPECT_TRUE(got.deleted);
  EXPECT_OK(service_->GetRun(run.id).status());
  EXPECT_THAT(service_->LogMetric(run.id, "auc", 0.8),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("deleted experiment")));
  EXPECT_THAT(service_->CreateRun({.experiment_id = e.id}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(service_->CreateExperiment("churn", "", {}, "ada"),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("restore it instead")));

  ASSERT_OK(service_->RestoreExperiment(e.id));
  EXPECT_THAT(service_->RestoreExperiment(e.id), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_OK(service_->LogMetric(run.id, "auc", 0.8));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto all, service_->ListExperiments(ViewType::kAll));
  EXPECT_EQ(all.size(), 1u);
}

TEST_P(TrackingTest, ParamsAreImmutableAndBatchesAllOrNothing) {
  RunInfo run = NewRunIn(NewExperiment("p"));
  ASSERT_OK(service_->LogParams(run.id, {{"lr", "0.1"}, {"learner", "xgboost"}}));
  EXPECT_OK(service_->LogParam(run.id, "lr", "0.1"));  // same value: idempotent
  EXPECT_THAT(service_->LogParam(run.id, "lr", "0.2"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("param 'lr' of run '" + run.id +
                                 "' is already '0.1'; params are immutable (got '0.2')")));
  // A batch with one conflicting value writes none of its params.
  EXPECT_THAT(service_->LogParams(run.id, {{"depth", "6"}, {"lr", "0.3"}}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  LEPTON_ASSERT_OK_AND_ASSIGN(tracking::Run got, service_->GetRun(run.id));
  EXPECT_EQ(got.params.size(), 2u);
  EXPECT_EQ(got.params.at("lr"), "0.1");
  EXPECT_FALSE(got.params.contains("depth"));
  EXPECT_THAT(service_->LogParam(run.id, "", "x"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(service_->LogParam(run.id, std::string(251, 'k'), "x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(service_->LogParam(run.id, "big", std::string(6001, 'v')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exceeds 6000 bytes")));
  EXPECT_THAT(service_->LogParam("no-such-run", "a", "b"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(TrackingTest, MetricHistoryKeepsEveryStepAndRunShowsTheLatest) {
  RunInfo run = NewRunIn(NewExperiment("m"));
  // Steps out of order; the latest is the highest step, not the last logged.
  for (int64_t step : {2, 0, 4, 1, 3}) {
    ASSERT_OK(service_->LogMetric(run.id, "loss", 1.0 / static_cast<double>(step + 1), step));
    clock_.Advance(absl::Milliseconds(10));
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(auto history, service_->GetMetricHistory(run.id, "loss"));
  ASSERT_EQ(history.size(), 5u);
  for (int64_t i = 0; i < 5; ++i) {
    EXPECT_EQ(history[static_cast<size_t>(i)].step, i);
    EXPECT_DOUBLE_EQ(history[static_cast<size_t>(i)].value, 1.0 / static_cast<double>(i + 1));
  }
  EXPECT_GT(history[1].timestamp_ms, history[2].timestamp_ms);  // step 1 was logged after step 2
  LEPTON_ASSERT_OK_AND_ASSIGN(tracking::Run got, service_->GetRun(run.id));
  EXPECT_EQ(got.metrics.at("loss").step, 4);
  EXPECT_DOUBLE_EQ(got.metrics.at("loss").value, 0.2);
  // The same step logged again later wins; an older timestamp at the same step does not.
  ASSERT_OK(service_->LogMetrics(run.id, {{"loss", 0.15, 4, 0}}));
  ASSERT_OK(service_->LogMetrics(run.id, {{"loss", 0.01, 4, 1000}}));  // 1970: older
  LEPTON_ASSERT_OK_AND_ASSIGN(got, service_->GetRun(run.id));
  EXPECT_DOUBLE_EQ(got.metrics.at("loss").value, 0.15);
  LEPTON_ASSERT_OK_AND_ASSIGN(history, service_->GetMetricHistory(run.id, "loss"));
  EXPECT_EQ(history.size(), 7u);  // append-only
  LEPTON_ASSERT_OK_AND_ASSIGN(history, service_->GetMetricHistory(run.id, "never"));
  EXPECT_TRUE(history.empty());
  EXPECT_THAT(service_->LogMetric(run.id, "loss", std::nan("")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("finite")));
}

TEST_P(TrackingTest, TagsAreMutableAndInputsRecordDatasetVersions) {
  RunInfo run = NewRunIn(NewExperiment("t"));
  ASSERT_OK(service_->SetTag(run.id, "stage", "draft"));
  ASSERT_OK(service_->SetTag(run.id, "stage", "final"));
  ASSERT_OK(service_->LogInputs(run.id, {{"credit/german", 3, "sha-a", "training"},
                                         {"credit/german", 3, "sha-a", "test"}}));
  ASSERT_OK(service_->LogInput(run.id, {"credit/german", 3, "sha-a", "training"}));  // no-op
  EXPECT_THAT(service_->LogInput(run.id, {"german", 3, "", "training"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("<namespace>/<name>")));
  EXPECT_THAT(service_->LogInput(run.id, {"credit/german", 3, "", ""}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("context")));
  LEPTON_ASSERT_OK_AND_ASSIGN(tracking::Run got, service_->GetRun(run.id));
  EXPECT_EQ(got.tags.at("stage"), "final");
  ASSERT_EQ(got.inputs.size(), 2u);
  std::set<std::string> contexts;
  for (const DatasetInput& in : got.inputs) {
    EXPECT_EQ(in.dataset, "credit/german");
    EXPECT_EQ(in.version, 3);
    EXPECT_EQ(in.digest, "sha-a");
    contexts.insert(in.context);
  }
  EXPECT_EQ(contexts, (std::set<std::string>{"test", "training"}));
}

TEST_P(TrackingTest, StatusMovesForwardAndSetsTimes) {
  Experiment e = NewExperiment("s");
  LEPTON_ASSERT_OK_AND_ASSIGN(
      RunInfo run, service_->CreateRun({.experiment_id = e.id, .user = "ada", .job_id = "job1",
                                        .status = RunStatus::kQueued}));
  EXPECT_EQ(run.status, RunStatus::kQueued);
  EXPECT_TRUE(run.end_time.empty());
  EXPECT_EQ(run.name.rfind("run-", 0), 0u);
  clock_.Advance(absl::Minutes(1));
  LEPTON_ASSERT_OK_AND_ASSIGN(RunInfo started, service_->SetStatus(run.id, RunStatus::kRunning));
  EXPECT_GT(started.start_time, run.start_time);  // the start time is when it started
  clock_.Advance(absl::Minutes(1));
  LEPTON_ASSERT_OK_AND_ASSIGN(RunInfo ended, service_->EndRun(run.id));
  EXPECT_EQ(ended.status, RunStatus::kFinished);
  EXPECT_EQ(ended.end_time, FormatTimestamp(clock_.Now()));
  EXPECT_OK(service_->EndRun(run.id).status());  // same status: no-op
  EXPECT_THAT(service_->SetStatus(run.id, RunStatus::kRunning),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already finished")));
  EXPECT_THAT(service_->EndRun(run.id, RunStatus::kRunning),
              StatusIs(absl::StatusCode::kInvalidArgument));
  LEPTON_ASSERT_OK_AND_ASSIGN(RunInfo got, service_->GetRunInfo(run.id));
  EXPECT_EQ(got.status, RunStatus::kFinished);
  EXPECT_EQ(got.job_id, "job1");
  // Nested runs stay inside their experiment.
  LEPTON_ASSERT_OK_AND_ASSIGN(RunInfo child,
                              service_->CreateRun({.experiment_id = e.id, .parent_run_id = run.id}));
  EXPECT_EQ(child.parent_run_id, run.id);
  Experiment other = NewExperiment("other");
  EXPECT_THAT(service_->CreateRun({.experiment_id = other.id, .parent_run_id = run.id}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("parent_run_id")));
  EXPECT_THAT(service_->CreateRun({.experiment_id = e.id, .status = RunStatus::kFinished}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  LEPTON_ASSERT_OK_AND_ASSIGN(RunStatus parsed, ParseRunStatus("FINISHED"));
  EXPECT_EQ(parsed, RunStatus::kFinished);
  EXPECT_THAT(ParseRunStatus("done"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(TrackingTest, SearchFiltersOrdersAndPages) {
  Experiment e = NewExperiment("search");
  Experiment other = NewExperiment("search2");
  const double aucs[] = {0.65, 0.81, 0.72, 0.90, 0.77, 0.69};
  for (int i = 0; i < 6; ++i) {
    RunInfo r = NewRunIn(e, StrCat("r", i));
    ASSERT_OK(service_->LogMetric(r.id, "auc", aucs[i]));
    ASSERT_OK(service_->LogParam(r.id, "learner", i % 2 == 0 ? "xgboost" : "logistic"));
    ASSERT_OK(service_->SetTag(r.id, "x", i < 3 ? "y" : "z"));
    if (i % 3 == 0) ASSERT_OK(service_->EndRun(r.id).status());
  }
  NewRunIn(e, "no-metrics");
  RunInfo elsewhere = NewRunIn(other, "elsewhere");
  ASSERT_OK(service_->LogMetric(elsewhere.id, "auc", 0.99));

  SearchRequest req{.experiment_ids = {e.id}};
  LEPTON_ASSERT_OK_AND_ASSIGN(SearchResult all, service_->SearchRuns(req));
  // Default order: newest first.
  EXPECT_THAT(Names(all.runs), ElementsAre("no-metrics", "r5", "r4", "r3", "r2", "r1", "r0"));
  EXPECT_TRUE(all.next_page_token.empty());

  req.filter = "metrics.auc > 0.7 and params.learner = 'xgboost'";
  LEPTON_ASSERT_OK_AND_ASSIGN(SearchResult hits, service_->SearchRuns(req));
  EXPECT_THAT(Names(hits.runs), ElementsAre("r4", "r2"));
  req.filter = "tags.x = 'y' and attributes.status = 'FINISHED'";
  LEPTON_ASSERT_OK_AND_ASSIGN(hits, service_->SearchRuns(req));
  EXPECT_THAT(Names(hits.runs), ElementsAre("r0"));
  req.filter = "params.learner LIKE 'log%' AND metrics.auc <= 0.81";
  LEPTON_ASSERT_OK_AND_ASSIGN(hits, service_->SearchRuns(req));
  EXPECT_THAT(Names(hits.runs), ElementsAre("r5", "r1"));
  req.filter = "run_name != 'r1' AND metrics.auc >= 0.81";  // a run lacking the metric never matches
  LEPTON_ASSERT_OK_AND_ASSIGN(hits, service_->SearchRuns(req));
  EXPECT_THAT(Names(hits.runs), ElementsAre("r3"));

  // Order by a metric; runs without it last. Paging walks the same order.
  req.filter = "";
  req.order_by = {"metrics.auc DESC"};
  req.max_results = 3;
  std::vector<std::string> paged;
  int pages = 0;
  do {
    LEPTON_ASSERT_OK_AND_ASSIGN(SearchResult page, service_->SearchRuns(req));
    for (const tracking::Run& r : page.runs) paged.push_back(r.info.name);
    req.page_token = page.next_page_token;
    ++pages;
  } while (!req.page_token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(paged, ElementsAre("r3", "r1", "r4", "r2", "r5", "r0", "no-metrics"));
  req.max_results = 100;
  req.order_by = {"attributes.start_time"};
  LEPTON_ASSERT_OK_AND_ASSIGN(hits, service_->SearchRuns(req));
  EXPECT_EQ(hits.runs.front().info.name, "r0");
  req.order_by = {"params.learner", "metrics.auc"};
  LEPTON_ASSERT_OK_AND_ASSIGN(hits, service_->SearchRuns(req));
  EXPECT_THAT(Names(hits.runs), ElementsAre("r5", "r1", "r3", "r0", "r2", "r4", "no-metrics"));
  // Both experiments at once.
  req = {.experiment_ids = {e.id, other.id}, .filter = "metrics.auc > 0.85"};
  LEPTON_ASSERT_OK_AND_ASSIGN(hits, service_->SearchRuns(req));
  EXPECT_THAT(Names(hits.runs), ElementsAre("elsewhere", "r3"));
  // Search results carry the whole run.
  EXPECT_EQ(hits.runs[1].params.at("learner"), "logistic");
  EXPECT_EQ(hits.runs[1].info.status, RunStatus::kFinished);
}

TEST_P(TrackingTest, SearchRejectsBadRequests) {
  Experiment e = NewExperiment("bad");
  EXPECT_THAT(service_->SearchRuns({.experiment_ids = {e.id}, .filter = "metrics.auc >> 1"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("position 13")));
  EXPECT_THAT(service_->SearchRuns({.experiment_ids = {e.id}, .order_by = {"metrics.auc UP"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("order_by")));
  EXPECT_THAT(service_->SearchRuns({.experiment_ids = {e.id}, .page_token = "zz"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
  EXPECT_THAT(service_->SearchRuns({.experiment_ids = {e.id}, .max_results = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_results")));
  EXPECT_THAT(service_->SearchRuns({.experiment_ids = {}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(service_->SearchRuns({.experiment_ids = {"nope"}}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(TrackingTest, CompareRunsPutsParamsAndMetricsSideBySide) {
  Experiment e = NewExperiment("cmp");
  RunInfo a = NewRunIn(e, "a"), b = NewRunIn(e, "b");
  ASSERT_OK(service_->LogParams(a.id, {{"lr", "0.1"}, {"depth", "4"}}));
  ASSERT_OK(service_->LogParams(b.id, {{"lr", "0.3"}}));
  ASSERT_OK(service_->LogMetrics(a.id, {{"auc", 0.7, 0, 0}, {"ks", 0.3, 0, 0}}));
  ASSERT_OK(service_->LogMetrics(b.id, {{"auc", 0.8, 0, 0}}));
  LEPTON_ASSERT_OK_AND_ASSIGN(RunComparison c, service_->CompareRuns({a.id, b.id}));
  ASSERT_EQ(c.runs.size(), 2u);
  EXPECT_EQ(c.runs[0].name, "a");
  EXPECT_THAT(c.params.at("lr"), ElementsAre("0.1", "0.3"));
  EXPECT_THAT(c.params.at("depth"), ElementsAre("4", std::nullopt));
  EXPECT_THAT(c.metrics.at("auc"), ElementsAre(0.7, 0.8));
  EXPECT_THAT(c.metrics.at("ks"), ElementsAre(0.3, std::nullopt));
  Json j = ComparisonToJson(c);
  EXPECT_EQ(j["params"]["depth"][1], nullptr);
  EXPECT_THAT(service_->CompareRuns({a.id, "nope"}), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(service_->CompareRuns({}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(TrackingTest, ArtifactsAreWrittenAtomicallyListedWithHashesAndConfined) {
  Experiment e = NewExperiment("art");
  RunInfo run = NewRunIn(e);
  LEPTON_ASSERT_OK_AND_ASSIGN(ArtifactInfo a, service_->LogArtifact(run.id, "model/model.json", "{\"v\":1}"));
  EXPECT_EQ(a.size_bytes, 7);
  EXPECT_EQ(a.sha256, Sha256Hex("{\"v\":1}"));
  const std::string file = StrCat(root_.string(), "/", e.id, "/", run.id, "/model/model.json");
  EXPECT_TRUE(PathExists(file));
  EXPECT_EQ(service_->ArtifactDir(run), StrCat(root_.string(), "/", e.id, "/", run.id));
  ASSERT_OK(service_->LogArtifact(run.id, "roc.csv", "fpr,tpr\n0,0\n1,1\n").status());
  // Replacing an artifact swaps the whole file and leaves no temporary files behind.
  ASSERT_OK(service_->LogArtifact(run.id, "model/model.json", "{\"v\":2}").status());
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string bytes, service_->ReadArtifact(run.id, "model/model.json"));
  EXPECT_EQ(bytes, "{\"v\":2}");
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(service_->ArtifactDir(run))) {
    if (entry.is_regular_file()) ++files;
  }
  EXPECT_EQ(files, 2);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto list, service_->ListArtifacts(run.id));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].path, "model/model.json");
  EXPECT_EQ(list[0].sha256, Sha256Hex("{\"v\":2}"));
  EXPECT_EQ(list[1].path, "roc.csv");
  EXPECT_EQ(list[1].size_bytes, 16);
  LEPTON_ASSERT_OK_AND_ASSIGN(list, service_->ListArtifacts(run.id, "model/"));
  ASSERT_EQ(list.size(), 1u);
  LEPTON_ASSERT_OK_AND_ASSIGN(list, service_->ListArtifacts(run.id, "mod"));
  EXPECT_TRUE(list.empty());  // prefixes match whole segments

  for (const char* bad : {"../escape", "/etc/passwd", "a/../../b", "a//b", "./a", "a/.", "a\\b", ""}) {
    EXPECT_THAT(service_->LogArtifact(run.id, bad, "x"), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
    EXPECT_THAT(service_->ReadArtifact(run.id, bad), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_FALSE(PathExists(StrCat(root_.string(), "/", e.id, "/escape")));
  EXPECT_THAT(service_->LogArtifact(run.id, "model", "x"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("file or a folder")));
  EXPECT_THAT(service_->LogArtifact(run.id, "roc.csv/inner", "x"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(service_->ReadArtifact(run.id, "missing.bin"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(TrackingTest, ConcurrentMetricLoggingKeepsEveryValue) {
  RunInfo run = NewRunIn(NewExperiment("conc"));
  constexpr int kThreads = 6, kPerThread = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int64_t step = t * kPerThread + i;
        if (!service_->LogMetric(run.id, "loss", static_cast<double>(step), step).ok()) ++failures;
        if (!service_->LogMetric(run.id, StrCat("thread_", t), static_cast<double>(i), i).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto history, service_->GetMetricHistory(run.id, "loss"));
  ASSERT_EQ(history.size(), static_cast<size_t>(kThreads * kPerThread));
  for (size_t i = 0; i < history.size(); ++i) EXPECT_EQ(history[i].step, static_cast<int64_t>(i));
  LEPTON_ASSERT_OK_AND_ASSIGN(tracking::Run got, service_->GetRun(run.id));
  EXPECT_EQ(got.metrics.size(), static_cast<size_t>(kThreads + 1));
  EXPECT_EQ(got.metrics.at("loss").step, kThreads * kPerThread - 1);
  EXPECT_DOUBLE_EQ(got.metrics.at("thread_0").value, kPerThread - 1);
}

INSTANTIATE_TEST_SUITE_P(Stores, TrackingTest, ::testing::ValuesIn(store::testing::TestStoreKinds()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace lepton::tracking
