#pragma once
// Builds the OpenAPI 3.0.3 document of a route table: one operation per route with its path
// parameters, query parameters, request body schema, success response schema, the shared error
// schema for failures, and bearer-token security on authenticated routes.

#include <string>

#include "lepton/api/router.h"
#include "lepton/base/json.h"

namespace lepton::api {

Json BuildOpenApi(const Router& router, const std::string& version);

}  // namespace lepton::api
