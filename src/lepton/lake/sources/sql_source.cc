#include "lepton/lake/sources/sql_source.h"

#include "lepton/lake/ingest/input.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "lepton/base/json.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/lake/ingest/infer.h"

namespace lepton::lake::sources {

namespace sql_internal {

enum class CellKind { kNull, kInt, kReal, kText, kBlob };

struct Cell {
  CellKind kind = CellKind::kNull;
  int64_t i = 0;
  double d = 0;
  std::string_view text;  // kText and kBlob; valid until the cursor moves
};

struct BufferedCell {
  CellKind kind = CellKind::kNull;
  int64_t i = 0;
  double d = 0;
  std::string text;
};

// A running statement. `Get` values stay valid until the next `Next`.
class Cursor {
 public:
  virtual ~Cursor() = default;
  const std::vector<std::string>& names() const { return names_; }
  // Per column: the type from the database's metadata, or nullopt to infer from the values.
  const std::vector<std::optional<DataType>>& types() const { return types_; }
  // Moves to the next row; false at the end (and on every later call).
  virtual absl::StatusOr<bool> Next() = 0;
  virtual Cell Get(size_t column) = 0;

 protected:
  std::vector<std::string> names_;
  std::vector<std::optional<DataType>> types_;
};

}  // namespace sql_internal

namespace {

using sql_internal::BufferedCell;
using sql_internal::Cell;
using sql_internal::CellKind;
using sql_internal::Cursor;

constexpr size_t kMaxQuotedValueBytes = 64;

std::string Quote(std::string_view v) {
  if (v.size() <= kMaxQuotedValueBytes) return StrCat("\"", v, "\"");
  return StrCat("\"", v.substr(0, kMaxQuotedValueBytes), "\"...");
}

std::string FormatDouble(double d) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  return ec == std::errc() ? std::string(buf, ptr) : std::string("nan");
}

std::string Describe(const Cell& c) {
  switch (c.kind) {
    case CellKind::kNull:
      return "null";
    case CellKind::kInt:
      return StrCat(c.i);
    case CellKind::kReal:
      return FormatDouble(c.d);
    case CellKind::kText:
      return Quote(c.text);
    case CellKind::kBlob:
      return StrCat("a blob of ", c.text.size(), " bytes");
  }
  return "?";
}

bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}


// ---------------------------------------------------------------------------------------------
// SQLite.

// SQLite's column-affinity substring rules, extended with the types SQLite leaves to us.
std::optional<DataType> SqliteDeclaredType(const char* declared) {
  if (declared == nullptr) return std::nullopt;
  const std::string t = AsciiUpper(declared);
  auto has = [&t](std::string_view s) { return t.find(s) != std::string::npos; };
  if (has("BOOL")) return DataType::kBool;
  if (has("DATETIME") || has("TIMESTAMP")) return DataType::kTimestamp;
  if (has("DATE")) return DataType::kDate;
  if (has("INT")) return DataType::kInt64;
  if (has("CHAR") || has("CLOB") || has("TEXT")) return DataType::kString;
  if (has("REAL") || has("FLOA") || has("DOUB")) return DataType::kDouble;
  return std::nullopt;
}

class SqliteCursor : public Cursor {
 public:
  ~SqliteCursor() override {
    sqlite3_finalize(stmt_);
    sqlite3_close_v2(db_);
  }

  absl::Status Open(const std::string& path, const std::string& sql) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      return absl::UnavailableError(StrCat("cannot open SQLite database ", path, ": ",
                                           db_ ? sqlite3_errmsg(db_) : "out of memory"));
    }
    sqlite3_busy_timeout(db_, 5000);
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt_, &tail);
    if (rc != SQLITE_OK) return Error(rc);
    if (stmt_ == nullptr) return absl::InvalidArgumentError("empty SQL statement");
    if (tail != nullptr && !StripWhitespace(std::string_view(tail)).empty() &&
        StripWhitespace(std::string_view(tail)) != ";") {
      return absl::InvalidArgumentError("only one SQL statement is allowed");
    }
    if (!sqlite3_stmt_readonly(stmt_)) {
      return absl::InvalidArgumentError("only statements that read are allowed");
    }
    const int n = sqlite3_column_count(stmt_);
    if (n == 0) return absl::InvalidArgumentError("the SQL statement returns no rows");
    for (int i = 0; i < n; ++i) {
      const char* name = sqlite3_column_name(stmt_, i);
      names_.push_back(name ? name : "");
      types_.push_back(SqliteDeclaredType(sqlite3_column_decltype(stmt_, i)));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<bool> Next() override {
    if (done_) return false;
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    done_ = true;
    if (rc == SQLITE_DONE) return false;
    return Error(rc);
  }

  Cell Get(size_t column) override {
    const int i = static_cast<int>(column);
    Cell c;
    switch (sqlite3_column_type(stmt_, i)) {
      case SQLITE_INTEGER:
        c.kind = CellKind::kInt;
        c.i = sqlite3_column_int64(stmt_, i);
        break;
      case SQLITE_FLOAT:
        c.kind = CellKind::kReal;
        c.d = sqlite3_column_double(stmt_, i);
        break;
      case SQLITE_TEXT: {
        c.kind = CellKind::kText;
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
        c.text = std::string_view(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(stmt_, i)));
        break;
      }
      case SQLITE_BLOB: {
        c.kind = CellKind::kBlob;
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, i));
        c.text = std::string_view(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(stmt_, i)));
        break;
      }
      default:
        break;
    }
    return c;
  }

 private:
  absl::Status Error(int rc) const {
    std::string message = StrCat("SQLite: ", sqlite3_errmsg(db_));
    switch (rc & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
      case SQLITE_CANTOPEN:
        return absl::UnavailableError(message);
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
      case SQLITE_IOERR:
        return absl::DataLossError(message);
      default:
        return absl::InvalidArgumentError(message);
    }
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  bool done_ = false;
};

// ---------------------------------------------------------------------------------------------
// PostgreSQL.

constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kBpcharOid = 1042;
constexpr Oid kVarcharOid = 1043;
constexpr Oid kDateOid = 1082;
constexpr Oid kTimestampOid = 1114;
constexpr Oid kTimestamptzOid = 1184;
constexpr Oid kNumericOid = 1700;

DataType PostgresType(Oid oid) {
  switch (oid) {
    case kBoolOid:
      return DataType::kBool;
    case kInt2Oid:
    case kInt4Oid:
      return DataType::kInt32;
    case kInt8Oid:
      return DataType::kInt64;
    case kFloat4Oid:
      return DataType::kFloat;
    case kFloat8Oid:
    case kNumericOid:
      return DataType::kDouble;
    case kDateOid:
      return DataType::kDate;
    case kTimestampOid:
    case kTimestamptzOid:
      return DataType::kTimestamp;
    case kTextOid:
    case kVarcharOid:
    case kBpcharOid:
    default:
      return DataType::kString;
  }
}

std::string TrimMessage(const char* message) {
  return std::string(StripWhitespace(message ? std::string_view(message) : std::string_view()));
}

class PostgresCursor : public Cursor {
 public:
  ~PostgresCursor() override {
    if (result_ != nullptr) PQclear(result_);
    if (conn_ != nullptr) PQfinish(conn_);
  }

  absl::Status Open(const std::string& url, const std::string& redacted, const std::string& sql) {
    conn_ = PQconnectdb(url.c_str());
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
      return absl::UnavailableError(StrCat("cannot connect to ", redacted, ": ",
                                           conn_ ? TrimMessage(PQerrorMessage(conn_)) : "out of memory"));
    }
    PGresult* setup = PQexec(conn_,
                             "SET default_transaction_read_only = on; SET TimeZone = 'UTC'; "
                             "SET DateStyle = 'ISO, MDY'; SET extra_float_digits = 1");
    const bool setup_ok = PQresultStatus(setup) == PGRES_COMMAND_OK;
    PQclear(setup);
    if (!setup_ok) return ConnectionOrSqlError();
    // The extended protocol runs exactly one statement.
    if (!PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0)) {
      return ConnectionOrSqlError();
    }
    if (!PQsetSingleRowMode(conn_)) {
      return absl::InternalError("PostgreSQL: cannot enter single-row mode");
    }
    result_ = PQgetResult(conn_);
    if (result_ == nullptr) return absl::InvalidArgumentError("the SQL statement returns no rows");
    switch (PQresultStatus(result_)) {
      case PGRES_SINGLE_TUPLE:
        pending_ = true;
        break;
      case PGRES_TUPLES_OK:
        pending_ = false;
        break;
      case PGRES_COMMAND_OK:
      case PGRES_EMPTY_QUERY:
        return absl::InvalidArgumentError("the SQL statement returns no rows");
      default:
        return ConnectionOrSqlError();
    }
    const int n = PQnfields(result_);
    if (n == 0) return absl::InvalidArgumentError("the SQL statement returns no rows");
    for (int i = 0; i < n; ++i) {
      names_.push_back(PQfname(result_, i));
      oids_.push_back(PQftype(result_, i));
      types_.push_back(PostgresType(oids_.back()));
    }
    scratch_.resize(static_cast<size_t>(n));
    if (!pending_) Finish();
    return absl::OkStatus();
  }

  absl::StatusOr<bool> Next() override {
    if (done_) return false;
    if (pending_) {
      pending_ = false;
      return true;
    }
    PQclear(result_);
    result_ = PQgetResult(conn_);
    if (result_ == nullptr) {
      done_ = true;
      return false;
    }
    switch (PQresultStatus(result_)) {
      case PGRES_SINGLE_TUPLE:
        return true;
      case PGRES_TUPLES_OK:
        Finish();
        return false;
      default: {
        absl::Status status = ConnectionOrSqlError();
        done_ = true;
        return status;
      }
    }
  }

  Cell Get(size_t column) override {
    const int i = static_cast<int>(column);
    Cell c;
    if (PQgetisnull(result_, 0, i)) return c;
    std::string_view text(PQgetvalue(result_, 0, i), static_cast<size_t>(PQgetlength(result_, 0, i)));
    switch (oids_[column]) {
      case kBoolOid:
        c.kind = CellKind::kInt;
        c.i = text == "t" ? 1 : 0;
        return c;
      case kTimestamptzOid: {
        // The session is in UTC, so the offset is "+00": make it one infer.h accepts.
        std::string& s = scratch_[column];
        s.assign(text);
        if (s.size() >= 3 && (s[s.size() - 3] == '+' || s[s.size() - 3] == '-') &&
            s.find(':', s.size() - 3) == std::string::npos) {
          s.append(":00");
        }
        c.kind = CellKind::kText;
        c.text = s;
        return c;
      }
      default:
        c.kind = CellKind::kText;
        c.text = text;
        return c;
    }
  }

 private:
  // Drains the results after the last one, leaving the connection idle.
  void Finish() {
    done_ = true;
    while (PGresult* r = PQgetResult(conn_)) PQclear(r);
  }

  absl::Status ConnectionOrSqlError() {
    if (PQstatus(conn_) == CONNECTION_BAD) {
      return absl::UnavailableError(
          StrCat("PostgreSQL connection lost: ", TrimMessage(PQerrorMessage(conn_))));
    }
    const char* message = result_ != nullptr ? PQresultErrorMessage(result_) : "";
    std::string text = TrimMessage(message);
    if (text.empty()) text = TrimMessage(PQerrorMessage(conn_));
    return absl::InvalidArgumentError(StrCat("PostgreSQL: ", text));
  }

  PGconn* conn_ = nullptr;
  PGresult* result_ = nullptr;
  bool pending_ = false;
  bool done_ = false;
  std::vector<Oid> oids_;
  std::vector<std::string> scratch_;
};

// ---------------------------------------------------------------------------------------------
// Conversion.

struct Staged {
  bool null = false;
  bool b = false;
  int32_t i32 = 0;
  int64_t i64 = 0;
  float f = 0;
  double d = 0;
  std::string_view s;
  std::string owned;  // when `s` had to be formatted
};

bool ToInteger(const Cell& c, int64_t lo, int64_t hi, int64_t* out) {
  switch (c.kind) {
    case CellKind::kInt:
      if (c.i < lo || c.i > hi) return false;
      *out = c.i;
      return true;
    case CellKind::kReal:
      if (!std::isfinite(c.d) || c.d != std::trunc(c.d) || std::fabs(c.d) > 9007199254740992.0 ||
          c.d < static_cast<double>(lo) || c.d > static_cast<double>(hi)) {
        return false;
      }
      *out = static_cast<int64_t>(c.d);
      return true;
    case CellKind::kText: {
      int64_t x;
      if (!ingest::ParseInt64(c.text, &x) || x < lo || x > hi) return false;
      *out = x;
      return true;
    }
    default:
      return false;
  }
}

bool Stage(const Cell& c, DataType type, Staged* out) {
  switch (type) {
    case DataType::kBool:
      if (c.kind == CellKind::kInt && (c.i == 0 || c.i == 1)) {
        out->b = c.i == 1;
        return true;
      }
      if (c.kind != CellKind::kText) return false;
      if (c.text == "t" || c.text == "1") {
        out->b = true;
        return true;
      }
      if (c.text == "f" || c.text == "0") {
        out->b = false;
        return true;
      }
      return ingest::ParseBool(c.text, &out->b);
    case DataType::kInt32: {
      int64_t x;
      if (!ToInteger(c, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(),
                     &x)) {
        return false;
      }
      out->i32 = static_cast<int32_t>(x);
      return true;
    }
    case DataType::kInt64:
      return ToInteger(c, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                       &out->i64);
    case DataType::kFloat:
      if (c.kind == CellKind::kInt) out->f = static_cast<float>(c.i);
      else if (c.kind == CellKind::kReal) out->f = static_cast<float>(c.d);
      else return c.kind == CellKind::kText && ingest::ParseFloat(c.text, &out->f);
      return true;
    case DataType::kDouble:
      if (c.kind == CellKind::kInt) out->d = static_cast<double>(c.i);
      else if (c.kind == CellKind::kReal) out->d = c.d;
      else return c.kind == CellKind::kText && ingest::ParseDouble(c.text, &out->d);
      return true;
    case DataType::kString:
      if (c.kind == CellKind::kText || c.kind == CellKind::kBlob) {
        out->s = c.text;
      } else {
        out->owned = c.kind == CellKind::kInt ? StrCat(c.i) : FormatDouble(c.d);
        out->s = out->owned;
      }
      return true;
    case DataType::kDate:
      if (c.kind == CellKind::kInt) {
        // Unix seconds (SQLite's integer date convention).
        const int64_t days = c.i >= 0 ? c.i / 86400 : -((-c.i + 86399) / 86400);
        if (days < std::numeric_limits<int32_t>::min() || days > std::numeric_limits<int32_t>::max()) {
          return false;
        }
        out->i32 = static_cast<int32_t>(days);
        return true;
      }
      return c.kind == CellKind::kText && ingest::ParseDate(c.text, &out->i32);
    case DataType::kTimestamp:
      if (c.kind == CellKind::kInt) {
        if (c.i > std::numeric_limits<int64_t>::max() / 1000000 ||
            c.i < std::numeric_limits<int64_t>::min() / 1000000) {
          return false;
        }
        out->i64 = c.i * 1000000;
        return true;
      }
      return c.kind == CellKind::kText && ingest::ParseTimestamp(c.text, &out->i64);
  }
  return false;
}

std::string RowAsJson(const std::vector<Cell>& row) {
  Json array = Json::array();
  for (const Cell& c : row) {
    switch (c.kind) {
      case CellKind::kNull:
        array.push_back(nullptr);
        break;
      case CellKind::kInt:
        array.push_back(c.i);
        break;
      case CellKind::kReal:
        if (std::isfinite(c.d)) {
          array.push_back(c.d);
        } else {
          array.push_back(FormatDouble(c.d));
        }
        break;
      case CellKind::kText:
      case CellKind::kBlob:
        array.push_back(std::string(c.text));
        break;
    }
  }
  return DumpJson(array);
}

// Evidence for a column without a declared type.
struct ValueEvidence {
  bool saw_int = false;
  bool saw_real = false;
  bool saw_other = false;
  void Observe(const Cell& c) {
    if (c.kind == CellKind::kInt) saw_int = true;
    else if (c.kind == CellKind::kReal) saw_real = true;
    else if (c.kind != CellKind::kNull) saw_other = true;
  }
  bool decided() const { return saw_other; }
  bool any() const { return saw_int || saw_real || saw_other; }
  DataType Result() const {
    if (saw_other || !any()) return DataType::kString;
    return saw_real ? DataType::kDouble : DataType::kInt64;
  }
};

BufferedCell Own(const Cell& c) {
  return BufferedCell{c.kind, c.i, c.d, std::string(c.text)};
}

}  // namespace

bool SqlSource::IsTableName(std::string_view text) {
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos) return IsIdentifier(text);
  return IsIdentifier(text.substr(0, dot)) && IsIdentifier(text.substr(dot + 1));
}

std::string SqlSource::RedactUrl(std::string_view url) {
  std::string out(url);
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t end = out.find_first_of("/?", start);
    const size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at >= start) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
    }
  }
  for (size_t pos = out.find("password="); pos != std::string::npos;
       pos = out.find("password=", pos + 1)) {
    const size_t value = pos + 9;
    const size_t end = out.find_first_of("& ", value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

SqlSource::SqlSource() = default;
SqlSource::~SqlSource() = default;

absl::StatusOr<std::unique_ptr<SqlSource>> SqlSource::OpenQuery(std::string_view url,
                                                                std::string_view sql,
                                                                SqlSourceOptions options) {
  std::unique_ptr<SqlSource> source(new SqlSource());
  source->description_ = StrCat("query: ", sql, " (", RedactUrl(url), ")");
  LEPTON_RETURN_IF_ERROR(source->Init(url, std::string(sql), std::move(options)));
  return source;
}

absl::StatusOr<std::unique_ptr<SqlSource>> SqlSource::OpenTable(std::string_view url,
                                                                std::string_view table,
                                                                SqlSourceOptions options) {
  if (!IsTableName(table)) {
    return absl::InvalidArgumentError(StrCat(
        "invalid table name ", Quote(table),
        ": expected name or schema.name of ASCII letters, digits and '_'"));
  }
  std::string quoted;
  const size_t dot = table.find('.');
  if (dot == std::string_view::npos) {
    quoted = StrCat("\"", table, "\"");
  } else {
    quoted = StrCat("\"", table.substr(0, dot), "\".\"", table.substr(dot + 1), "\"");
  }
  std::unique_ptr<SqlSource> source(new SqlSource());
  source->description_ = StrCat("table: ", table, " (", RedactUrl(url), ")");
  LEPTON_RETURN_IF_ERROR(
      source->Init(url, StrCat("SELECT * FROM ", quoted), std::move(options)));
  return source;
}

absl::StatusOr<std::unique_ptr<SqlSource>> SqlSource::Open(std::string_view url,
                                                           std::string_view table_or_query,
                                                           SqlSourceOptions options) {
  if (IsTableName(table_or_query)) return OpenTable(url, table_or_query, std::move(options));
  return OpenQuery(url, table_or_query, std::move(options));
}

absl::Status SqlSource::Init(std::string_view url, const std::string& sql,
                             SqlSourceOptions options) {
  options_ = std::move(options);
  if (options_.batch_rows <= 0) {
    return absl::InvalidArgumentError("batch_rows must be > 0");
  }
  if (url.starts_with("sqlite:")) {
    std::string_view path = url.substr(7);
    if (path.starts_with("//")) path.remove_prefix(2);
    if (path.empty()) return absl::InvalidArgumentError("sqlite: URL without a path");
    auto cursor = std::make_unique<SqliteCursor>();
    LEPTON_RETURN_IF_ERROR(cursor->Open(std::string(path), sql));
    cursor_ = std::move(cursor);
  } else if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    auto cursor = std::make_unique<PostgresCursor>();
    LEPTON_RETURN_IF_ERROR(cursor->Open(std::string(url), RedactUrl(url), sql));
    cursor_ = std::move(cursor);
  } else {
    return absl::InvalidArgumentError(
        StrCat("unsupported database URL ", Quote(RedactUrl(url)),
               ": expected sqlite:/path or postgresql://…"));
  }

  const std::vector<std::string> names = ingest::UniqueColumnNames(cursor_->names());
  const auto& declared = cursor_->types();
  std::vector<Field> fields;
  for (size_t i = 0; i < names.size(); ++i) {
    fields.push_back(Field{names[i], declared[i].value_or(DataType::kString), true});
  }
  // Columns without a declared type: buffer up to `infer_rows` rows of evidence.
  std::vector<ValueEvidence> evidence(names.size());
  auto undecided = [&] {
    for (size_t i = 0; i < names.size(); ++i) {
      if (!declared[i].has_value() && !evidence[i].decided()) return true;
    }
    return false;
  };
  while (undecided() && static_cast<int64_t>(buffered_.size()) < options_.infer_rows) {
    LEPTON_ASSIGN_OR_RETURN(bool more, cursor_->Next());
    if (!more) break;
    std::vector<BufferedCell> row;
    row.reserve(names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      const Cell c = cursor_->Get(i);
      if (!declared[i].has_value()) evidence[i].Observe(c);
      row.push_back(Own(c));
    }
    buffered_.push_back(std::move(row));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (!declared[i].has_value()) fields[i].type = evidence[i].Result();
  }
  schema_ = Schema(std::move(fields));
  if (options_.schema.has_value()) {
    LEPTON_ASSIGN_OR_RETURN(schema_, ingest::ApplySchemaOverride(schema_, *options_.schema));
  }
  row_.resize(names.size());
  return absl::OkStatus();
}

absl::StatusOr<bool> SqlSource::NextRow() {
  if (buffered_pos_ < buffered_.size()) {
    const std::vector<BufferedCell>& row = buffered_[buffered_pos_++];
    for (size_t i = 0; i < row.size(); ++i) {
      row_[i] = Cell{row[i].kind, row[i].i, row[i].d, row[i].text};
    }
    return true;
  }
  if (!buffered_.empty()) {
    buffered_.clear();
    buffered_.shrink_to_fit();
    buffered_pos_ = 0;
  }
  LEPTON_ASSIGN_OR_RETURN(bool more, cursor_->Next());
  if (!more) return false;
  for (size_t i = 0; i < row_.size(); ++i) row_[i] = cursor_->Get(i);
  return true;
}

absl::StatusOr<std::optional<RecordBatch>> SqlSource::ReadNext() {
  if (done_) return std::optional<RecordBatch>();
  RecordBatch batch(schema_);
  while (batch.num_rows() < options_.batch_rows) {
    absl::StatusOr<bool> more = NextRow();
    if (!more.ok()) {
      done_ = true;
      return Annotate(more.status(), description_);
    }
    if (!*more) {
      done_ = true;
      break;
    }
    ++row_number_;
    absl::Status status = ConvertRow(&batch);
    if (!status.ok()) {
      done_ = true;
      return status;
    }
  }
  rows_read_ += batch.num_rows();
  if (batch.num_rows() == 0) return std::optional<RecordBatch>();
  return std::optional<RecordBatch>(std::move(batch));
}

absl::Status SqlSource::ConvertRow(RecordBatch* batch) {
  std::vector<Staged> staged(schema_.size());
  std::string reason;
  for (size_t i = 0; i < schema_.size() && reason.empty(); ++i) {
    const Field& field = schema_.field(i);
    const Cell& c = row_[i];
    if (c.kind == CellKind::kNull) {
      staged[i].null = true;
      if (!field.nullable) reason = StrCat("column \"", field.name, "\": null in a non-nullable column");
    } else if (!Stage(c, field.type, &staged[i])) {
      reason = StrCat("column \"", field.name, "\": expected ", DataTypeName(field.type), ", got ",
                      Describe(c));
    }
  }
  if (reason.empty()) {
    for (size_t i = 0; i < schema_.size(); ++i) {
      ingest::AppendStaged(staged[i], schema_.field(i).type, &batch->mutable_column(i));
    }
    return absl::OkStatus();
  }
  return ingest::ApplyBadRowPolicy(
      options_.bad_rows, StrCat(description_, ": row ", row_number_),
      ingest::BadRow{row_number_,
                     options_.bad_rows == ingest::BadRowPolicy::kQuarantine ? RowAsJson(row_) : "",
                     reason},
      &bad_rows_, &quarantined_);
}

std::vector<ingest::BadRow> SqlSource::TakeQuarantined() {
  std::vector<ingest::BadRow> out;
  out.swap(quarantined_);
  return out;
}

}  // namespace lepton::lake::sources
