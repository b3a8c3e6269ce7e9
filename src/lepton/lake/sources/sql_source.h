#pragma once
// Rows of an external SQL database as a `BatchSource`: a table, or the result of one SELECT
// query, from SQLite or PostgreSQL, streamed in batches of at most `batch_rows` rows with bounded
// memory (SQLite: a prepared statement stepped row by row; PostgreSQL: libpq single-row mode).
//
// Databases (`url`):
//   sqlite:/path/file.db  (also sqlite:///path/file.db, sqlite:relative/file.db); opened
//                         read-only, never created;
//   postgresql://… or postgres://…  a libpq connection URL. The session is made read-only
//                         (default_transaction_read_only), with TimeZone UTC and DateStyle ISO.
// Only reading statements are accepted: SQLite refuses statements that would write, PostgreSQL
// runs them in a read-only transaction (so they fail with the database's error).
//
// Column types:
//   SQLite: from the declared type of the result column, by SQLite's substring rules:
//     BOOL → bool; DATETIME/TIMESTAMP → timestamp; DATE → date; INT → int64;
//     CHAR/CLOB/TEXT → string; REAL/FLOA/DOUB → double. Columns without such a declared type
//     (expressions, NUMERIC, untyped columns) take their type from the non-null values of the
//     first `infer_rows` rows: only integers → int64, integers and reals → double, anything
//     else (or no value at all) → string.
//   PostgreSQL, by type OID: bool 16 → bool; int2 21, int4 23 → int32; int8 20 → int64;
//     float4 700 → float; float8 701, numeric 1700 → double; text 25, varchar 1043, bpchar 1042
//     → string; date 1082 → date; timestamp 1114, timestamptz 1184 → timestamp (UTC);
//     anything else → string holding PostgreSQL's text form.
//   `schema` overrides replace the type and nullability of the columns they name.
// Conversion follows the type: integers, reals and text that infer.h's strict parsers accept
// (SQLite stores any value in any column); SQLite integers in date/timestamp columns are Unix
// seconds. Duplicate result column names get "_2", "_3", … appended, empty ones "column_<i>".
//
// Bad rows: a row with a value its column cannot take (text "abc" in an INTEGER column, a
// PostgreSQL "infinity" timestamp, a numeric beyond double) or a null in a non-nullable column;
// `BadRowPolicy` decides as in the CSV reader. Error messages and `BadRow`s use the 1-based row
// number as the line and the row as a JSON array as `raw`:
//   `query: SELECT … (sqlite:/db.sqlite): row 17: column "age": expected int64, got "abc"`.
//
// Thread-compatible: a source is used by one thread at a time; it holds its own connection.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/lake/column.h"
#include "lepton/lake/ingest/csv_reader.h"
#include "lepton/lake/sources/batch_source.h"

namespace lepton::lake::sources {

namespace sql_internal {
class Cursor;         // one database's row stream (sql_source.cc)
struct Cell;          // a value of the current row
struct BufferedCell;  // a value kept from the inference sample
}  // namespace sql_internal

struct SqlSourceOptions {
  // Type overrides by column name; InvalidArgument at open for a name the result does not have.
  std::optional<Schema> schema;
  int64_t batch_rows = 64 * 1024;
  // SQLite inference sample for columns without a usable declared type (rows buffered at open).
  int64_t infer_rows = 1000;
  ingest::BadRowPolicy bad_rows = ingest::BadRowPolicy::kFail;
};

class SqlSource : public BatchSource {
 public:
  // Runs `sql`, which must be one SELECT (or other row-returning) statement. Errors:
  // InvalidArgument for an unknown URL scheme, a bad `options`, an SQL error (the database's
  // message), a statement returning no rows, or (SQLite) more than one statement or a statement
  // that writes; Unavailable when the database cannot be opened or connected to.
  static absl::StatusOr<std::unique_ptr<SqlSource>> OpenQuery(std::string_view url,
                                                              std::string_view sql,
                                                              SqlSourceOptions options = {});
  // Reads every row of `table` ("name" or "schema.name"; letters, digits and '_' only, each part
  // quoted, so case-sensitive in PostgreSQL). InvalidArgument for an invalid name; otherwise as
  // `OpenQuery` (a missing table is InvalidArgument with the database's message).
  static absl::StatusOr<std::unique_ptr<SqlSource>> OpenTable(std::string_view url,
                                                              std::string_view table,
                                                              SqlSourceOptions options = {});
  // `OpenTable` when `table_or_query` is a valid table name (see `IsTableName`), else `OpenQuery`.
  static absl::StatusOr<std::unique_ptr<SqlSource>> Open(std::string_view url,
                                                         std::string_view table_or_query,
                                                         SqlSourceOptions options = {});

  // True for "name" or "schema.name" made of ASCII letters, digits and '_'.
  static bool IsTableName(std::string_view text);
  // `url` with any password removed (user:secret@ → user@, password=… → password=***).
  static std::string RedactUrl(std::string_view url);

  ~SqlSource() override;
  SqlSource(const SqlSource&) = delete;
  SqlSource& operator=(const SqlSource&) = delete;

  const Schema& schema() const override { return schema_; }
  // Errors: InvalidArgument for the first bad row under kFail or an SQL error while running
  // (e.g. division by zero); Unavailable when the connection is lost or the database is busy;
  // DataLoss for a corrupt SQLite file.
  absl::StatusOr<std::optional<RecordBatch>> ReadNext() override;
  std::vector<ingest::BadRow> TakeQuarantined() override;
  int64_t rows_read() const override { return rows_read_; }
  int64_t bad_rows() const override { return bad_rows_; }
  // "query: <sql> (<redacted url>)" or "table: <name> (<redacted url>)".
  std::string description() const override { return description_; }

 private:
  SqlSource();
  absl::Status Init(std::string_view url, const std::string& sql, SqlSourceOptions options);
  // Loads the next row into `row_`; false at the end.
  absl::StatusOr<bool> NextRow();
  // Appends `row_` to `batch`, or applies the bad-row policy.
  absl::Status ConvertRow(RecordBatch* batch);

  SqlSourceOptions options_;
  std::string description_;
  std::unique_ptr<sql_internal::Cursor> cursor_;
  Schema schema_;
  // Rows read during inference, replayed first.
  std::vector<std::vector<sql_internal::BufferedCell>> buffered_;
  size_t buffered_pos_ = 0;
  std::vector<sql_internal::Cell> row_;
  int64_t row_number_ = 0;
  std::vector<ingest::BadRow> quarantined_;
  int64_t rows_read_ = 0;
  int64_t bad_rows_ = 0;
  bool done_ = false;
};

}  // namespace lepton::lake::sources
