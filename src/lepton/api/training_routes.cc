#include "lepton/api/training_routes.h"

#include "lepton/base/logging.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/train/model_config.h"
#include "lepton/train/training_job.h"

namespace lepton::api {
namespace {

using auth::Action;

Json JobSchema() {
  return {{"type", "object"},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"kind", {{"type", "string"}}},
            {"state", {{"type", "string"}, {"enum", {"queued", "running", "succeeded", "failed", "cancelled"}}}},
            {"progress", {{"type", "object"}}},
            {"result", Json::object()},
            {"error", Json::object()},
            {"run_id", {{"type", "string"}, {"nullable", true}}},
            {"logs", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}};
}

// The training job `id`, if the caller may see it; others read as unknown.
absl::StatusOr<jobs::Job> VisibleJob(const RouteContext& ctx, jobs::JobRunner& runner) {
  const std::string& id = ctx.Param("id");
  auto job = runner.Get(id);
  const absl::Status hidden = absl::NotFoundError(StrCat("training job '", id, "' not found"));
  if (!job.ok()) return absl::IsNotFound(job.status()) ? hidden : job.status();
  if (job->kind != train::kTrainJobKind) return hidden;
  if (job->created_by != ctx.principal->user_name &&
      !auth::Authorize(*ctx.principal, Action::kRead, job->resource).ok()) {
    return hidden;
  }
  return job;
}

// Needs `train` on the dataset and the experiment of `config` (validated first, so a bad config
// is 400 naming its JSON path).
absl::Status MayTrain(const RouteContext& ctx, const Json& config) {
  LEPTON_ASSIGN_OR_RETURN(train::ModelConfig c, train::ModelConfig::FromJson(config));
  LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, Action::kTrain, c.dataset.full_name()));
  return auth::Authorize(*ctx.principal, Action::kTrain, c.experiment.name);
}

Json WithLogs(const jobs::Job& job, tracking::TrackingService& tracking) {
  Json out = jobs::JobToJson(job);
  std::string run_id;
  if (job.result.is_object()) run_id = job.result.value("run_id", "");
  if (run_id.empty() && job.progress.is_object()) run_id = job.progress.value("run_id", "");
  out["run_id"] = run_id.empty() ? Json(nullptr) : Json(run_id);
  Json logs = job.progress.is_object() && job.progress.contains("log") ? job.progress["log"] : Json::array();
  const bool over = job.state != jobs::JobState::kQueued && job.state != jobs::JobState::kRunning;
  if (over && !run_id.empty()) {
    // Once the run has ended its whole log is an artifact.
    if (auto text = tracking.ReadArtifact(run_id, "training.log"); text.ok()) {
      logs = Json::array();
      for (std::string_view line : Split(*text, '\n')) {
        if (!line.empty()) logs.push_back(std::string(line));
      }
    }
  }
  out["logs"] = logs;
  return out;
}

}  // namespace

void AddTrainingRoutes(Router& router, jobs::JobRunner& runner, lake::Lake& lake,
                       tracking::TrackingService& tracking) {
  if (auto failed = train::ReconcileInterruptedRuns(runner, tracking); !failed.ok()) {
    Log(LogLevel::kError, "failing the runs of interrupted training jobs", {{"status", failed.status().ToString()}});
  } else if (*failed > 0) {
    Log(LogLevel::kWarning, "runs of interrupted training jobs marked failed", {{"runs", *failed}});
  }

  router.Add({.method = "POST", .pattern = "/api/v1/training-jobs", .operation_id = "training.submit",
              .summary = "Train a model: the body is a model_config.json; answers 202 with the queued job "
                         "(400 naming the JSON path of a bad config).",
              .tag = "training",
              .request_schema = {{"type", "object"}, {"description", "model_config.json (docs/model-config.md)"}},
              .response_schema = JobSchema(),
              .success_status = 202},
             [&runner, &lake, &tracking](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               auto config = ParseJson(ctx.request.body);
               if (!config.ok()) return absl::InvalidArgumentError(StrCat("body: ", config.status().message()));
               LEPTON_RETURN_IF_ERROR(MayTrain(ctx, *config));
               LEPTON_ASSIGN_OR_RETURN(
                   jobs::Job job, train::SubmitTrainingJob(runner, lake, tracking, *config, ctx.principal->user_name));
               return HttpResponse::MakeJson(202, WithLogs(job, tracking));
             });
  router.Add({.method = "GET", .pattern = "/api/v1/training-jobs/{id}", .operation_id = "training.get",
              .summary = "A training job: state, progress (phase, fold, candidate, round, fraction), result "
                         "(run_id, metrics, model_dir), error and logs.",
              .tag = "training", .response_schema = JobSchema()},
             [&runner, &tracking](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(jobs::Job job, VisibleJob(ctx, runner));
               return HttpResponse::MakeJson(200, WithLogs(job, tracking));
             });
  router.Add({.method = "POST", .pattern = "/api/v1/training-jobs/{id}/cancel", .operation_id = "training.cancel",
              .summary = "Cancel a queued or running training job (409 when it has finished).",
              .tag = "training", .response_schema = JobSchema()},
             [&runner, &tracking](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(jobs::Job job, VisibleJob(ctx, runner));
               if (job.created_by != ctx.principal->user_name) {
                 LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, Action::kTrain, job.resource));
               }
               LEPTON_ASSIGN_OR_RETURN(jobs::Job cancelled, runner.Cancel(job.id));
               return HttpResponse::MakeJson(200, WithLogs(cancelled, tracking));
             });
  router.Add({.method = "POST", .pattern = "/api/v1/training-jobs/{id}/retry", .operation_id = "training.retry",
              .summary = "Queue a new training job with the same config (409 while the job is active).",
              .tag = "training", .response_schema = JobSchema(), .success_status = 202},
             [&runner, &lake, &tracking](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(jobs::Job job, VisibleJob(ctx, runner));
               if (job.state == jobs::JobState::kQueued || job.state == jobs::JobState::kRunning) {
                 return absl::FailedPreconditionError(
                     StrCat("training job '", job.id, "' is still ", jobs::JobStateName(job.state)));
               }
               const Json config = job.params.value("config", Json());
               LEPTON_RETURN_IF_ERROR(MayTrain(ctx, config));
               LEPTON_ASSIGN_OR_RETURN(
                   jobs::Job retry, train::SubmitTrainingJob(runner, lake, tracking, config, ctx.principal->user_name));
               return HttpResponse::MakeJson(202, WithLogs(retry, tracking));
             });
}

}  // namespace lepton::api
