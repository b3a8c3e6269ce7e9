#pragma once
// `ConnectionPool<Connection>`: what `SqliteMetaStore` and `PostgresMetaStore` share, written
// once: a pool of up to `max_connections` connections, opened lazily and handed out one per
// call or transaction; autocommit `Exec`/`Query`; and `Transaction`'s BEGIN … COMMIT/ROLLBACK
// loop with its retries on Aborted. What differs between databases stays in the backend's
// `Connection` (see `PooledConnection`): how to connect, when a connection may be reused, and
// how a transaction begins and commits. Module-private.
//
// Thread-safety: all methods may be called concurrently. A connection is used by one thread at
// a time: the one that acquired it.

#include <concepts>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/base/status.h"
#include "lepton/store/meta_store.h"

namespace lepton::store::internal {

// A backend's connection, as the pool uses it. Its methods are called by one thread at a time.
//   - `Open(target)`: connects to `target` (a file path, a connection URL). Its error is what a
//     call that needed a new connection returns.
//   - `Reusable()`: false when the connection must not serve another call (broken, or left in
//     a transaction); checked when it is released and again before an idle one is handed out.
//     May do non-blocking I/O.
//   - `Run(sql, params, result)`: runs one statement, appending rows to `result` when it is
//     non-null; returns the rows changed.
//   - `Begin()`, `Commit()`, `Rollback()`: transaction control. `Commit` fails when the
//     transaction did not commit, whatever the database answered.
//   - `InTransaction()`: a transaction is open (possibly failed) and needs a `Rollback`.
template <typename C>
concept PooledConnection = requires(C& connection, const std::string& target, std::string_view sql,
                                    const std::vector<Value>& params, ResultSet* result) {
  { C::Open(target) } -> std::same_as<absl::StatusOr<std::unique_ptr<C>>>;
  { connection.Reusable() } -> std::same_as<bool>;
  { connection.Run(sql, params, result) } -> std::same_as<absl::StatusOr<int64_t>>;
  { connection.Begin() } -> std::same_as<absl::Status>;
  { connection.Commit() } -> std::same_as<absl::Status>;
  { connection.Rollback() } -> std::same_as<absl::Status>;
  { connection.InTransaction() } -> std::same_as<bool>;
};

// Unconstrained so that a store's header can name `ConnectionPool<Connection>` while its
// `Connection` is still incomplete; the constructor checks `PooledConnection`.
template <typename Connection>
class ConnectionPool {
 public:
  // Opens nothing yet: connections are opened by the calls that need them (see `Warm`).
  // `target` is what `Connection::Open` takes. Preconditions: `max_connections` >= 1 and
  // `transaction_attempts` >= 1.
  ConnectionPool(std::string target, int max_connections, int transaction_attempts)
      : target_(std::move(target)),
        max_connections_(max_connections),
        transaction_attempts_(transaction_attempts) {
    static_assert(PooledConnection<Connection>);
  }

  // Precondition: no call or transaction is still running.
  ~ConnectionPool() = default;
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Makes sure one connection can be had (opening it if none is idle) and returns it to the
  // pool, so that a bad target fails when the store is opened rather than on first use.
  // Returns `Connection::Open`'s error.
  absl::Status Warm() {
    LEPTON_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection, Acquire());
    Release(std::move(connection));
    return absl::OkStatus();
  }

  // Run one statement on a connection of their own, outside any explicit transaction. Errors
  // are `Connection::Open`'s and `Connection::Run`'s.
  absl::StatusOr<int64_t> Exec(std::string_view sql, const std::vector<Value>& params) {
    LEPTON_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection, Acquire());
    absl::StatusOr<int64_t> changed = connection->Run(sql, params, nullptr);
    Release(std::move(connection));
    return changed;
  }
  absl::StatusOr<ResultSet> Query(std::string_view sql, const std::vector<Value>& params) {
    LEPTON_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection, Acquire());
    ResultSet result;
    absl::StatusOr<int64_t> ran = connection->Run(sql, params, &result);
    Release(std::move(connection));
    if (!ran.ok()) return ran.status();
    return result;
  }

  // Runs `fn` between `Begin` and `Commit` on one connection, rolling back when `fn` or the
  // commit fails, and returns the first error. When that error is Aborted (a serialization
  // failure or deadlock, or `fn` reporting a conflict) the whole transaction runs again on a
  // fresh acquire, up to `transaction_attempts` times in all. `fn` must use only the session
  // it is given: a call on the pool from inside `fn` needs a second connection.
  absl::Status Transaction(const std::function<absl::Status(SqlSession&)>& fn) {
    absl::Status status;
    for (int attempt = 1; attempt <= transaction_attempts_; ++attempt) {
      LEPTON_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection, Acquire());
      status = connection->Begin();
      if (status.ok()) {
        Session session(*connection);
        status = fn(session);
        if (status.ok()) status = connection->Commit();
        // The database may already have ended the transaction by itself (SQLite does on some
        // errors, e.g. SQLITE_FULL); only an open one is rolled back. A failed rollback leaves
        // the connection not `Reusable`, so `Release` drops it.
        if (!status.ok() && connection->InTransaction()) connection->Rollback().IgnoreError();
      }
      Release(std::move(connection));
      if (status.code() != absl::StatusCode::kAborted) break;
    }
    return status;
  }

 private:
  // The session a transaction's function sees: statements on the transaction's connection.
  class Session final : public SqlSession {
   public:
    explicit Session(Connection& connection) : connection_(connection) {}
    absl::StatusOr<int64_t> Exec(std::string_view sql, const std::vector<Value>& params) override {
      return connection_.Run(sql, params, nullptr);
    }
    absl::StatusOr<ResultSet> Query(std::string_view sql,
                                    const std::vector<Value>& params) override {
      ResultSet result;
      LEPTON_RETURN_IF_ERROR(connection_.Run(sql, params, &result));
      return result;
    }

   private:
    Connection& connection_;
  };

  // Hands out a reusable idle connection, opening one when fewer than `max_connections_`
  // exist, and otherwise waits for one to be released. Returns `Connection::Open`'s error.
  absl::StatusOr<std::unique_ptr<Connection>> Acquire() {
    while (true) {
      std::unique_ptr<Connection> connection;
      {
        std::unique_lock<std::mutex> lock(mu_);
        released_.wait(lock,
                       [this] { return !idle_.empty() || open_connections_ < max_connections_; });
        if (idle_.empty()) {
          ++open_connections_;
          break;
        }
        connection = std::move(idle_.back());
        idle_.pop_back();
      }
      // Checked again: a connection can break while idle (the PostgreSQL server restarted).
      if (connection->Reusable()) return connection;
      Close(std::move(connection));
    }
    absl::StatusOr<std::unique_ptr<Connection>> connection = Connection::Open(target_);
    if (!connection.ok()) Close(nullptr);
    return connection;
  }

  // Returns `connection` to the idle list, or closes it when it is not `Reusable`.
  void Release(std::unique_ptr<Connection> connection) {
    if (!connection->Reusable()) {
      Close(std::move(connection));
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(connection));
    released_.notify_one();
  }

  // Closes `connection` (null for one that failed to open) outside `mu_`, since closing may
  // wait on I/O, and frees its place in the pool.
  void Close(std::unique_ptr<Connection> connection) {
    connection.reset();
    std::lock_guard<std::mutex> lock(mu_);
    --open_connections_;
    released_.notify_one();
  }

  const std::string target_;
  const int max_connections_;
  const int transaction_attempts_;
  // A std::mutex rather than absl::Mutex: Debian's Abseil is not built with TSan, so TSan
  // cannot see absl::Mutex's synchronization and reports false races.
  std::mutex mu_;
  std::condition_variable released_;  // Signalled when a connection goes idle or is closed.
  std::vector<std::unique_ptr<Connection>> idle_;  // Guarded by `mu_`.
  int open_connections_ = 0;                       // Guarded by `mu_`; idle or in use.
};

}  // namespace lepton::store::internal
