#pragma once
// REST routes for alerting under /api/v1/alerts: alert rules (create, list, get, replace,
// delete), every rule with its evaluation state, and a rule's history of transitions and
// notifications. Reading needs `read` on "*" (rules watch server-wide metrics); changing rules
// needs `deploy` on "*" (ml_engineer, admin). Mutations are audited. See docs/alerts.md.

#include "lepton/alerts/alert_service.h"
#include "lepton/api/router.h"

namespace lepton::api {

// `alerts` must outlive `router`.
void AddAlertRoutes(Router& router, alerts::AlertService& alerts);

}  // namespace lepton::api
