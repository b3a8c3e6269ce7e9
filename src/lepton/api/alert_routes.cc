#include "lepton/api/alert_routes.h"

#include "lepton/api/api_service.h"
#include "lepton/api/route_schema.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::api {
namespace {

using auth::Action;
using namespace schema;  // NOLINT: the schema fragments read as a small DSL here

Json RuleProperties() {
  return {{"name", Str()},
          {"description", Str()},
          {"kind", {{"type", "string"}, {"enum", {"metric", "drift"}}}},
          {"metric", Str()},
          {"match", StrMap()},
          {"function", {{"type", "string"}, {"enum", {"value", "rate", "increase"}}}},
          {"window_seconds", Int()},
          {"deployment", Str()},
          {"column", Str()},
          {"statistic", {{"type", "string"}, {"enum", {"psi", "ks"}}}},
          {"op", {{"type", "string"}, {"enum", {">", ">=", "<", "<="}}}},
          {"threshold", Num()},
          {"for_seconds", Int()},
          {"webhook_url", Str()},
          {"labels", StrMap()},
          {"annotations", StrMap()},
          {"enabled", {{"type", "boolean"}}}};
}

Json StateSchema() {
  return Obj({{"state", {{"type", "string"}, {"enum", {"inactive", "pending", "firing"}}}},
              {"since", Str()},
              {"active_at", Str()},
              {"health", {{"type", "string"}, {"enum", {"unknown", "ok", "no_data", "error", "disabled"}}}},
              {"error", Str()},
              {"value", {{"type", "number"}, {"nullable", true}}},
              {"last_evaluation", Str()},
              {"last_notification",
               {{"type", "object"},
                {"nullable", true},
                {"properties",
                 {{"status", Str()}, {"at", Str()}, {"ok", {{"type", "boolean"}}}, {"http_status", Int()},
                  {"attempts", Int()}, {"error", Str()}}}}}});
}

Json RuleSchema() {
  Json props = RuleProperties();
  props["expression"] = Str();
  props["created_by"] = Str();
  props["created_at"] = Str();
  props["updated_by"] = Str();
  props["updated_at"] = Str();
  props["status"] = StateSchema();
  return Obj(std::move(props));
}

Json AlertJson(const alerts::AlertStatus& s) {
  Json full = s.ToJson();
  Json j = full["status"];
  j["name"] = s.rule.name;
  j["expression"] = full["expression"];
  j["enabled"] = s.rule.enabled;
  j["labels"] = full["labels"];
  return j;
}

const RoutePermission kRead{.action = Action::kRead, .resource = "*"};
const RoutePermission kWrite{.action = Action::kDeploy, .resource = "*"};

}  // namespace

void AddAlertRoutes(Router& router, alerts::AlertService& alerts) {
  const std::string tag = "alerts";
  router.Add({.method = "POST", .pattern = "/api/v1/alerts/rules", .operation_id = "alert.rule.create",
              .summary = "Create an alert rule on a metric or on drift, notifying a webhook (docs/alerts.md).",
              .tag = tag, .permission = kWrite,
              .request_schema = Obj(RuleProperties(), {"name", "kind", "op", "threshold", "webhook_url"}),
              .response_schema = RuleSchema(), .success_status = 201},
             [&alerts](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               LEPTON_ASSIGN_OR_RETURN(alerts::AlertRule rule, alerts::ParseRule(body, "body"));
               LEPTON_ASSIGN_OR_RETURN(auto created, alerts.CreateRule(rule, ctx.principal->user_name));
               return HttpResponse::MakeJson(201, created.ToJson());
             });
  router.Add({.method = "GET", .pattern = "/api/v1/alerts/rules", .operation_id = "alert.rule.list",
              .summary = "Alert rules by name, each with its state.", .tag = tag, .permission = kRead,
              .response_schema = Array(RuleSchema())},
             [&alerts](RouteContext&) -> absl::StatusOr<HttpResponse> {
               Json out = Json::array();
               for (const auto& s : alerts.List()) out.push_back(s.ToJson());
               return HttpResponse::MakeJson(200, out);
             });
  router.Add({.method = "GET", .pattern = "/api/v1/alerts/rules/{name}", .operation_id = "alert.rule.get",
              .summary = "One alert rule with its state.", .tag = tag, .permission = kRead,
              .response_schema = RuleSchema()},
             [&alerts](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto s, alerts.GetRule(ctx.Param("name")));
               return HttpResponse::MakeJson(200, s.ToJson());
             });
  router.Add({.method = "PUT", .pattern = "/api/v1/alerts/rules/{name}", .operation_id = "alert.rule.update",
              .summary = "Replace an alert rule (the state is kept; disabling a firing rule resolves it).",
              .tag = tag, .permission = kWrite,
              .request_schema = Obj(RuleProperties(), {"kind", "op", "threshold", "webhook_url"}),
              .response_schema = RuleSchema()},
             [&alerts](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               LEPTON_RETURN_IF_ERROR(alerts::ValidateRuleName(ctx.Param("name")));
               LEPTON_ASSIGN_OR_RETURN(alerts::AlertRule rule, alerts::ParseRule(body, "body", ctx.Param("name")));
               LEPTON_ASSIGN_OR_RETURN(auto updated, alerts.UpdateRule(rule, ctx.principal->user_name));
               return HttpResponse::MakeJson(200, updated.ToJson());
             });
  router.Add({.method = "DELETE", .pattern = "/api/v1/alerts/rules/{name}", .operation_id = "alert.rule.delete",
              .summary = "Delete an alert rule and its history (a firing alert is announced resolved).",
              .tag = tag, .permission = kWrite, .response_schema = Obj({{"deleted", Str()}})},
             [&alerts](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_RETURN_IF_ERROR(alerts.DeleteRule(ctx.Param("name")));
               return HttpResponse::MakeJson(200, {{"deleted", ctx.Param("name")}});
             });
  router.Add({.method = "GET", .pattern = "/api/v1/alerts/rules/{name}/events", .operation_id = "alert.rule.events",
              .summary = "A rule's state transitions and notification outcomes, newest first (limit=, default 100).",
              .tag = tag, .permission = kRead,
              .response_schema = Array(Obj({{"seq", Int()}, {"at", Str()}, {"kind", Str()}, {"state", Str()},
                                            {"previous_state", Str()}, {"value", Num()}, {"ok", {{"type", "boolean"}}},
                                            {"http_status", Int()}, {"attempts", Int()}, {"error", Str()}})),
              .query_params = {"limit"}},
             [&alerts](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               int64_t limit = 100;
               if (auto l = ctx.request.QueryParam("limit"); l && (!ParseInt(*l, &limit) || limit < 1 || limit > 1000)) {
                 return absl::InvalidArgumentError("limit: expected 1 to 1000");
               }
               LEPTON_ASSIGN_OR_RETURN(auto events, alerts.Events(ctx.Param("name"), limit));
               Json out = Json::array();
               for (const auto& e : events) out.push_back(e.ToJson());
               return HttpResponse::MakeJson(200, out);
             });
  router.Add({.method = "GET", .pattern = "/api/v1/alerts", .operation_id = "alert.list",
              .summary = "Every alert rule's state: inactive, pending or firing, since when, the last value, "
                         "evaluation and notification outcome (state= filters).",
              .tag = tag, .permission = kRead,
              .response_schema = Array(StateSchema()), .query_params = {"state"}},
             [&alerts](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               const std::string want = ctx.request.QueryParam("state").value_or("");
               if (!want.empty() && want != "inactive" && want != "pending" && want != "firing") {
                 return absl::InvalidArgumentError("state: expected inactive, pending or firing");
               }
               Json out = Json::array();
               for (const auto& s : alerts.List()) {
                 if (want.empty() || alerts::AlertStateName(s.state) == want) out.push_back(AlertJson(s));
               }
               return HttpResponse::MakeJson(200, out);
             });
}

}  // namespace lepton::api
