// Parquet interoperability with DuckDB, both ways, through tools/duckdb_query.js (node +
// @duckdb/node-api from tools/node_modules). Missing tools fail the test: run
// scripts/install-deps.sh.

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/clock.h"
#include "lepton/base/files.h"
#include "lepton/base/json.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/column.h"
#include "lepton/lake/delta/delta_log.h"
#include "lepton/lake/parquet/nested_reader.h"
#include "lepton/lake/parquet/nested_writer.h"
#include "lepton/lake/parquet/parquet_reader.h"
#include "lepton/lake/parquet/parquet_writer.h"

#ifndef LEPTON_SOURCE_DIR
#error "LEPTON_SOURCE_DIR must be defined by CMake"
#endif

namespace lepton::lake::parquet {
namespace {

const std::string kTools = std::string(LEPTON_SOURCE_DIR) + "/tools";

std::string Dir() {
  static const std::string dir = [] {
    std::string d = (std::filesystem::temp_directory_path() /
                     ("lepton_duckdb_interop_" + std::to_string(::getpid())))
                        .string();
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

std::string ShellQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out.push_back(c);
  }
  out += "'";
  return out;
}

// Fails (not skips) when node or the DuckDB npm package is missing.
void RequireDuckDb() {
  const bool node = std::system("command -v node >/dev/null 2>&1") == 0;
  const bool pkg = PathExists(kTools + "/node_modules/@duckdb/node-api");
  ASSERT_TRUE(node && pkg) << "DuckDB interop tests need node and " << kTools
                           << "/node_modules/@duckdb/node-api: run scripts/install-deps.sh";
}

// Runs `sql` with DuckDB; returns the rows of the last statement (each a JSON array).
absl::StatusOr<std::vector<Json>> DuckDb(const std::string& sql) {
  const std::string err = Dir() + "/stderr.txt";
  const std::string cmd = StrCat("node ", ShellQuote(kTools + "/duckdb_query.js"), " ",
                                 ShellQuote(sql), " 2>", ShellQuote(err));
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("popen failed");
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int rc = ::pclose(pipe);
  if (rc != 0) {
    auto e = ReadFile(err);
    return absl::InternalError(StrCat("duckdb_query.js failed (", rc, "): ", e.ok() ? *e : "",
                                      "\nSQL: ", sql));
  }
  std::vector<Json> rows;
  for (std::string_view line : Split(out, '\n')) {
    if (line.empty()) continue;
    LEPTON_ASSIGN_OR_RETURN(Json row, ParseJson(line));
    rows.push_back(std::move(row));
  }
  return rows;
}

// Compares one Lepton value with DuckDB's canonical JSON value.
::testing::AssertionResult SameValue(const Column& c, int64_t i, const Json& j) {
  if (c.IsNull(i)) {
    if (j.is_null()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "lepton null, duckdb " << j.dump();
  }
  bool ok = false;
  switch (c.type()) {
    case DataType::kBool: ok = j.is_boolean() && j.get<bool>() == (c.ValueAt<uint8_t>(i) != 0); break;
    case DataType::kInt32:
    case DataType::kDate: ok = j.is_number_integer() && j.get<int64_t>() == c.ValueAt<int32_t>(i); break;
    case DataType::kInt64:
    case DataType::kTimestamp: ok = j.is_number_integer() && j.get<int64_t>() == c.ValueAt<int64_t>(i); break;
    case DataType::kFloat: {
      const double v = c.ValueAt<float>(i);
      ok = std::isnan(v) ? j == "NaN" : (j.is_number() && j.get<double>() == v);
      break;
    }
    case DataType::kDouble: {
      const double v = c.ValueAt<double>(i);
      ok = std::isnan(v) ? j == "NaN" : (j.is_number() && j.get<double>() == v);
      break;
    }
    case DataType::kString: ok = j.is_string() && j.get<std::string>() == c.StringAt(i); break;
  }
  if (ok) return ::testing::AssertionSuccess();
  std::string lepton;
  switch (c.type()) {
    case DataType::kString: lepton = std::string(c.StringAt(i)); break;
    case DataType::kFloat: lepton = StrCat(static_cast<double>(c.ValueAt<float>(i))); break;
    case DataType::kDouble: lepton = StrCat(c.ValueAt<double>(i)); break;
    case DataType::kInt32: case DataType::kDate: lepton = StrCat(c.ValueAt<int32_t>(i)); break;
    case DataType::kBool: lepton = StrCat(static_cast<int>(c.ValueAt<uint8_t>(i))); break;
    default: lepton = StrCat(c.ValueAt<int64_t>(i));
  }
  return ::testing::AssertionFailure() << "lepton " << lepton << ", duckdb " << j.dump();
}

void ExpectSame(const RecordBatch& batch, const std::vector<Json>& rows) {
  ASSERT_EQ(static_cast<int64_t>(rows.size()), batch.num_rows());
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    const Json& row = rows[static_cast<size_t>(r)];
    ASSERT_TRUE(row.is_array() && row.size() == batch.num_columns()) << row.dump();
    for (size_t c = 0; c < batch.num_columns(); ++c) {
      ASSERT_TRUE(SameValue(batch.column(c), r, row[c]))
          << "row " << r << " column " << batch.schema().field(c).name;
    }
  }
}

RecordBatch LeptonBatch(int64_t rows) {
  Schema schema({{"id", DataType::kInt64, false},  {"b", DataType::kBool, true},
                 {"i32", DataType::kInt32, true},  {"i64", DataType::kInt64, true},
                 {"f", DataType::kFloat, true},    {"d", DataType::kDouble, true},
                 {"s", DataType::kString, true},   {"dt", DataType::kDate, true},
                 {"ts", DataType::kTimestamp, true}, {"s_req", DataType::kString, false}});
  RecordBatch b(schema);
  for (int64_t r = 0; r < rows; ++r) {
    b.mutable_column(0).AppendInt64(r);
    auto maybe_null = [&](size_t c, int mod) {
      if (r % mod == 0) {
        b.mutable_column(c).AppendNull();
        return true;
      }
      return false;
    };
    if (!maybe_null(1, 7)) b.mutable_column(1).AppendBool(r % 3 == 0);
    if (!maybe_null(2, 5)) b.mutable_column(2).AppendInt32(static_cast<int32_t>(r * 37 - 100000));
    if (!maybe_null(3, 6)) b.mutable_column(3).AppendInt64(r * 1000000007LL - (int64_t{1} << 50));
    if (!maybe_null(4, 11)) b.mutable_column(4).AppendFloat(r == 1 ? NAN : static_cast<float>(r) / 3.0f - 5.5f);
    if (!maybe_null(5, 13)) b.mutable_column(5).AppendDouble(r == 2 ? -0.0 : static_cast<double>(r) / 7.0 - 1e10);
    if (!maybe_null(6, 4)) b.mutable_column(6).AppendString(r % 9 == 1 ? "" : StrCat("city-\xc3\xa9-", r % 13));
    if (!maybe_null(7, 8)) b.mutable_column(7).AppendInt32(static_cast<int32_t>(r * 11 - 20000));
    if (!maybe_null(8, 9)) b.mutable_column(8).AppendInt64(1700000000000000LL + r * 1234567 - (r % 2) * (int64_t{1} << 51));
    b.mutable_column(9).AppendString(StrCat("unique-", r * 7919));
  }
  return b;
}

struct WriteCase {
  Compression compression;
  bool dictionary;
  int64_t row_group_rows;
};

class DuckDbReadsLeptonTest : public ::testing::TestWithParam<WriteCase> {};

TEST_P(DuckDbReadsLeptonTest, SameValues) {
  RequireDuckDb();
  const WriteCase& p = GetParam();
  const std::string path = StrCat(Dir(), "/lepton_", static_cast<int>(p.compression), "_",
                                  p.dictionary, "_", p.row_group_rows, ".parquet");
  const RecordBatch batch = LeptonBatch(2500);
  LEPTON_ASSERT_OK_AND_ASSIGN(
      auto w, ParquetWriter::Open(path, batch.schema(),
                                  WriterOptions{.compression = p.compression,
                                                .dictionary = p.dictionary,
                                                .row_group_size_rows = p.row_group_rows,
                                                .page_size_bytes = 4096}));
  ASSERT_OK(w->Write(batch.Slice(0, 1000)));
  ASSERT_OK(w->Write(batch.Slice(1000, 1500)));
  ASSERT_OK(w->Close());
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> rows,
                              DuckDb(StrCat("SELECT * FROM read_parquet('", path, "') ORDER BY id")));
  ExpectSame(batch, rows);
  // DuckDB sees the row groups and our statistics.
  LEPTON_ASSERT_OK_AND_ASSIGN(
      std::vector<Json> groups,
      DuckDb(StrCat("SELECT count(DISTINCT row_group_id), max(stats_null_count) FILTER "
                    "(WHERE path_in_schema = 'b') FROM parquet_metadata('", path, "')")));
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0][0].get<int64_t>(), (2500 + p.row_group_rows - 1) / p.row_group_rows);
  // Filtering on statistics gives the same answer as a scan.
  LEPTON_ASSERT_OK_AND_ASSIGN(
      std::vector<Json> filtered,
      DuckDb(StrCat("SELECT count(*), min(s), max(ts) FROM read_parquet('", path,
                    "') WHERE i64 > 0 AND s >= 'city-\xc3\xa9-5'")));
  ASSERT_EQ(filtered.size(), 1u);
  int64_t count = 0;
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    const Column& i64 = batch.column(3);
    const Column& s = batch.column(6);
    if (!i64.IsNull(r) && i64.ValueAt<int64_t>(r) > 0 && !s.IsNull(r) &&
        s.StringAt(r) >= "city-\xc3\xa9-5") {
      ++count;
    }
  }
  EXPECT_EQ(filtered[0][0].get<int64_t>(), count);
}

INSTANTIATE_TEST_SUITE_P(Variants, DuckDbReadsLeptonTest,
                         ::testing::Values(WriteCase{Compression::kZstd, true, 1 << 20},
                                           WriteCase{Compression::kZstd, false, 600},
                                           WriteCase{Compression::kSnappy, true, 600},
                                           WriteCase{Compression::kSnappy, false, 2500},
                                           WriteCase{Compression::kUncompressed, true, 333},
                                           WriteCase{Compression::kUncompressed, false, 1000},
                                           WriteCase{Compression::kGzip, true, 1000},
                                           WriteCase{Compression::kLz4Raw, true, 1000}));

TEST(DuckDbInteropTest, DuckDbReadsEmptyLeptonFile) {
  RequireDuckDb();
  const std::string path = Dir() + "/empty.parquet";
  const RecordBatch batch = LeptonBatch(0);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto w, ParquetWriter::Open(path, batch.schema(), {}));
  ASSERT_OK(w->Close());
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> rows,
                              DuckDb(StrCat("SELECT count(*) FROM read_parquet('", path, "')")));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].get<int64_t>(), 0);
}

// The SELECT DuckDB writes: every type we map, nulls, dictionary-friendly strings, odd timestamp
// units and small/unsigned integers.
const char kDuckDbSelect[] = R"sql(
SELECT i::BIGINT AS id,
  CASE WHEN i % 7 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
  CASE WHEN i % 5 = 0 THEN NULL ELSE (i * 37 - 100000)::INTEGER END AS i32,
  (i * 1000000007 - 1125899906842624)::BIGINT AS i64,
  CASE WHEN i % 11 = 0 THEN NULL ELSE (i / 3.0 - 5.5)::FLOAT END AS f,
  CASE WHEN i % 13 = 0 THEN NULL ELSE (i / 7.0 - 1e10)::DOUBLE END AS d,
  CASE WHEN i % 4 = 0 THEN NULL ELSE 'city-é-' || (i % 13)::VARCHAR END AS s,
  'unique-' || (i * 7919)::VARCHAR AS s_unique,
  CASE WHEN i % 8 = 0 THEN NULL ELSE DATE '1970-01-01' + (i * 11 - 20000)::INTEGER END AS dt,
  CASE WHEN i % 9 = 0 THEN NULL ELSE make_timestamp(1700000000000000 + i * 1234567) END AS ts,
  make_timestamp(1700000000000000 + i * 1234567)::TIMESTAMPTZ AS tstz,
  make_timestamp(1700000000000000 + i * 1234567)::TIMESTAMP_MS AS ts_ms,
  make_timestamp(1700000000000000 + i * 1234567)::TIMESTAMP_NS AS ts_ns,
  (i % 100)::SMALLINT AS small,
  (i * 100)::UINTEGER AS u32
FROM range(10000) t(i)
)sql";

struct ReadCase {
  std::string compression;
  int row_group_size;
  std::string version;  // "" or "v2"
};

class LeptonReadsDuckDbTest : public ::testing::TestWithParam<ReadCase> {};

TEST_P(LeptonReadsDuckDbTest, SameValues) {
  RequireDuckDb();
  const ReadCase& p = GetParam();
  const std::string path =
      StrCat(Dir(), "/duckdb_", p.compression, "_", p.row_group_size, "_", p.version, ".parquet");
  std::string options = StrCat("FORMAT parquet, COMPRESSION ", p.compression, ", ROW_GROUP_SIZE ",
                               p.row_group_size);
  if (!p.version.empty()) options += StrCat(", PARQUET_VERSION ", p.version);
  LEPTON_ASSERT_OK_AND_ASSIGN(
      std::vector<Json> rows,
      DuckDb(StrCat("COPY (", kDuckDbSelect, ") TO '", path, "' (", options,
                    "); SELECT * FROM read_parquet('", path, "')")));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto r, ParquetReader::Open(path));
  EXPECT_EQ(r->num_rows(), 10000);
  // DuckDB rounds ROW_GROUP_SIZE up to whole vectors of 2048 rows.
  if (p.row_group_size <= 2048) {
    EXPECT_GE(r->num_row_groups(), 4);
  }
  const Schema& s = r->schema();
  ASSERT_EQ(s.size(), 15u);
  EXPECT_EQ(s.field(1).type, DataType::kBool);
  EXPECT_EQ(s.field(6).type, DataType::kString);
  EXPECT_EQ(s.field(8).type, DataType::kDate);
  for (size_t c = 9; c <= 12; ++c) EXPECT_EQ(s.field(c).type, DataType::kTimestamp) << c;
  EXPECT_EQ(s.field(13).type, DataType::kInt32);
  EXPECT_EQ(s.field(14).type, DataType::kInt64);
  LEPTON_ASSERT_OK_AND_ASSIGN(RecordBatch all, r->ReadAll());
  ExpectSame(all, rows);

  // Statistics: the min/max of every row group bound its values.
  for (int g = 0; g < r->num_row_groups(); ++g) {
    const auto stats = r->RowGroupStatistics(g);
    LEPTON_ASSERT_OK_AND_ASSIGN(RecordBatch b, r->ReadRowGroup(g, {0, 6}));
    ASSERT_TRUE(stats[0].min.has_value());
    EXPECT_EQ(std::get<int64_t>(*stats[0].min), b.column(0).ValueAt<int64_t>(0));
    EXPECT_EQ(std::get<int64_t>(*stats[0].max), b.column(0).ValueAt<int64_t>(b.num_rows() - 1));
    EXPECT_EQ(stats[6].null_count, b.column(1).null_count());
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, LeptonReadsDuckDbTest,
                         ::testing::Values(ReadCase{"snappy", 1000, ""},
                                           ReadCase{"zstd", 100000, ""},
                                           ReadCase{"gzip", 700, ""},
                                           ReadCase{"lz4_raw", 2048, ""},
                                           ReadCase{"uncompressed", 500, ""},
                                           ReadCase{"zstd", 1000, "v2"},
                                           ReadCase{"snappy", 2048, "v2"},
                                           ReadCase{"uncompressed", 3000, "v2"}),
                         [](const auto& test_info) {
                           return StrCat(test_info.param.compression, "_", test_info.param.row_group_size,
                                         test_info.param.version.empty() ? "" : "_v2");
                         });

// Our Delta checkpoints read by DuckDB's Parquet reader: the Delta checkpoint schema (struct
// columns with maps and lists) and the values of each action.
TEST(DuckDbInteropTest, DuckDbReadsDeltaCheckpoint) {
  RequireDuckDb();
  const std::string table = Dir() + "/delta_checkpoint_table";
  std::filesystem::remove_all(table);
  delta::DeltaLog log(table, Clock::System());
  delta::TableMetadata meta;
  meta.name = "events";
  meta.schema = Schema({{"id", DataType::kInt64, false}, {"city", DataType::kString, true}});
  ASSERT_OK(log.CommitVersion(0, {.operation = "CREATE TABLE", .metadata = meta}));
  for (int i = 1; i <= 12; ++i) {
    delta::AddFile f;
    f.path = StrCat("part-", i, ".parquet");
    f.size_bytes = 1000 + i;
    f.num_records = i;
    ASSERT_OK(log.Append({.operation = "WRITE", .add = {f}}));
  }
  const std::string ckpt = log.CheckpointPath(10);
  ASSERT_TRUE(PathExists(ckpt));
  const std::string from = StrCat("read_parquet('", ckpt, "')");

  LEPTON_ASSERT_OK_AND_ASSIGN(
      std::vector<Json> adds,
      DuckDb(StrCat("SELECT add.path, add.size, cardinality(add.partitionValues), add.dataChange, "
                    "add.stats, add.tags IS NULL FROM ",
                    from, " WHERE add IS NOT NULL ORDER BY add.size")));
  ASSERT_EQ(adds.size(), 10u);
  for (int i = 1; i <= 10; ++i) {
    const Json& row = adds[static_cast<size_t>(i - 1)];
    EXPECT_EQ(row[0], StrCat("part-", i, ".parquet"));
    EXPECT_EQ(row[1].get<int64_t>(), 1000 + i);
    EXPECT_EQ(row[2].get<int64_t>(), 0);  // partitionValues is an empty map, not null
    EXPECT_EQ(row[3], true);
    LEPTON_ASSERT_OK_AND_ASSIGN(Json stats, ParseJson(row[4].get<std::string>()));
    EXPECT_EQ(stats["numRecords"], i);
    EXPECT_EQ(row[5], true);
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(
      std::vector<Json> meta_rows,
      DuckDb(StrCat("SELECT metaData.schemaString, metaData.name, metaData.format.provider, "
                    "len(metaData.partitionColumns), cardinality(metaData.configuration), "
                    "metaData.id FROM ",
                    from, " WHERE metaData IS NOT NULL")));
  ASSERT_EQ(meta_rows.size(), 1u);
  EXPECT_EQ(meta_rows[0][0], delta::SchemaToDeltaString(meta.schema));
  EXPECT_EQ(meta_rows[0][1], "events");
  EXPECT_EQ(meta_rows[0][2], "parquet");
  EXPECT_EQ(meta_rows[0][3].get<int64_t>(), 0);
  EXPECT_EQ(meta_rows[0][4].get<int64_t>(), 0);
  EXPECT_EQ(meta_rows[0][5].get<std::string>().size(), 36u);
  LEPTON_ASSERT_OK_AND_ASSIGN(
      std::vector<Json> protocol,
      DuckDb(StrCat("SELECT protocol.minReaderVersion, protocol.minWriterVersion FROM ", from,
                    " WHERE protocol IS NOT NULL")));
  ASSERT_EQ(protocol.size(), 1u);
  EXPECT_EQ(protocol[0][0].get<int64_t>(), 1);
  EXPECT_EQ(protocol[0][1].get<int64_t>(), 2);
  // Every row sets exactly one action column.
  LEPTON_ASSERT_OK_AND_ASSIGN(
      std::vector<Json> shape,
      DuckDb(StrCat("SELECT count(*), count(*) FILTER (WHERE (txn IS NOT NULL)::INT + "
                    "(add IS NOT NULL)::INT + (remove IS NOT NULL)::INT + "
                    "(metaData IS NOT NULL)::INT + (protocol IS NOT NULL)::INT = 1) FROM ",
                    from)));
  ASSERT_EQ(shape.size(), 1u);
  EXPECT_EQ(shape[0][0].get<int64_t>(), 12);
  EXPECT_EQ(shape[0][1].get<int64_t>(), 12);
  // The column types are Delta's.
  LEPTON_ASSERT_OK_AND_ASSIGN(
      std::vector<Json> types,
      DuckDb(StrCat("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ", from,
                    ") ORDER BY column_name")));
  ASSERT_EQ(types.size(), 5u);
  EXPECT_EQ(types[0][0], "add");
  EXPECT_EQ(
      types[0][1],
      "STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, "
      "modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags MAP(VARCHAR, VARCHAR))");
  EXPECT_EQ(types[1][0], "metaData");
  EXPECT_EQ(types[1][1],
            "STRUCT(id VARCHAR, \"name\" VARCHAR, description VARCHAR, format STRUCT(provider "
            "VARCHAR, \"options\" MAP(VARCHAR, VARCHAR)), schemaString VARCHAR, partitionColumns "
            "VARCHAR[], \"configuration\" MAP(VARCHAR, VARCHAR), createdTime BIGINT)");
  EXPECT_EQ(types[2][0], "protocol");
  EXPECT_EQ(types[2][1], "STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER)");
  // _last_checkpoint points at it.
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string last, ReadFile(table + "/_delta_log/_last_checkpoint"));
  LEPTON_ASSERT_OK_AND_ASSIGN(Json last_json, ParseJson(last));
  EXPECT_EQ(last_json["version"], 10);
  EXPECT_EQ(last_json["numOfAddFiles"], 10);
}

// Nested files both ways: DuckDB reads what NestedWriter writes, NestedReader reads what DuckDB
// writes (dictionary pages, both page versions), for structs, maps and lists with nulls.
TEST(DuckDbInteropTest, NestedFilesBothWays) {
  RequireDuckDb();
  const std::string ours = Dir() + "/nested_lepton.parquet";
  std::vector<SchemaNode> schema = {
      LeafNode("id", kInt64, kRequired),
      GroupNode("s", {StringNode("name"), ListNode("xs", LeafNode("x", kInt32))}),
      MapNode("m", StringNode("k"), StringNode("v")), ListNode("l", StringNode("e"))};
  std::vector<Json> records = {
      Json::parse(R"({"id":1,"s":null,"m":null,"l":null})"),
      Json::parse(R"({"id":2,"s":{"name":null,"xs":[]},"m":{},"l":[]})"),
      Json::parse(R"({"id":3,"s":{"name":"a","xs":[1,null,3]},"m":{"k1":"v1","k2":null},
                      "l":["x",null,""]})")};
  LEPTON_ASSERT_OK_AND_ASSIGN(int64_t size, WriteNestedParquetFile(ours, schema, records));
  EXPECT_GT(size, 0);
  LEPTON_ASSERT_OK_AND_ASSIGN(
      std::vector<Json> rows,
      DuckDb(StrCat("SELECT id, s IS NULL, s.name, len(s.xs), s.xs[1], s.xs[2], s.xs[3], "
                    "m IS NULL, cardinality(m), m['k1'], l IS NULL, len(l), l[1], l[2], l[3] "
                    "FROM read_parquet('",
                    ours, "') ORDER BY id")));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(
      rows[0],
      Json::parse(R"([1,true,null,null,null,null,null,true,null,null,true,null,null,null,null])"));
  EXPECT_EQ(rows[1],
            Json::parse(R"([2,false,null,0,null,null,null,false,0,null,false,0,null,null,null])"));
  EXPECT_EQ(rows[2], Json::parse(R"([3,false,"a",3,1,null,3,false,2,"v1",false,3,"x",null,""])"));

  for (const std::string version : {"v1", "v2"}) {
    const std::string theirs = StrCat(Dir(), "/nested_duckdb_", version, ".parquet");
    ASSERT_TRUE(
        DuckDb(
            StrCat("COPY (SELECT i AS id, CASE WHEN i % 4 = 0 THEN NULL ELSE {'name': CASE WHEN i "
                   "% 3 = 0 "
                   "THEN NULL ELSE 'n' || (i % 5) END, 'xs': CASE WHEN i % 5 = 0 THEN NULL ELSE "
                   "range(i % 4)::INTEGER[] END} END AS s, CASE WHEN i % 6 = 0 THEN NULL ELSE "
                   "MAP(['k' || (i % 3)], [CASE WHEN i % 2 = 0 THEN NULL ELSE 'v' END]) END AS m, "
                   "CASE WHEN i % 7 = 0 THEN NULL ELSE ['a', NULL, 'b' || (i % 2)][1:(i % 4)] END "
                   "AS l "
                   "FROM range(3000) t(i)) TO '",
                   theirs, "' (FORMAT parquet, PARQUET_VERSION ", version,
                   ", ROW_GROUP_SIZE 1000)"))
            .ok());
    LEPTON_ASSERT_OK_AND_ASSIGN(auto r, NestedReader::Open(theirs));
    LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> got, r->ReadAll());
    ASSERT_EQ(got.size(), 3000u);
    for (int64_t i = 0; i < 3000; ++i) {
      Json want = Json::object();
      want["id"] = i;
      if (i % 4 == 0) {
        want["s"] = nullptr;
      } else {
        Json xs = nullptr;
        if (i % 5 != 0) {
          xs = Json::array();
          for (int64_t k = 0; k < i % 4; ++k) xs.push_back(k);
        }
        want["s"] = {{"name", i % 3 == 0 ? Json() : Json(StrCat("n", i % 5))}, {"xs", xs}};
      }
      want["m"] = i % 6 == 0 ? Json() : Json{{StrCat("k", i % 3), i % 2 == 0 ? Json() : Json("v")}};
      if (i % 7 == 0) {
        want["l"] = nullptr;
      } else {
        const Json all = {"a", nullptr, StrCat("b", i % 2)};
        Json l = Json::array();
        for (int64_t k = 0; k < i % 4; ++k) l.push_back(all[static_cast<size_t>(k)]);
        want["l"] = l;
      }
      ASSERT_EQ(got[static_cast<size_t>(i)], want) << version << " row " << i;
    }
  }
}

}  // namespace
}  // namespace lepton::lake::parquet
