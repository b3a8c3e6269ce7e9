#include "lepton/lake/sources/sql_source.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/ingest/infer.h"

namespace lepton::lake::sources {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kMicrosPerDay = 86400000000;

// Reads every batch of `source` into one batch (rows appended column by column).
absl::StatusOr<RecordBatch> Drain(BatchSource* source, std::vector<ingest::BadRow>* bad = nullptr) {
  RecordBatch all(source->schema());
  while (true) {
    LEPTON_ASSIGN_OR_RETURN(auto batch, source->ReadNext());
    if (bad != nullptr) {
      for (auto& b : source->TakeQuarantined()) bad->push_back(std::move(b));
    }
    if (!batch) break;
    for (size_t i = 0; i < batch->num_columns(); ++i) {
      all.mutable_column(i).AppendRange(batch->column(i), 0, batch->num_rows());
    }
  }
  return all;
}

// ---------------------------------------------------------------------------------------------
// SQLite.

class SqliteSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lepton_sql_source_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "test.db").string();
    url_ = "sqlite:" + path_;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db_), SQLITE_OK);
    Exec(
        "CREATE TABLE t (id INTEGER NOT NULL, flag BOOLEAN, score REAL, name TEXT, "
        "  day DATE, at TIMESTAMP, free);"
        "INSERT INTO t VALUES (1, 1, 1.5, 'a', '2024-01-31', '2024-01-31 10:00:00', 7);"
        "INSERT INTO t VALUES (2, 0, -2, 'b', '2024-02-01', '2024-02-01T00:00:01Z', 8);"
        "INSERT INTO t VALUES (3, NULL, NULL, NULL, NULL, NULL, NULL);");
  }
  void TearDown() override {
    sqlite3_close(db_);
    std::filesystem::remove_all(dir_);
  }
  void Exec(const char* sql) {
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql, nullptr, nullptr, &error), SQLITE_OK) << error;
  }

  std::filesystem::path dir_;
  std::string path_;
  std::string url_;
  sqlite3* db_ = nullptr;
};

TEST_F(SqliteSourceTest, TableMapsDeclaredTypesAndNulls) {
  LEPTON_ASSERT_OK_AND_ASSIGN(auto source, SqlSource::OpenTable(url_, "t"));
  EXPECT_EQ(source->description(), "table: t (" + url_ + ")");
  const Schema& s = source->schema();
  ASSERT_EQ(s.size(), 7u);
  EXPECT_EQ(s.field(0).type, DataType::kInt64);
  EXPECT_EQ(s.field(1).type, DataType::kBool);
  EXPECT_EQ(s.field(2).type, DataType::kDouble);
  EXPECT_EQ(s.field(3).type, DataType::kString);
  EXPECT_EQ(s.field(4).type, DataType::kDate);
  EXPECT_EQ(s.field(5).type, DataType::kTimestamp);
  EXPECT_EQ(s.field(6).name, "free");
  EXPECT_EQ(s.field(6).type, DataType::kInt64);  // inferred from the values
  LEPTON_ASSERT_OK_AND_ASSIGN(RecordBatch b, Drain(source.get()));
  ASSERT_EQ(b.num_rows(), 3);
  EXPECT_EQ(b.column(0).ValueAt<int64_t>(2), 3);
  EXPECT_EQ(b.column(1).ValueAt<uint8_t>(0), 1);
  EXPECT_EQ(b.column(1).ValueAt<uint8_t>(1), 0);
  EXPECT_EQ(b.column(2).ValueAt<double>(1), -2.0);
  EXPECT_EQ(b.column(3).StringAt(1), "b");
  EXPECT_EQ(b.column(4).ValueAt<int32_t>(0), ingest::DaysFromCivil(2024, 1, 31));
  EXPECT_EQ(b.column(5).ValueAt<int64_t>(0),
            ingest::DaysFromCivil(2024, 1, 31) * kMicrosPerDay + int64_t{10} * 3600 * 1000000);
  EXPECT_EQ(b.column(5).ValueAt<int64_t>(1), ingest::DaysFromCivil(2024, 2, 1) * kMicrosPerDay + 1000000);
  EXPECT_EQ(b.column(6).ValueAt<int64_t>(1), 8);
  for (size_t i = 1; i < 7; ++i) EXPECT_TRUE(b.column(i).IsNull(2)) << i;
  EXPECT_EQ(source->rows_read(), 3);
}

TEST_F(SqliteSourceTest, QueryWithWhereAndExpressions) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      auto source,
      SqlSource::Open(url_, "SELECT id, name, score * 2 AS twice, id * 1.5 AS r, "
                            "name || '!' AS shout FROM t WHERE id >= 2 ORDER BY id"));
  EXPECT_THAT(source->description(), HasSubstr("query: SELECT id"));
  const Schema& s = source->schema();
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s.field(2).type, DataType::kDouble);
  EXPECT_EQ(s.field(3).type, DataType::kDouble);
  EXPECT_EQ(s.field(4).type, DataType::kString);
  LEPTON_ASSERT_OK_AND_ASSIGN(RecordBatch b, Drain(source.get()));
  ASSERT_EQ(b.num_rows(), 2);
  EXPECT_EQ(b.column(0).ValueAt<int64_t>(0), 2);
  EXPECT_EQ(b.column(2).ValueAt<double>(0), -4.0);
  EXPECT_EQ(b.column(3).ValueAt<double>(0), 3.0);
  EXPECT_EQ(b.column(4).StringAt(0), "b!");
  EXPECT_TRUE(b.column(4).IsNull(1));
}

TEST_F(SqliteSourceTest, StreamsInBatches) {
  Exec("CREATE TABLE big (i INTEGER);"
       "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) "
       "INSERT INTO big SELECT x FROM c;");
  SqlSourceOptions options;
  options.batch_rows = 300;
  LEPTON_ASSERT_OK_AND_ASSIGN(auto source, SqlSource::OpenTable(url_, "big", options));
  std::vector<int64_t> sizes;
  while (true) {
    LEPTON_ASSERT_OK_AND_ASSIGN(auto batch, source->ReadNext());
    if (!batch) break;
    sizes.push_back(batch->num_rows());
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{300, 300, 300, 100}));
}

TEST_F(SqliteSourceTest, BadValuesMeetThePolicy) {
  Exec("INSERT INTO t (id, score) VALUES (4, 'oops');");
  {
    LEPTON_ASSERT_OK_AND_ASSIGN(auto source, SqlSource::OpenTable(url_, "t"));
    EXPECT_THAT(Drain(source.get()),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("row 4: column \"score\": expected double, got \"oops\"")));
  }
  SqlSourceOptions options;
  options.bad_rows = ingest::BadRowPolicy::kQuarantine;
  LEPTON_ASSERT_OK_AND_ASSIGN(auto source, SqlSource::OpenTable(url_, "t", options));
  std::vector<ingest::BadRow> bad;
  LEPTON_ASSERT_OK_AND_ASSIGN(RecordBatch b, Drain(source.get(), &bad));
  EXPECT_EQ(b.num_rows(), 3);
  EXPECT_EQ(source->bad_rows(), 1);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].line, 4);
  EXPECT_EQ(bad[0].raw, R"([4,null,"oops",null,null,null,null])");
}

TEST_F(SqliteSourceTest, OverridesApply) {
  SqlSourceOptions options;
  options.schema = Schema({{"id", DataType::kInt32, false}, {"name", DataType::kString, true}});
  LEPTON_ASSERT_OK_AND_ASSIGN(auto source, SqlSource::OpenQuery(url_, "SELECT id, name FROM t", options));
  EXPECT_EQ(source->schema().field(0), (Field{"id", DataType::kInt32, false}));
  LEPTON_ASSERT_OK_AND_ASSIGN(RecordBatch b, Drain(source.get()));
  EXPECT_EQ(b.column(0).ValueAt<int32_t>(2), 3);
  options.schema = Schema({{"nope", DataType::kInt32, true}});
  EXPECT_THAT(SqlSource::OpenQuery(url_, "SELECT id FROM t", options),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SqliteSourceTest, ErrorsAreMapped) {
  EXPECT_THAT(SqlSource::OpenQuery(url_, "SELEC nonsense"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("syntax error")));
  EXPECT_THAT(SqlSource::OpenTable(url_, "missing"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no such table")));
  EXPECT_THAT(SqlSource::OpenTable(url_, "t; DROP TABLE t"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid table name")));
  EXPECT_THAT(SqlSource::OpenQuery(url_, "DELETE FROM t"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SqlSource::OpenQuery(url_, "SELECT 1; SELECT 2"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("one SQL statement")));
  EXPECT_THAT(SqlSource::OpenTable("sqlite:" + (dir_ / "absent.db").string(), "t"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(SqlSource::OpenTable("mysql://x/y", "t"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SqlSourceTest, TableNamesAndRedaction) {
  EXPECT_TRUE(SqlSource::IsTableName("events_2024"));
  EXPECT_TRUE(SqlSource::IsTableName("public.events"));
  EXPECT_FALSE(SqlSource::IsTableName("a.b.c"));
  EXPECT_FALSE(SqlSource::IsTableName("a b"));
  EXPECT_FALSE(SqlSource::IsTableName("\"x\""));
  EXPECT_FALSE(SqlSource::IsTableName(""));
  EXPECT_EQ(SqlSource::RedactUrl("postgresql://u:secret@h:5432/db?sslmode=disable"),
            "postgresql://u@h:5432/db?sslmode=disable");
  EXPECT_EQ(SqlSource::RedactUrl("postgresql://h/db?user=u&password=pw&x=1"),
            "postgresql://h/db?user=u&password=***&x=1");
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: a fresh database on the server at LEPTON_TEST_POSTGRES_URL.

// `url` with its database name replaced by `db`.
std::string WithDatabase(const std::string& url, const std::string& db) {
  const size_t start = url.find("://");
  const size_t slash = url.find('/', start == std::string::npos ? 0 : start + 3);
  const size_t query = url.find('?');
  std::string base = slash == std::string::npos ? url.substr(0, query) : url.substr(0, slash);
  std::string rest = query == std::string::npos ? "" : url.substr(query);
  return base + "/" + db + rest;
}

class PostgresSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("LEPTON_TEST_POSTGRES_URL");
    if (url == nullptr || *url == '\0') {
      const char* require = std::getenv("LEPTON_REQUIRE_POSTGRES");
      if (require != nullptr && std::string(require) == "1") {
        FAIL() << "LEPTON_REQUIRE_POSTGRES=1 but LEPTON_TEST_POSTGRES_URL is not set";
      }
      GTEST_SKIP() << "LEPTON_TEST_POSTGRES_URL not set";
    }
    server_url_ = url;
    std::random_device rd;
    db_name_ = "lepton_sources_" + std::to_string(getpid()) + "_" + std::to_string(rd() % 1000000);
    ASSERT_TRUE(ExecOn(server_url_, "CREATE DATABASE " + db_name_));
    url_ = WithDatabase(server_url_, db_name_);
    ASSERT_TRUE(ExecOn(url_,
                       "CREATE TABLE t (id int8 NOT NULL, flag bool, small int2, n int4, "
                       "  r float4, d float8, num numeric, s text, v varchar(10), c char(3), "
                       "  day date, at timestamp, atz timestamptz, j jsonb);"
                       "INSERT INTO t VALUES (1, true, 5, 100, 1.5, 2.25, 3.125, 'a', 'vv', 'c',"
                       "  '2024-01-31', '2024-01-31 10:00:00.5', '2024-01-31 12:00:00+02', "
                       "  '{\"k\": 1}');"
                       "INSERT INTO t VALUES (2, false, -5, -100, -1, -2, 10, 'b', 'w', 'xyz',"
                       "  '1969-12-31', '1970-01-01 00:00:00', '1970-01-01 00:00:01+00', '[]');"
                       "INSERT INTO t (id) VALUES (3);"));
  }
  void TearDown() override {
    if (!db_name_.empty()) {
      ExecOn(server_url_, "DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
    }
  }
  static bool ExecOn(const std::string& url, const std::string& sql) {
    PGconn* conn = PQconnectdb(url.c_str());
    bool ok = PQstatus(conn) == CONNECTION_OK;
    if (ok) {
      PGresult* r = PQexec(conn, sql.c_str());
      ok = PQresultStatus(r) == PGRES_COMMAND_OK;
      if (!ok) ADD_FAILURE() << PQresultErrorMessage(r);
      PQclear(r);
    } else {
      ADD_FAILURE() << PQerrorMessage(conn);
    }
    PQfinish(conn);
    return ok;
  }

  std::string server_url_;
  std::string db_name_;
  std::string url_;
};

TEST_F(PostgresSourceTest, TableMapsOidsAndNulls) {
  LEPTON_ASSERT_OK_AND_ASSIGN(auto source, SqlSource::OpenTable(url_, "t"));
  const Schema& s = source->schema();
  ASSERT_EQ(s.size(), 14u);
  const std::vector<DataType> expected = {
      DataType::kInt64,  DataType::kBool,   DataType::kInt32,  DataType::kInt32,
      DataType::kFloat,  DataType::kDouble, DataType::kDouble, DataType::kString,
      DataType::kString, DataType::kString, DataType::kDate,   DataType::kTimestamp,
      DataType::kTimestamp, DataType::kString};
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(s.field(i).type, expected[i]) << s.field(i).name;
  LEPTON_ASSERT_OK_AND_ASSIGN(RecordBatch b, Drain(source.get()));
  ASSERT_EQ(b.num_rows(), 3);
  EXPECT_EQ(b.column(0).ValueAt<int64_t>(2), 3);
  EXPECT_EQ(b.column(1).ValueAt<uint8_t>(0), 1);
  EXPECT_EQ(b.column(1).ValueAt<uint8_t>(1), 0);
  EXPECT_EQ(b.column(2).ValueAt<int32_t>(1), -5);
  EXPECT_EQ(b.column(3).ValueAt<int32_t>(0), 100);
  EXPECT_EQ(b.column(4).ValueAt<float>(0), 1.5f);
  EXPECT_EQ(b.column(5).ValueAt<double>(0), 2.25);
  EXPECT_EQ(b.column(6).ValueAt<double>(0), 3.125);
  EXPECT_EQ(b.column(7).StringAt(1), "b");
  EXPECT_EQ(b.column(8).StringAt(0), "vv");
  EXPECT_EQ(b.column(9).StringAt(0), "c  ");
  EXPECT_EQ(b.column(10).ValueAt<int32_t>(0), ingest::DaysFromCivil(2024, 1, 31));
  EXPECT_EQ(b.column(10).ValueAt<int32_t>(1), -1);
  EXPECT_EQ(b.column(11).ValueAt<int64_t>(0),
            ingest::DaysFromCivil(2024, 1, 31) * kMicrosPerDay + int64_t{10} * 3600000000 + 500000);
  EXPECT_EQ(b.column(12).ValueAt<int64_t>(0),
            ingest::DaysFromCivil(2024, 1, 31) * kMicrosPerDay + int64_t{10} * 3600000000);
  EXPECT_EQ(b.column(12).ValueAt<int64_t>(1), 1000000);
  EXPECT_EQ(b.column(13).StringAt(0), "{\"k\": 1}");
  for (size_t i = 1; i < 14; ++i) EXPECT_TRUE(b.column(i).IsNull(2)) << i;
  EXPECT_FALSE(b.column(0).IsNull(2));
}

TEST_F(PostgresSourceTest, QueryStreamsInBatches) {
  SqlSourceOptions options;
  options.batch_rows = 64;
  LEPTON_ASSERT_OK_AND_ASSIGN(
      auto source, SqlSource::OpenQuery(url_, "SELECT g AS i, g * 0.5 AS half FROM "
                                              "generate_series(1, 200) g WHERE g % 2 = 0",
                                        options));
  EXPECT_EQ(source->schema().field(0).type, DataType::kInt32);
  EXPECT_EQ(source->schema().field(1).type, DataType::kDouble);
  std::vector<int64_t> sizes;
  int64_t sum = 0;
  while (true) {
    LEPTON_ASSERT_OK_AND_ASSIGN(auto batch, source->ReadNext());
    if (!batch) break;
    sizes.push_back(batch->num_rows());
    for (int64_t r = 0; r < batch->num_rows(); ++r) sum += batch->column(0).ValueAt<int32_t>(r);
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{64, 36}));
  EXPECT_EQ(sum, 10100);
}

TEST_F(PostgresSourceTest, QueryWithWhereAndEmptyResult) {
  LEPTON_ASSERT_OK_AND_ASSIGN(auto source,
                              SqlSource::Open(url_, "SELECT id, s FROM t WHERE id > 100"));
  EXPECT_EQ(source->schema().size(), 2u);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto batch, source->ReadNext());
  EXPECT_FALSE(batch.has_value());
}

TEST_F(PostgresSourceTest, ErrorsAreMapped) {
  EXPECT_THAT(SqlSource::OpenQuery(url_, "SELEC 1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("syntax error")));
  EXPECT_THAT(SqlSource::OpenTable(url_, "missing"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not exist")));
  EXPECT_THAT(SqlSource::OpenQuery(url_, "DELETE FROM t"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("read-only")));
  EXPECT_THAT(SqlSource::OpenQuery(WithDatabase(server_url_, "no_such_db_lepton"), "SELECT 1"),
              StatusIs(absl::StatusCode::kUnavailable));
  // An error after some rows arrives from ReadNext.
  SqlSourceOptions options;
  options.batch_rows = 1;
  LEPTON_ASSERT_OK_AND_ASSIGN(
      auto source, SqlSource::OpenQuery(url_, "SELECT 10 / (3 - g) AS x FROM generate_series(1, 5) g",
                                        options));
  EXPECT_THAT(Drain(source.get()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("division by zero")));
}

TEST_F(PostgresSourceTest, BadValuesMeetThePolicy) {
  SqlSourceOptions options;
  options.bad_rows = ingest::BadRowPolicy::kQuarantine;
  LEPTON_ASSERT_OK_AND_ASSIGN(
      auto source, SqlSource::OpenQuery(url_,
                                        "SELECT * FROM (VALUES (timestamp '2024-01-01'), "
                                        "(timestamp 'infinity')) v(at)",
                                        options));
  std::vector<ingest::BadRow> bad;
  LEPTON_ASSERT_OK_AND_ASSIGN(RecordBatch b, Drain(source.get(), &bad));
  EXPECT_EQ(b.num_rows(), 1);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].line, 2);
  EXPECT_EQ(bad[0].reason, "column \"at\": expected timestamp, got \"infinity\"");
}

}  // namespace
}  // namespace lepton::lake::sources
