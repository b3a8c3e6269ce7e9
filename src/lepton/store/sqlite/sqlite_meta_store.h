#pragma once
// `SqliteMetaStore`: the embedded `MetaStore`, one SQLite file in WAL mode. It keeps a pool of
// up to `max_connections` connections, opened lazily and handed out one per call or
// transaction; each connection caches its prepared statements by SQL text, so repeating a query
// (the HTTP server's per-request auth lookup) costs no parse. Every connection runs with
// `journal_mode=WAL`, `synchronous=NORMAL`, `foreign_keys=ON` and a 5 s busy timeout.
// Write transactions use `BEGIN IMMEDIATE`, so they queue on the database's write lock instead
// of failing at commit. Several processes may share the file.
//
// Thread-safety: all methods may be called concurrently. Callers get a `MetaStore` from
// `OpenMetaStore` (which applies migrations); `Open` here is for code that must not migrate.

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

class SqliteMetaStore final : public MetaStore {
 public:
  static constexpr int kDefaultMaxConnections = 8;
  // Attempts per `Transaction` when `fn` returns Aborted: the first run plus three retries.
  static constexpr int kTransactionAttempts = 4;

  // Opens (creating if missing, along with its parent folders) the database file at `path`
  // and checks that one connection works. Does not apply migrations.
  // InvalidArgument if `max_connections` < 1; Internal/Unavailable when the file cannot be
  // opened or configured (message carries the path).
  static absl::StatusOr<std::unique_ptr<SqliteMetaStore>> Open(
      const std::string& path, int max_connections = kDefaultMaxConnections);

  // Precondition: no call or transaction is still running.
  ~SqliteMetaStore() override;
  SqliteMetaStore(const SqliteMetaStore&) = delete;
  SqliteMetaStore& operator=(const SqliteMetaStore&) = delete;

  // One statement per call (a trailing ';' is fine). Besides the `SqlSession` errors:
  // InvalidArgument when the number of `params` differs from the number of `?`.
  absl::StatusOr<int64_t> Exec(std::string_view sql, const std::vector<Value>& params = {}) override;
  absl::StatusOr<ResultSet> Query(std::string_view sql,
                                  const std::vector<Value>& params = {}) override;
  // `fn` must use only the session it is given: calling this store from inside `fn` would wait
  // for the write lock that `fn` itself holds (and fail with Unavailable after the timeout).
  // Unavailable when the write lock stays busy past the busy timeout. When `fn` returns Aborted
  // it is run again, up to `kTransactionAttempts` times in all.
  absl::Status Transaction(const std::function<absl::Status(SqlSession&)>& fn) override;
  absl::Status Ping() override;
  Dialect dialect() const override { return Dialect::kSqlite; }

  const std::string& path() const { return path_; }

 private:
  class Connection;  // sqlite3* plus its statement cache; defined in the .cc.

  SqliteMetaStore(std::string path, int max_connections);

  const std::string path_;
  // Up to `max_connections` connections, opened lazily; runs every call and transaction.
  const std::unique_ptr<internal::ConnectionPool<Connection>> pool_;
};

}  // namespace lepton::store
