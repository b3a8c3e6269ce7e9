#include "lepton/store/sqlite/sqlite_meta_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "lepton/base/files.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/store/internal/connection_pool.h"

namespace lepton::store {
namespace {

constexpr int kBusyTimeoutMs = 5000;

// Waits for a lock held by another connection, for up to `kBusyTimeoutMs` in all. SQLite's own
// busy timeout sleeps in steps that grow to 100 ms, which under write contention between our
// pooled connections turns sub-millisecond waits into p99s of hundreds of milliseconds; short,
// slowly growing sleeps keep the queue moving.
int BusyWait(void*, int attempts) {
  // Sleeps of 20 us, 40 us, … up to 1 ms from the 50th attempt on; `waited_us` is their sum
  // over the attempts already made.
  const int64_t n = attempts;
  const int64_t sleep_us = std::min<int64_t>(20 * (n + 1), 1000);
  const int64_t waited_us = n <= 50 ? 10 * n * (n + 1) : 25500 + (n - 50) * 1000;
  if (waited_us >= int64_t{kBusyTimeoutMs} * 1000) return 0;
  std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  return 1;
}


// Beyond this many distinct SQL texts on one connection the cache is flushed: queries are
// meant to be constant strings, so this only trips on code that splices values into SQL.
constexpr size_t kMaxCachedStatements = 512;

// Debian 12's Abseil has its own `absl::string_view`, distinct from `std::string_view`: the
// statement cache's heterogeneous lookup needs the former.
absl::string_view AsAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string_view Abbreviate(std::string_view sql) {
  constexpr size_t kMax = 300;
  return sql.size() <= kMax ? sql : sql.substr(0, kMax);
}

absl::Status SqliteError(int code, std::string_view message, std::string_view sql) {
  std::string text = lepton::StrCat("sqlite: ", message, " (in `", Abbreviate(sql), "`)");
  switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return absl::AlreadyExistsError(text);
    default:
      break;
  }
  switch (code & 0xff) {
    case SQLITE_CONSTRAINT:
      return absl::FailedPreconditionError(text);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(text);
    case SQLITE_ERROR:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
      return absl::InvalidArgumentError(text);
    default:
      return absl::InternalError(text);
  }
}

}  // namespace

// One sqlite3 handle and its prepared statements. Used by one thread at a time.
class SqliteMetaStore::Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection() {
    ClearCache();
    sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
      std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
      sqlite3_close_v2(db);
      return absl::UnavailableError(lepton::StrCat("opening sqlite database ", path, ": ", message));
    }
    auto connection = std::make_unique<Connection>(db);
    sqlite3_extended_result_codes(db, 1);
    // The busy handler goes first: switching to WAL needs a lock another process may hold.
    sqlite3_busy_handler(db, &BusyWait, nullptr);
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                               "PRAGMA foreign_keys=ON"}) {
      char* error = nullptr;
      rc = sqlite3_exec(db, pragma, nullptr, nullptr, &error);
      if (rc != SQLITE_OK) {
        absl::Status status = SqliteError(rc, error != nullptr ? error : sqlite3_errstr(rc), pragma);
        sqlite3_free(error);
        return Annotate(status, lepton::StrCat("configuring sqlite database ", path));
      }
    }
    return connection;
  }

  // Runs one statement; appends rows to `result` when it is non-null. Returns rows changed.
  absl::StatusOr<int64_t> Run(std::string_view sql, const std::vector<Value>& params,
                              ResultSet* result) {
    LEPTON_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    if (stmt == nullptr) return 0;  // Only blanks and comments.
    const int want = sqlite3_bind_parameter_count(stmt);
    if (want != static_cast<int>(params.size())) {
      return absl::InvalidArgumentError(lepton::StrCat("sqlite: statement takes ", want,
                                                     " parameters, got ", params.size(),
                                                     " (in `", Abbreviate(sql), "`)"));
    }
    // Parameters outlive the statement's execution (reset below), so nothing is copied.
    for (int i = 0; i < want; ++i) {
      const Value& value = params[i];
      int rc = SQLITE_OK;
      if (const auto* v = std::get_if<int64_t>(&value)) {
        rc = sqlite3_bind_int64(stmt, i + 1, *v);
      } else if (const auto* d = std::get_if<double>(&value)) {
        rc = sqlite3_bind_double(stmt, i + 1, *d);
      } else if (const auto* s = std::get_if<std::string>(&value)) {
        rc = sqlite3_bind_text64(stmt, i + 1, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(stmt, i + 1);
      }
      if (rc != SQLITE_OK) {
        absl::Status status = SqliteError(rc, sqlite3_errmsg(db_), sql);
        Reset(stmt);
        return status;
      }
    }

    const int64_t total_before = sqlite3_total_changes64(db_);
    const int columns = sqlite3_column_count(stmt);
    if (result != nullptr) {
      result->columns.clear();
      for (int c = 0; c < columns; ++c) result->columns.emplace_back(sqlite3_column_name(stmt, c));
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      if (result == nullptr) continue;
      std::vector<Value> values;
      values.reserve(columns);
      for (int c = 0; c < columns; ++c) values.push_back(ReadColumn(stmt, c));
      result->rows.emplace_back(std::move(values));
    }
    if (rc != SQLITE_DONE) {
      absl::Status status = SqliteError(rc, sqlite3_errmsg(db_), sql);
      Reset(stmt);
      return status;
    }
    Reset(stmt);
    // `sqlite3_changes64` keeps the count of the last INSERT/UPDATE/DELETE, so it is stale after
    // any other statement; the total only moves when this statement changed rows.
    if (sqlite3_total_changes64(db_) == total_before) return 0;
    return sqlite3_changes64(db_);
  }

  // `internal::PooledConnection`. A handle left in a transaction is not handed out again.
  bool Reusable() const { return sqlite3_get_autocommit(db_) != 0; }
  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }
  // IMMEDIATE takes the write lock at BEGIN, so writers queue there (up to the busy timeout)
  // instead of failing at COMMIT. SQLite never aborts such a transaction by itself, but `fn`
  // may report a conflict as Aborted, which the pool retries as on PostgreSQL.
  absl::Status Begin() { return Run("BEGIN IMMEDIATE", {}, nullptr).status(); }
  absl::Status Commit() { return Run("COMMIT", {}, nullptr).status(); }
  absl::Status Rollback() { return Run("ROLLBACK", {}, nullptr).status(); }

 private:
  static Value ReadColumn(sqlite3_stmt* stmt, int c) {
    switch (sqlite3_column_type(stmt, c)) {
      case SQLITE_INTEGER:
        return static_cast<int64_t>(sqlite3_column_int64(stmt, c));
      case SQLITE_FLOAT:
        return sqlite3_column_double(stmt, c);
      case SQLITE_TEXT: {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
        return std::string(text, sqlite3_column_bytes(stmt, c));
      }
      case SQLITE_BLOB: {
        const auto* blob = static_cast<const char*>(sqlite3_column_blob(stmt, c));
        const int size = sqlite3_column_bytes(stmt, c);
        return blob == nullptr ? std::string() : std::string(blob, size);
      }
      default:
        return std::monostate{};
    }
  }

  static void Reset(sqlite3_stmt* stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }

  // Returns the cached statement for `sql`, preparing it on first use. nullptr for SQL with
  // nothing to run.
  absl::StatusOr<sqlite3_stmt*> Prepare(std::string_view sql) {
    if (auto it = cache_.find(AsAbsl(sql)); it != cache_.end()) return it->second;
    if (cache_.size() >= kMaxCachedStatements) ClearCache();
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) return SqliteError(rc, sqlite3_errmsg(db_), sql);
    std::string_view rest =
        tail == nullptr ? std::string_view() : sql.substr(tail - sql.data());
    if (!StripWhitespace(rest).empty()) {
      sqlite3_finalize(stmt);
      return absl::InvalidArgumentError(
          lepton::StrCat("sqlite: one statement per call (in `", Abbreviate(sql), "`)"));
    }
    if (stmt != nullptr) cache_.emplace(std::string(sql), stmt);
    return stmt;
  }

  void ClearCache() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    cache_.clear();
  }

  sqlite3* const db_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> cache_;
};

SqliteMetaStore::SqliteMetaStore(std::string path, int max_connections)
    : path_(path),
      pool_(std::make_unique<internal::ConnectionPool<Connection>>(
          std::move(path), max_connections, kTransactionAttempts)) {}

SqliteMetaStore::~SqliteMetaStore() = default;

absl::StatusOr<std::unique_ptr<SqliteMetaStore>> SqliteMetaStore::Open(const std::string& path,
                                                                       int max_connections) {
  if (max_connections < 1) {
    return absl::InvalidArgumentError(
        lepton::StrCat("sqlite store needs at least one connection, got ", max_connections));
  }
  if (path.empty()) return absl::InvalidArgumentError("sqlite store needs a file path");
  if (size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0) {
    absl::Status made = MakeDirs(path.substr(0, slash));
    if (!made.ok()) return Annotate(made, "creating the sqlite database folder");
  }
  std::unique_ptr<SqliteMetaStore> store(new SqliteMetaStore(path, max_connections));
  // Open one connection now so that a bad path fails here rather than on first use.
  LEPTON_RETURN_IF_ERROR(store->pool_->Warm());
  return store;
}

absl::StatusOr<int64_t> SqliteMetaStore::Exec(std::string_view sql,
                                              const std::vector<Value>& params) {
  return pool_->Exec(sql, params);
}

absl::StatusOr<ResultSet> SqliteMetaStore::Query(std::string_view sql,
                                                 const std::vector<Value>& params) {
  return pool_->Query(sql, params);
}

absl::Status SqliteMetaStore::Transaction(const std::function<absl::Status(SqlSession&)>& fn) {
  return pool_->Transaction(fn);
}

absl::Status SqliteMetaStore::Ping() { return Query("SELECT 1").status(); }

}  // namespace lepton::store
