#pragma once
// REST routes of the model registry under /api/v1/models: registered models, versions (from a
// run, or uploaded as a bundle archive), tags, aliases and their history, bundle downloads.
// Permissions are checked on the resource "models/<name>": reading needs `read`; creating
// models and versions, editing and deleting need `model.register`; moving or deleting an alias
// needs `model.promote` (403 naming the user, action and resource otherwise). Listing shows
// only the models the caller may read.

#include "lepton/api/router.h"
#include "lepton/registry/registry_service.h"

namespace lepton::api {

// `registry` must outlive `router`.
void AddRegistryRoutes(Router& router, registry::RegistryService& registry);

}  // namespace lepton::api
