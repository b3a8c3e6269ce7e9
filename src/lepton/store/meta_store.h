#pragma once
// `MetaStore`: the platform's metadata database behind one small SQL interface, with two real
// implementations: SQLite (embedded default; WAL, busy timeout, foreign keys) and PostgreSQL
// (libpq; for shared, scaled-out deployments). Modules write portable SQL against it:
//   - placeholders are `?` (PostgreSQL's `$n` are produced by the implementation);
//   - types: TEXT, BIGINT, DOUBLE PRECISION, BLOB/BYTEA via `Migration` dialect variants;
//   - booleans are stored as BIGINT 0/1, times as RFC 3339 TEXT (lexically ordered, UTC).
// Schema changes are `Migration`s applied in version order at open (see migrations.h).
//
// Thread-safety: a `MetaStore` may be used from any number of threads at once; each call and
// each `Transaction` uses a connection of its own from a pool.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lepton::store {

// One SQL value. `std::monostate` is NULL.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

// Convenience constructors for parameters.
inline Value Null() { return std::monostate{}; }

// The rows a query returned. Column values keep the type SQL gave them: INTEGER/BIGINT columns
// come back as int64_t, REAL/DOUBLE as double, TEXT as std::string, NULL as monostate.
class Row {
 public:
  Row() = default;
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  const Value& operator[](size_t i) const { return values_[i]; }
  bool IsNull(size_t i) const { return std::holds_alternative<std::monostate>(values_[i]); }
  // Typed accessors. A NULL or a value of another type gives the fallback; integers convert to
  // double and numeric text never converts (use the right column type instead).
  int64_t Int(size_t i, int64_t fallback = 0) const;
  double Double(size_t i, double fallback = 0) const;
  std::string String(size_t i, std::string fallback = "") const;
  std::optional<std::string> OptionalString(size_t i) const;
  std::optional<int64_t> OptionalInt(size_t i) const;

 private:
  std::vector<Value> values_;
};

struct ResultSet {
  std::vector<std::string> columns;
  std::vector<Row> rows;
};

enum class Dialect { kSqlite, kPostgres };

// A SQL session inside one transaction (or, for `MetaStore` itself, in autocommit mode).
class SqlSession {
 public:
  virtual ~SqlSession() = default;
  // Runs a statement that returns no rows; returns the number of rows it changed.
  // AlreadyExists on a unique-constraint violation, FailedPrecondition on a foreign-key or
  // check violation, Unavailable when the database is unreachable or busy past its timeout,
  // InvalidArgument on SQL errors (our bug, but reported, not crashed on).
  virtual absl::StatusOr<int64_t> Exec(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  // Runs a query and returns all rows. Errors as for `Exec`.
  virtual absl::StatusOr<ResultSet> Query(std::string_view sql, const std::vector<Value>& params = {}) = 0;
};

class MetaStore : public SqlSession {
 public:
  // Runs `fn` in one transaction on one connection: committed when `fn` returns OK, rolled back
  // otherwise (and the error returned). Write transactions are serialized by the database
  // (SQLite: BEGIN IMMEDIATE; PostgreSQL: row locks and READ COMMITTED), so
  // `UPDATE … RETURNING` on a counter row is the portable way to allocate sequence numbers.
  // A transaction aborted for a serialization conflict or deadlock is retried up to 3 times.
  virtual absl::Status Transaction(const std::function<absl::Status(SqlSession&)>& fn) = 0;

  // OK when the database answers a trivial query. Used by `/readyz`.
  virtual absl::Status Ping() = 0;

  virtual Dialect dialect() const = 0;

  // The highest migration version applied.
  virtual absl::StatusOr<int64_t> SchemaVersion();
};

// Opens the store that `url` names and applies all migrations in `migrations.h`:
//   "sqlite:/abs/path/meta.db"                         SQLite file (created if missing)
//   "postgresql://user:pass@host:port/dbname?…"        PostgreSQL (libpq connection URI)
// InvalidArgument for an unknown scheme; Unavailable when PostgreSQL cannot be reached;
// FailedPrecondition when the database holds a schema newer than this binary knows.
absl::StatusOr<std::unique_ptr<MetaStore>> OpenMetaStore(const std::string& url);

}  // namespace lepton::store
