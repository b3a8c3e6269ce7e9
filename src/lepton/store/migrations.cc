#include "lepton/store/migrations.h"

#include <cctype>
#include <set>
#include <string_view>

#include "lepton/base/clock.h"
#include "lepton/base/logging.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::store {
namespace {

// Serializes migrations across processes sharing one PostgreSQL database (the key is the
// bytes "LEPTONMG" as a big-endian integer).
constexpr std::string_view kPostgresLockSql = "SELECT pg_advisory_xact_lock(5495887243313564999)";

constexpr std::string_view kCreateTableSql =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";

// Splits `sql` into statements at top-level ';'. Respects '…' strings ('' escapes), "…"
// identifiers, `--` and `/* */` comments. Statements holding only blanks and comments are
// dropped. Not handled (not needed by our migrations): PostgreSQL $$ quoting and SQLite
// trigger bodies with BEGIN … END.
std::vector<std::string> SplitStatements(std::string_view sql) {
  std::vector<std::string> statements;
  std::string current;
  bool has_code = false;
  size_t i = 0;
  auto flush = [&] {
    if (has_code) statements.push_back(std::move(current));
    current.clear();
    has_code = false;
  };
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      size_t end = sql.find(c, i + 1);
      end = end == std::string_view::npos ? sql.size() : end + 1;
      current.append(sql.substr(i, end - i));
      has_code = true;
      i = end;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t end = sql.find('\n', i);
      end = end == std::string_view::npos ? sql.size() : end;
      current.append(sql.substr(i, end - i));
      i = end;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      end = end == std::string_view::npos ? sql.size() : end + 2;
      current.append(sql.substr(i, end - i));
      i = end;
    } else if (c == ';') {
      flush();
      ++i;
    } else {
      if (!std::isspace(static_cast<unsigned char>(c))) has_code = true;
      current.push_back(c);
      ++i;
    }
  }
  flush();
  return statements;
}

absl::Status LockIfPostgres(MetaStore& store, SqlSession& session) {
  if (store.dialect() != Dialect::kPostgres) return absl::OkStatus();
  return session.Query(kPostgresLockSql).status();
}

absl::Status ApplyOne(MetaStore& store, const Migration& migration) {
  const std::string& sql = store.dialect() == Dialect::kPostgres && !migration.postgres_sql.empty()
                               ? migration.postgres_sql
                               : migration.sqlite_sql;
  bool applied_now = false;
  absl::Status status = store.Transaction([&](SqlSession& session) -> absl::Status {
    applied_now = false;
    LEPTON_RETURN_IF_ERROR(LockIfPostgres(store, session));
    // Another process may have applied it between our check and our lock.
    LEPTON_ASSIGN_OR_RETURN(
        ResultSet done,
        session.Query("SELECT 1 FROM schema_migrations WHERE version = ?", {migration.version}));
    if (!done.rows.empty()) return absl::OkStatus();
    for (const std::string& statement : SplitStatements(sql)) {
      LEPTON_RETURN_IF_ERROR(session.Exec(statement));
    }
    LEPTON_RETURN_IF_ERROR(
        session.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                     {migration.version, migration.name,
                      lepton::FormatTimestamp(Clock::System().Now())}));
    applied_now = true;
    return absl::OkStatus();
  });
  if (!status.ok()) {
    return Annotate(status,
                    lepton::StrCat("migration ", migration.version, " (", migration.name, ")"));
  }
  if (applied_now) {
    Log(LogLevel::kInfo, "store: applied migration",
        {{"version", migration.version}, {"name", migration.name}});
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyMigrations(MetaStore& store, const std::vector<Migration>& migrations) {
  for (size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version <= migrations[i - 1].version) {
      return absl::InternalError(lepton::StrCat("migration versions not ascending at ",
                                              migrations[i].version));
    }
  }
  const int64_t newest_known = migrations.empty() ? 0 : migrations.back().version;

  int64_t current = 0;
  std::set<int64_t> applied;
  absl::Status prepared = store.Transaction([&](SqlSession& session) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(LockIfPostgres(store, session));
    LEPTON_RETURN_IF_ERROR(session.Exec(kCreateTableSql));
    LEPTON_ASSIGN_OR_RETURN(ResultSet result,
                            session.Query("SELECT version FROM schema_migrations"));
    applied.clear();
    for (const Row& row : result.rows) applied.insert(row.Int(0));
    current = applied.empty() ? 0 : *applied.rbegin();
    return absl::OkStatus();
  });
  if (!prepared.ok()) return Annotate(prepared, "reading schema_migrations");
  if (current > newest_known) {
    return absl::FailedPreconditionError(lepton::StrCat(
        "database schema version ", current, " is newer than the newest this binary knows (",
        newest_known, "); a newer lepton migrated it: upgrade this binary"));
  }
  for (const Migration& migration : migrations) {
    if (applied.contains(migration.version)) continue;
    LEPTON_RETURN_IF_ERROR(ApplyOne(store, migration));
  }
  return absl::OkStatus();
}

}  // namespace lepton::store
