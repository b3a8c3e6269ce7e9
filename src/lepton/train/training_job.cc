#include "lepton/train/training_job.h"

#include <deque>
#include <future>
#include <memory>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/train/model_builder.h"
#include "lepton/train/model_config.h"

namespace lepton::train {
namespace {

constexpr size_t kLogTail = 20;

}  // namespace

absl::StatusOr<jobs::Job> SubmitTrainingJob(jobs::JobRunner& runner, lake::Lake& lake,
                                            tracking::TrackingService& tracking,
                                            const Json& config, const std::string& user) {
  LEPTON_ASSIGN_OR_RETURN(ModelConfig parsed, ModelConfig::FromJson(config));
  const std::string dataset = parsed.dataset.full_name();
  // The job learns its own id once `Submit` returns; a worker may pick it up before that.
  auto id_promise = std::make_shared<std::promise<std::string>>();
  std::shared_future<std::string> id = id_promise->get_future().share();
  auto fn = [&lake, &tracking, user, id, parsed](jobs::JobContext& ctx) -> absl::StatusOr<Json> {
    auto tail = std::make_shared<std::deque<std::string>>();
    auto last = std::make_shared<TrainProgress>();
    BuildOptions options;
    options.tracking = &tracking;
    options.lake = &lake;
    options.user = user;
    options.source = "lepton train";
    options.job_id = id.get();
    options.log = [tail](const std::string& line) {
      tail->push_back(line);
      if (tail->size() > kLogTail) tail->pop_front();
    };
    options.progress = [&ctx, tail, last](const TrainProgress& p) {
      *last = p;
      Json j = p.ToJson();
      j["log"] = Json(std::vector<std::string>(tail->begin(), tail->end()));
      ctx.SetProgress(j);
      return !ctx.cancelled();
    };
    ModelBuilder builder(parsed, options);
    LEPTON_ASSIGN_OR_RETURN(Model model, builder.build_and_train());
    LEPTON_ASSIGN_OR_RETURN(tracking::RunInfo run, tracking.GetRunInfo(model.run_id()));
    Json summary = Json::object();
    const Json all = model.metrics().value("summary", Json::object());
    if (parsed.report_metrics.empty()) {
      summary = all;
    } else {
      for (const std::string& m : parsed.report_metrics) {
        if (all.contains(m)) summary[m] = all[m];
      }
    }
    return Json{{"run_id", model.run_id()},
                {"experiment_id", run.experiment_id},
                {"experiment", parsed.experiment.name},
                {"metrics", summary},
                {"model_dir", StrCat(tracking.ArtifactDir(run), "/model")},
                {"lineage", model.lineage().ToJson()}};
  };
  auto job = runner.Submit(kTrainJobKind, dataset,
                           {{"config", config}, {"dataset", dataset}, {"experiment", parsed.experiment.name}},
                           user, fn);
  id_promise->set_value(job.ok() ? job->id : std::string());
  return job;
}

absl::StatusOr<int> ReconcileInterruptedRuns(jobs::JobRunner& runner,
                                             tracking::TrackingService& tracking) {
  LEPTON_ASSIGN_OR_RETURN(std::vector<tracking::Experiment> experiments,
                          tracking.ListExperiments(tracking::ViewType::kAll));
  if (experiments.empty()) return 0;
  tracking::SearchRequest request;
  for (const auto& e : experiments) request.experiment_ids.push_back(e.id);
  request.filter = "attributes.status = 'running'";
  request.max_results = 1000;
  int failed = 0;
  while (true) {
    LEPTON_ASSIGN_OR_RETURN(tracking::SearchResult page, tracking.SearchRuns(request));
    for (const tracking::Run& run : page.runs) {
      if (run.info.job_id.empty()) continue;
      auto job = runner.Get(run.info.job_id);
      if (!job.ok()) {
        if (absl::IsNotFound(job.status())) continue;  // not one of our jobs
        return job.status();
      }
      if (job->state == jobs::JobState::kQueued || job->state == jobs::JobState::kRunning) continue;
      const std::string reason = job->error.empty() ? StrCat("training job ended ", jobs::JobStateName(job->state))
                                                    : job->error;
      LEPTON_RETURN_IF_ERROR(tracking.SetTag(run.info.id, "lepton.error", reason));
      LEPTON_RETURN_IF_ERROR(tracking.EndRun(run.info.id, tracking::RunStatus::kFailed).status());
      ++failed;
    }
    if (page.next_page_token.empty()) break;
    request.page_token = page.next_page_token;
  }
  return failed;
}

}  // namespace lepton::train
