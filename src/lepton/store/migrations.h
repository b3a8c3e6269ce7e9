#pragma once
// The metadata schema as an ordered list of migrations. A migration is applied once, in its own
// transaction, and recorded in `schema_migrations(version, name, applied_at)`. Released
// migrations are never edited: add a new one. Each module owns the tables it creates, but the
// list lives here so that versions are totally ordered.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lepton/store/meta_store.h"

namespace lepton::store {

struct Migration {
  int64_t version;
  std::string name;
  std::string sqlite_sql;    // statements separated by ';'
  std::string postgres_sql;  // same schema in PostgreSQL's dialect; empty = same as sqlite_sql
};

// All migrations, ascending by version.
const std::vector<Migration>& Migrations();

// Applies the migrations that `store` has not yet applied, each in a transaction.
// FailedPrecondition when the store has a version this binary does not know (a newer binary
// migrated it). Safe to call from several processes at once.
absl::Status ApplyMigrations(MetaStore& store, const std::vector<Migration>& migrations);

}  // namespace lepton::store
