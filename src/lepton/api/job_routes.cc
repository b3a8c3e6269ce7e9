#include "lepton/api/job_routes.h"

#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::api {
namespace {

absl::Status MaySee(const RouteContext& ctx, const jobs::Job& job) {
  if (job.created_by == ctx.principal->user_name) return absl::OkStatus();
  auto allowed = auth::Authorize(*ctx.principal, auth::Action::kRead,
                                 job.resource.empty() ? "*" : job.resource);
  // Jobs one may not see read as unknown, so their ids cannot be probed.
  if (!allowed.ok()) return absl::NotFoundError(StrCat("job '", job.id, "' not found"));
  return absl::OkStatus();
}

Json JobSchema() {
  return {{"type", "object"},
          {"properties",
           {{"id", {{"type", "string"}}}, {"kind", {{"type", "string"}}},
            {"state", {{"type", "string"}, {"enum", {"queued", "running", "succeeded", "failed", "cancelled"}}}},
            {"progress", {{"type", "object"}}}, {"result", Json::object()}, {"error", Json::object()}}}};
}

}  // namespace

void AddJobRoutes(Router& router, jobs::JobRunner& runner) {
  router.Add({.method = "GET", .pattern = "/api/v1/jobs", .operation_id = "job.list",
              .summary = "Recent jobs the caller may see, newest first.", .tag = "jobs",
              .response_schema = {{"type", "array"}, {"items", JobSchema()}},
              .query_params = {"kind", "limit"}},
             [&runner](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               int64_t limit = 50;
               if (auto l = ctx.request.QueryParam("limit"); l && (!ParseInt(*l, &limit) || limit < 1 || limit > 1000)) {
                 return absl::InvalidArgumentError("limit: expected 1 to 1000");
               }
               LEPTON_ASSIGN_OR_RETURN(auto list, runner.List(ctx.request.QueryParam("kind").value_or(""), limit));
               Json out = Json::array();
               for (const jobs::Job& j : list) {
                 if (MaySee(ctx, j).ok()) out.push_back(jobs::JobToJson(j));
               }
               return HttpResponse::MakeJson(200, out);
             });
  router.Add({.method = "GET", .pattern = "/api/v1/jobs/{id}", .operation_id = "job.get",
              .summary = "A job: state, progress, result or error.", .tag = "jobs",
              .response_schema = JobSchema()},
             [&runner](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(jobs::Job j, runner.Get(ctx.Param("id")));
               LEPTON_RETURN_IF_ERROR(MaySee(ctx, j));
               return HttpResponse::MakeJson(200, jobs::JobToJson(j));
             });
  router.Add({.method = "POST", .pattern = "/api/v1/jobs/{id}/cancel", .operation_id = "job.cancel",
              .summary = "Cancel a queued or running job (409 when it has finished).", .tag = "jobs",
              .response_schema = JobSchema()},
             [&runner](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(jobs::Job j, runner.Get(ctx.Param("id")));
               LEPTON_RETURN_IF_ERROR(MaySee(ctx, j));
               if (j.created_by != ctx.principal->user_name) {
                 LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, auth::Action::kUserAdmin, "*"));
               }
               LEPTON_ASSIGN_OR_RETURN(jobs::Job c, runner.Cancel(j.id));
               return HttpResponse::MakeJson(200, jobs::JobToJson(c));
             });
}

}  // namespace lepton::api
