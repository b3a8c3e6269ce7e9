#include "lepton/store/testing/test_store.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "lepton/base/strings.h"
#include "lepton/base/crypto.h"
#include "lepton/base/status.h"
#include "lepton/store/postgres/postgres_meta_store.h"

namespace lepton::store::testing {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

std::vector<std::string> TestStoreKinds() {
  std::vector<std::string> kinds = {"sqlite"};
  if (!Env("LEPTON_TEST_POSTGRES_URL").empty() || Env("LEPTON_REQUIRE_POSTGRES") == "1") {
    kinds.push_back("postgres");
  }
  return kinds;
}

absl::StatusOr<std::string> FreshStoreUrl(const std::string& kind) {
  const std::string suffix = HexEncode(RandomBytes(6));
  if (kind == "sqlite") {
    const auto dir = std::filesystem::temp_directory_path() /
                     lepton::StrCat("lepton_test_", ::getpid(), "_", suffix);
    std::filesystem::create_directories(dir);
    return lepton::StrCat("sqlite:", (dir / "meta.db").string());
  }
  if (kind != "postgres") return absl::InvalidArgumentError(lepton::StrCat("unknown kind ", kind));
  const std::string base = Env("LEPTON_TEST_POSTGRES_URL");
  if (base.empty()) {
    return absl::FailedPreconditionError(
        "LEPTON_REQUIRE_POSTGRES=1 but LEPTON_TEST_POSTGRES_URL is not set: run the tests "
        "through tools/with-postgres.sh");
  }
  // URL form postgresql://user@host:port/db[?…]: replace the database name.
  const auto slash = base.find('/', base.find("://") + 3);
  if (slash == std::string::npos) return absl::InvalidArgumentError("postgres URL has no database");
  const auto query = base.find('?', slash);
  const std::string db = lepton::StrCat("lepton_t_", suffix);
  {
    // Open without migrating: the server's own database stays untouched.
    LEPTON_ASSIGN_OR_RETURN(auto admin, PostgresMetaStore::Open(base, 1));
    LEPTON_RETURN_IF_ERROR(admin->Exec(lepton::StrCat("CREATE DATABASE ", db)));
  }
  return lepton::StrCat(base.substr(0, slash + 1), db,
                      query == std::string::npos ? "" : base.substr(query));
}

absl::StatusOr<std::unique_ptr<MetaStore>> OpenTestStore(const std::string& kind) {
  LEPTON_ASSIGN_OR_RETURN(std::string url, FreshStoreUrl(kind));
  return OpenMetaStore(url);
}

}  // namespace lepton::store::testing
