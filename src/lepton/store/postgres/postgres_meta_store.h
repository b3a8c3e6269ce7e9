#pragma once
// `PostgresMetaStore`: the `MetaStore` on a PostgreSQL server, through libpq. It keeps a pool
// of up to `max_connections` connections, opened lazily and handed out one per call or
// transaction. A connection found broken (server restart, network loss) is dropped and a new
// one is opened on a later call, so the store recovers by itself once the server is back;
// the call that hit the broken connection fails with Unavailable.
//
// SQL is the portable dialect of `meta_store.h`: `?` placeholders are rewritten to `$1..$n`
// (not inside quoted strings, identifiers or comments), once per connection and SQL text.
// Parameters are sent as text, typed BIGINT (int64), DOUBLE PRECISION (double) or left for the
// server to infer (string, NULL). Results come back typed by column type: integer types and
// booleans (as 0/1) as int64, float and NUMERIC as double, BYTEA as raw bytes, others as text.
// Transactions run at READ COMMITTED; serialization failures and deadlocks are retried.
//
// Thread-safety: all methods may be called concurrently. Callers get a `MetaStore` from
// `OpenMetaStore` (which applies migrations); `Open` here is for code that must not migrate
// (e.g. an administrative connection that creates databases).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/store/meta_store.h"

namespace lepton::store {
namespace internal {
template <typename Connection>
class ConnectionPool;  // internal/connection_pool.h
}  // namespace internal

class PostgresMetaStore final : public MetaStore {
 public:
  static constexpr int kDefaultMaxConnections = 8;
  // Attempts per `Transaction` when the server aborts it for a serialization failure or
  // deadlock (SQLSTATE 40001, 40P01): the first run plus three retries.
  static constexpr int kTransactionAttempts = 4;

  // Connects to `url` (a libpq connection URI or key=value string) and checks that one
  // connection works. Does not apply migrations. A connect timeout of 10 s applies unless the
  // URL sets `connect_timeout`.
  // InvalidArgument if `max_connections` < 1 or libpq rejects the URL; Unavailable when the
  // server cannot be reached or refuses the login.
  static absl::StatusOr<std::unique_ptr<PostgresMetaStore>> Open(
      const std::string& url, int max_connections = kDefaultMaxConnections);

  // Precondition: no call or transaction is still running.
  ~PostgresMetaStore() override;
  PostgresMetaStore(const PostgresMetaStore&) = delete;
  PostgresMetaStore& operator=(const PostgresMetaStore&) = delete;

  // One statement per call. Besides the `SqlSession` errors: InvalidArgument when the number of
  // `params` differs from the number of `?`, or on SQLSTATE classes 22 (data) and 42 (syntax,
  // unknown table or column); Aborted on 40001/40P01; Internal on other server errors.
  absl::StatusOr<int64_t> Exec(std::string_view sql, const std::vector<Value>& params = {}) override;
  absl::StatusOr<ResultSet> Query(std::string_view sql,
                                  const std::vector<Value>& params = {}) override;
  // `fn` may run up to `kTransactionAttempts` times, so it must not have effects outside the
  // session (or they must be safe to repeat). `fn` must use only the session it is given.
  absl::Status Transaction(const std::function<absl::Status(SqlSession&)>& fn) override;
  // Runs `SELECT 1`. Unavailable when the server does not answer.
  absl::Status Ping() override;
  Dialect dialect() const override { return Dialect::kPostgres; }

 private:
  class Connection;  // PGconn* plus its placeholder translations; defined in the .cc.

  PostgresMetaStore(std::string url, int max_connections);

  // Up to `max_connections` connections, opened lazily; runs every call and transaction. A
  // connection found broken when it is released or handed out again is closed.
  const std::unique_ptr<internal::ConnectionPool<Connection>> pool_;
};

}  // namespace lepton::store
