#include "lepton/store/postgres/postgres_meta_store.h"

#include <libpq-fe.h>
#include <poll.h>

#include <charconv>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "lepton/base/logging.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/store/internal/connection_pool.h"

namespace lepton::store {
namespace {

// Type OIDs from PostgreSQL's catalog/pg_type.h (server headers are not installed with libpq).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

constexpr size_t kMaxCachedTranslations = 512;

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// Debian 12's Abseil has its own `absl::string_view`, distinct from `std::string_view`: the
// translation cache's heterogeneous lookup needs the former.
absl::string_view AsAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string_view Abbreviate(std::string_view sql) {
  constexpr size_t kMax = 300;
  return sql.size() <= kMax ? sql : sql.substr(0, kMax);
}

// Rewrites `?` to `$1..$n` outside '…' strings, "…" identifiers and comments.
struct Translation {
  std::string sql;
  int num_params = 0;
};
Translation TranslatePlaceholders(std::string_view sql) {
  Translation out;
  out.sql.reserve(sql.size() + 8);
  size_t i = 0;
  auto copy_until = [&](size_t end) {
    out.sql.append(sql.substr(i, end - i));
    i = end;
  };
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      size_t end = sql.find(c, i + 1);
      copy_until(end == std::string_view::npos ? sql.size() : end + 1);
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t end = sql.find('\n', i);
      copy_until(end == std::string_view::npos ? sql.size() : end);
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      copy_until(end == std::string_view::npos ? sql.size() : end + 2);
    } else if (c == '?') {
      lepton::StrAppend(&out.sql, "$", ++out.num_params);
      ++i;
    } else {
      out.sql.push_back(c);
      ++i;
    }
  }
  return out;
}

std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), d);  // Shortest round trip.
  return std::string(buffer, end);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Value ParseValue(Oid type, std::string_view text) {
  switch (type) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && ptr == text.data() + text.size()) return v;
      break;
    }
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid: {
      double v = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && ptr == text.data() + text.size()) return v;
      break;
    }
    case kBoolOid:
      return static_cast<int64_t>(text == "t" ? 1 : 0);
    case kByteaOid:
      // Hex output format (the default since PostgreSQL 9.0): "\x" then two digits a byte.
      if (text.starts_with("\\x") && text.size() % 2 == 0) {
        std::string bytes;
        bytes.reserve(text.size() / 2 - 1);
        for (size_t i = 2; i < text.size(); i += 2) {
          int hi = HexDigit(text[i]), lo = HexDigit(text[i + 1]);
          if (hi < 0 || lo < 0) return std::string(text);
          bytes.push_back(static_cast<char>(hi * 16 + lo));
        }
        return bytes;
      }
      break;
    default:
      break;
  }
  return std::string(text);
}

absl::Status ConnectionError(PGconn* conn, std::string_view context) {
  return absl::UnavailableError(lepton::StrCat(
      "postgres: ", context, ": ", StripWhitespace(PQerrorMessage(conn))));
}

absl::Status ResultError(PGconn* conn, const PGresult* result, std::string_view sql) {
  if (result == nullptr || PQstatus(conn) == CONNECTION_BAD) {
    return absl::UnavailableError(
        lepton::StrCat("postgres: connection lost: ", StripWhitespace(PQerrorMessage(conn)),
                     " (in `", Abbreviate(sql), "`)"));
  }
  const char* state_field = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const std::string_view state = state_field != nullptr ? state_field : "";
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL);
  std::string message = lepton::StrCat(
      "postgres: ",
      primary != nullptr ? std::string_view(primary)
                         : StripWhitespace(PQresultErrorMessage(result)),
      detail != nullptr ? lepton::StrCat(" (", detail, ")") : "", " [sqlstate ", state, "] (in `",
      Abbreviate(sql), "`)");
  if (state == "23505") return absl::AlreadyExistsError(message);
  if (state == "23503" || state == "23514" || state == "23502") {
    return absl::FailedPreconditionError(message);
  }
  if (state == "40001" || state == "40P01") return absl::AbortedError(message);
  if (state.starts_with("08") || state == "57P01" || state == "57P02" ||
      state == "57P03") {
    return absl::UnavailableError(message);
  }
  if (state.starts_with("42") || state.starts_with("22")) {
    return absl::InvalidArgumentError(message);
  }
  return absl::InternalError(message);
}

void LogNotice(void* /*arg*/, const char* message) {
  Log(LogLevel::kWarning, "postgres notice",
      {{"message", StripWhitespace(message)}});
}

}  // namespace

// One libpq connection and its placeholder translations. Used by one thread at a time.
class PostgresMetaStore::Connection {
 public:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& url) {
    // Our defaults first: settings in `url` (expanded from "dbname") override them.
    const char* const keywords[] = {"connect_timeout", "fallback_application_name", "dbname",
                                    nullptr};
    const char* const values[] = {"10", "lepton", url.c_str(), nullptr};
    auto connection = std::make_unique<Connection>(
        PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
    PGconn* conn = connection->conn_;
    if (conn == nullptr) return absl::ResourceExhaustedError("postgres: out of memory");
    if (PQstatus(conn) != CONNECTION_OK) return ConnectionError(conn, "connecting");
    PQsetNoticeProcessor(conn, &LogNotice, nullptr);
    ResultPtr result(PQexec(conn, "SET client_min_messages TO WARNING"));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return ResultError(conn, result.get(), "SET client_min_messages TO WARNING");
    }
    return connection;
  }

  // True when the connection can serve another call: open, no transaction left open, and no
  // sign of the server having closed it. An idle connection has nothing to read, so readable
  // input means the server sent something (typically a termination notice followed by EOF);
  // it is consumed, which is where libpq notices the EOF. Never blocks.
  bool Reusable() {
    if (PQstatus(conn_) != CONNECTION_OK) return false;
    for (int i = 0; i < 4; ++i) {
      pollfd fd = {PQsocket(conn_), POLLIN, 0};
      if (poll(&fd, 1, /*timeout=*/0) <= 0) break;
      if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) return false;
    }
    return PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }

  // Runs one statement; fills `result` when it is non-null. Returns rows changed.
  absl::StatusOr<int64_t> Run(std::string_view sql, const std::vector<Value>& params,
                              ResultSet* result) {
    auto it = translations_.find(AsAbsl(sql));
    if (it == translations_.end()) {
      if (translations_.size() >= kMaxCachedTranslations) translations_.clear();
      it = translations_.emplace(std::string(sql), TranslatePlaceholders(sql)).first;
    }
    const Translation& translation = it->second;
    if (translation.num_params != static_cast<int>(params.size())) {
      return absl::InvalidArgumentError(lepton::StrCat(
          "postgres: statement takes ", translation.num_params, " parameters, got ",
          params.size(), " (in `", Abbreviate(sql), "`)"));
    }
    const size_t n = params.size();
    std::vector<std::string> formatted(n);
    std::vector<const char*> values(n, nullptr);
    std::vector<Oid> types(n, 0);  // 0: the server infers the type from context.
    for (size_t i = 0; i < n; ++i) {
      if (const auto* v = std::get_if<int64_t>(&params[i])) {
        formatted[i] = lepton::StrCat(*v);
        values[i] = formatted[i].c_str();
        types[i] = kInt8Oid;
      } else if (const auto* d = std::get_if<double>(&params[i])) {
        formatted[i] = FormatDouble(*d);
        values[i] = formatted[i].c_str();
        types[i] = kFloat8Oid;
      } else if (const auto* s = std::get_if<std::string>(&params[i])) {
        values[i] = s->c_str();
      }
    }
    ResultPtr res(PQexecParams(conn_, translation.sql.c_str(), static_cast<int>(n), types.data(),
                               values.data(), /*paramLengths=*/nullptr, /*paramFormats=*/nullptr,
                               /*resultFormat=*/0));
    switch (PQresultStatus(res.get())) {
      case PGRES_COMMAND_OK:
        return ChangedRows(res.get());
      case PGRES_TUPLES_OK:
        if (result != nullptr) ReadRows(res.get(), result);
        return ChangedRows(res.get());
      case PGRES_EMPTY_QUERY:
        return 0;
      default:
        return ResultError(conn_, res.get(), sql);
    }
  }

  // `internal::PooledConnection`'s transaction control.
  absl::Status Begin() { return Control("BEGIN").status(); }
  absl::Status Commit() {
    // PostgreSQL answers COMMIT of a failed transaction with a silent ROLLBACK.
    if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
      return absl::InternalError(
          "postgres: a statement in the transaction failed but its error was not returned");
    }
    LEPTON_ASSIGN_OR_RETURN(std::string tag, Control("COMMIT"));
    if (tag != "COMMIT") {
      return absl::InternalError(lepton::StrCat("postgres: COMMIT answered ", tag));
    }
    return absl::OkStatus();
  }
  absl::Status Rollback() { return Control("ROLLBACK").status(); }
  bool InTransaction() const {
    PGTransactionStatusType status = PQtransactionStatus(conn_);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
  }

 private:
  // Runs a parameterless transaction-control statement and returns its command tag.
  absl::StatusOr<std::string> Control(const char* sql) {
    ResultPtr res(PQexec(conn_, sql));
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) return ResultError(conn_, res.get(), sql);
    return std::string(PQcmdStatus(res.get()));
  }

  static int64_t ChangedRows(PGresult* res) {
    // A SELECT's tag counts the rows it returned, which SQLite does not report as changes.
    if (std::string_view(PQcmdStatus(res)).starts_with("SELECT")) return 0;
    std::string_view tuples = PQcmdTuples(res);
    int64_t n = 0;
    std::from_chars(tuples.data(), tuples.data() + tuples.size(), n);
    return n;
  }

  static void ReadRows(PGresult* res, ResultSet* result) {
    const int columns = PQnfields(res);
    const int rows = PQntuples(res);
    std::vector<Oid> types(columns);
    result->columns.clear();
    for (int c = 0; c < columns; ++c) {
      result->columns.emplace_back(PQfname(res, c));
      types[c] = PQftype(res, c);
    }
    result->rows.reserve(result->rows.size() + rows);
    for (int r = 0; r < rows; ++r) {
      std::vector<Value> values;
      values.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(res, r, c)) {
          values.emplace_back(std::monostate{});
        } else {
          values.push_back(ParseValue(
              types[c], std::string_view(PQgetvalue(res, r, c), PQgetlength(res, r, c))));
        }
      }
      result->rows.emplace_back(std::move(values));
    }
  }

  PGconn* const conn_;
  absl::flat_hash_map<std::string, Translation> translations_;
};

PostgresMetaStore::PostgresMetaStore(std::string url, int max_connections)
    : pool_(std::make_unique<internal::ConnectionPool<Connection>>(
          std::move(url), max_connections, kTransactionAttempts)) {}

PostgresMetaStore::~PostgresMetaStore() = default;

absl::StatusOr<std::unique_ptr<PostgresMetaStore>> PostgresMetaStore::Open(
    const std::string& url, int max_connections) {
  if (max_connections < 1) {
    return absl::InvalidArgumentError(
        lepton::StrCat("postgres store needs at least one connection, got ", max_connections));
  }
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    return absl::InvalidArgumentError(
        lepton::StrCat("postgres: bad connection url: ", StripWhitespace(message)));
  }
  PQconninfoFree(options);
  std::unique_ptr<PostgresMetaStore> store(new PostgresMetaStore(url, max_connections));
  // Connect once now so that a wrong URL or a down server fails here rather than on first use.
  LEPTON_RETURN_IF_ERROR(store->pool_->Warm());
  return store;
}

absl::StatusOr<int64_t> PostgresMetaStore::Exec(std::string_view sql,
                                                const std::vector<Value>& params) {
  return pool_->Exec(sql, params);
}

absl::StatusOr<ResultSet> PostgresMetaStore::Query(std::string_view sql,
                                                   const std::vector<Value>& params) {
  return pool_->Query(sql, params);
}

absl::Status PostgresMetaStore::Transaction(const std::function<absl::Status(SqlSession&)>& fn) {
  return pool_->Transaction(fn);
}

absl::Status PostgresMetaStore::Ping() { return Query("SELECT 1").status(); }

}  // namespace lepton::store
