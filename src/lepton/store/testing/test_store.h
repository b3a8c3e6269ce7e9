#pragma once
// Test-only: fresh, migrated metadata stores for tests that must pass on every backend.
// `TestStoreKinds()` is {"sqlite"} plus "postgres" when `LEPTON_TEST_POSTGRES_URL` names a
// server (tools/with-postgres.sh starts one); with `LEPTON_REQUIRE_POSTGRES=1` and no URL,
// `OpenTestStore("postgres")` fails instead of the test quietly running on SQLite only.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/store/meta_store.h"

namespace lepton::store::testing {

// The backends to run on: "sqlite" always, "postgres" when configured or required.
std::vector<std::string> TestStoreKinds();

// A URL naming a fresh, empty database of `kind` (a new SQLite file in a new temp folder, or a
// newly created PostgreSQL database). FailedPrecondition for postgres without a server URL.
absl::StatusOr<std::string> FreshStoreUrl(const std::string& kind);

// `OpenMetaStore(FreshStoreUrl(kind))`.
absl::StatusOr<std::unique_ptr<MetaStore>> OpenTestStore(const std::string& kind);

}  // namespace lepton::store::testing
