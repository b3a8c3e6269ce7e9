#pragma once
// REST routes for identity and access: login, whoami, users, grants, tokens, roles and the
// audit log, all under /api/v1/. Registered by `ApiService` at start-up.

#include "lepton/api/router.h"
#include "lepton/auth/audit_log.h"
#include "lepton/auth/auth_service.h"

namespace lepton::api {

// `auth` and `audit` must outlive `router`.
void AddAuthRoutes(Router& router, auth::AuthService& auth, auth::AuditLog& audit);

}  // namespace lepton::api
