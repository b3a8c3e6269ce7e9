#include "lepton/store/meta_store.h"

#include <utility>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/store/migrations.h"
#include "lepton/store/postgres/postgres_meta_store.h"
#include "lepton/store/sqlite/sqlite_meta_store.h"

namespace lepton::store {

int64_t Row::Int(size_t i, int64_t fallback) const {
  if (i >= values_.size()) return fallback;
  if (const auto* v = std::get_if<int64_t>(&values_[i])) return *v;
  return fallback;
}

double Row::Double(size_t i, double fallback) const {
  if (i >= values_.size()) return fallback;
  if (const auto* v = std::get_if<double>(&values_[i])) return *v;
  if (const auto* v = std::get_if<int64_t>(&values_[i])) return static_cast<double>(*v);
  return fallback;
}

std::string Row::String(size_t i, std::string fallback) const {
  if (i >= values_.size()) return fallback;
  if (const auto* v = std::get_if<std::string>(&values_[i])) return *v;
  return fallback;
}

std::optional<std::string> Row::OptionalString(size_t i) const {
  if (i >= values_.size()) return std::nullopt;
  if (const auto* v = std::get_if<std::string>(&values_[i])) return *v;
  return std::nullopt;
}

std::optional<int64_t> Row::OptionalInt(size_t i) const {
  if (i >= values_.size()) return std::nullopt;
  if (const auto* v = std::get_if<int64_t>(&values_[i])) return *v;
  return std::nullopt;
}

absl::StatusOr<int64_t> MetaStore::SchemaVersion() {
  LEPTON_ASSIGN_OR_RETURN(ResultSet result,
                          Query("SELECT max(version) FROM schema_migrations"));
  if (result.rows.empty()) return 0;
  return result.rows[0].Int(0, 0);
}

absl::StatusOr<std::unique_ptr<MetaStore>> OpenMetaStore(const std::string& url) {
  std::unique_ptr<MetaStore> store;
  if (url.starts_with("sqlite:")) {
    std::string path = url.substr(std::string_view("sqlite:").size());
    // Accept the URL spelling "sqlite:///abs/path" as well as "sqlite:/abs/path".
    if (path.starts_with("//")) path = path.substr(2);
    if (path.empty()) {
      return absl::InvalidArgumentError(
          lepton::StrCat("metadata store url \"", url, "\" names no file"));
    }
    LEPTON_ASSIGN_OR_RETURN(store, SqliteMetaStore::Open(path));
  } else if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    LEPTON_ASSIGN_OR_RETURN(store, PostgresMetaStore::Open(url));
  } else {
    // Only the scheme is echoed: the rest of the URL may hold a password.
    const std::string scheme = url.substr(0, url.find(':'));
    return absl::InvalidArgumentError(lepton::StrCat(
        "metadata store url has unknown scheme \"", scheme,
        "\"; want \"sqlite:/path/meta.db\" or \"postgresql://user@host:port/db\""));
  }
  absl::Status migrated = ApplyMigrations(*store, Migrations());
  if (!migrated.ok()) return Annotate(migrated, "migrating the metadata store");
  return store;
}

}  // namespace lepton::store
