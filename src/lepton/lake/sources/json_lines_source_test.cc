#include "lepton/lake/sources/json_lines_source.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/ingest/infer.h"

namespace lepton::lake::sources {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

// Reads every batch of `text` and concatenates them.
struct ReadResult {
  Schema schema;
  std::vector<RecordBatch> batches;
  std::vector<ingest::BadRow> quarantined;
  int64_t rows = 0;
  int64_t bad = 0;
};

absl::StatusOr<ReadResult> ReadAll(const std::string& text, JsonLinesOptions options = {}) {
  std::istringstream in(text);
  LEPTON_ASSIGN_OR_RETURN(auto source, JsonLinesSource::Create(&in, std::move(options)));
  ReadResult result;
  result.schema = source->schema();
  while (true) {
    LEPTON_ASSIGN_OR_RETURN(auto batch, source->ReadNext());
    for (auto& b : source->TakeQuarantined()) result.quarantined.push_back(std::move(b));
    if (!batch) break;
    result.batches.push_back(std::move(*batch));
  }
  result.rows = source->rows_read();
  result.bad = source->bad_rows();
  return result;
}

TEST(JsonLinesSourceTest, InfersTypesFromValues) {
  const std::string text =
      R"({"b": true, "i": 1, "l": 5000000000, "d": 1.5, "m": 1, "s": "x", "day": "2024-01-31", "ts": "2024-01-31T10:00:00Z"})"
      "\n"
      R"({"b": false, "i": -7, "l": 2, "d": 2, "m": 2.25, "s": "y", "day": "2024-02-01", "ts": "2024-02-01"})"
      "\n";
  LEPTON_ASSERT_OK_AND_ASSIGN(ReadResult r, ReadAll(text));
  ASSERT_EQ(r.schema.size(), 8u);
  const std::vector<std::pair<std::string, DataType>> expected = {
      {"b", DataType::kBool},     {"i", DataType::kInt32},  {"l", DataType::kInt64},
      {"d", DataType::kDouble},   {"m", DataType::kDouble}, {"s", DataType::kString},
      {"day", DataType::kDate},   {"ts", DataType::kTimestamp}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(r.schema.field(i).name, expected[i].first);
    EXPECT_EQ(r.schema.field(i).type, expected[i].second) << expected[i].first;
  }
  ASSERT_EQ(r.batches.size(), 1u);
  const RecordBatch& b = r.batches[0];
  EXPECT_EQ(b.num_rows(), 2);
  EXPECT_EQ(b.column(0).ValueAt<uint8_t>(1), 0);
  EXPECT_EQ(b.column(1).ValueAt<int32_t>(1), -7);
  EXPECT_EQ(b.column(2).ValueAt<int64_t>(0), 5000000000);
  EXPECT_EQ(b.column(3).ValueAt<double>(1), 2.0);
  EXPECT_EQ(b.column(4).ValueAt<double>(0), 1.0);
  EXPECT_EQ(b.column(5).StringAt(1), "y");
  EXPECT_EQ(b.column(6).ValueAt<int32_t>(0), ingest::DaysFromCivil(2024, 1, 31));
  EXPECT_EQ(b.column(7).ValueAt<int64_t>(1), ingest::DaysFromCivil(2024, 2, 1) * 86400000000);
  EXPECT_EQ(r.rows, 2);
  EXPECT_EQ(r.bad, 0);
}

TEST(JsonLinesSourceTest, KeysAreUnionInFirstSeenOrderAndMissingKeysAreNull) {
  LEPTON_ASSERT_OK_AND_ASSIGN(ReadResult r,
                              ReadAll("{\"z\": 1, \"a\": \"p\"}\n{\"a\": \"q\", \"m\": null}\n"
                                      "{\"m\": 2.5, \"z\": null}\n"));
  ASSERT_EQ(r.schema.size(), 3u);
  EXPECT_EQ(r.schema.field(0).name, "z");
  EXPECT_EQ(r.schema.field(1).name, "a");
  EXPECT_EQ(r.schema.field(2).name, "m");
  EXPECT_EQ(r.schema.field(2).type, DataType::kDouble);
  const RecordBatch& b = r.batches.at(0);
  EXPECT_TRUE(b.column(0).IsNull(1));
  EXPECT_TRUE(b.column(0).IsNull(2));
  EXPECT_TRUE(b.column(1).IsNull(2));
  EXPECT_TRUE(b.column(2).IsNull(0));
  EXPECT_TRUE(b.column(2).IsNull(1));
  EXPECT_EQ(b.column(2).ValueAt<double>(2), 2.5);
}

TEST(JsonLinesSourceTest, NestedAndMixedValuesBecomeJsonText) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      ReadResult r, ReadAll("{\"o\": {\"k\": [1, 2]}, \"mix\": 1, \"nul\": null}\n"
                            "{\"o\": [true, null], \"mix\": \"two\"}\n{\"o\": \"plain\", \"mix\": false}\n"));
  ASSERT_EQ(r.schema.size(), 3u);
  EXPECT_EQ(r.schema.field(0).type, DataType::kString);
  EXPECT_EQ(r.schema.field(1).type, DataType::kString);
  EXPECT_EQ(r.schema.field(2).type, DataType::kString);  // only nulls
  const RecordBatch& b = r.batches.at(0);
  EXPECT_EQ(b.column(0).StringAt(0), R"({"k":[1,2]})");
  EXPECT_EQ(b.column(0).StringAt(1), "[true,null]");
  EXPECT_EQ(b.column(0).StringAt(2), "plain");
  EXPECT_EQ(b.column(1).StringAt(0), "1");
  EXPECT_EQ(b.column(1).StringAt(1), "two");
  EXPECT_EQ(b.column(1).StringAt(2), "false");
  EXPECT_TRUE(b.column(2).IsNull(0));
}

TEST(JsonLinesSourceTest, SkipsBlankLinesAndHandlesCrlfAndNoFinalNewline) {
  LEPTON_ASSERT_OK_AND_ASSIGN(ReadResult r,
                              ReadAll("\xEF\xBB\xBF{\"a\": 1}\r\n\r\n   \n{\"a\": 2}\n\n{\"a\": 3}"));
  EXPECT_EQ(r.rows, 3);
  ASSERT_EQ(r.batches.size(), 1u);
  EXPECT_EQ(r.batches[0].column(0).ValueAt<int32_t>(2), 3);
}

constexpr char kWithBadRows[] =
    "{\"id\": 1, \"name\": \"a\"}\n"
    "{\"id\": 2, \"name\": \"b\"\n"  // line 2: invalid JSON
    "\n"
    "{\"id\": \"x\", \"name\": \"c\"}\n"  // line 4: wrong type
    "[1, 2]\n"                          // line 5: not an object
    "{\"id\": 5, \"name\": \"e\"}\n";

JsonLinesOptions IdIsInt64(ingest::BadRowPolicy policy) {
  JsonLinesOptions options;
  options.schema = Schema({{"id", DataType::kInt64, true}});
  options.bad_rows = policy;
  return options;
}

TEST(JsonLinesSourceTest, BadRowFailsWithSourceAndLine) {
  JsonLinesOptions options = IdIsInt64(ingest::BadRowPolicy::kFail);
  options.source_name = "events.jsonl";
  EXPECT_THAT(ReadAll(kWithBadRows, options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events.jsonl:2: malformed JSON")));
}

TEST(JsonLinesSourceTest, WrongTypeFailsNamingKey) {
  JsonLinesOptions options = IdIsInt64(ingest::BadRowPolicy::kFail);
  options.source_name = "events.jsonl";
  EXPECT_THAT(ReadAll("{\"id\": 1}\n{\"id\": \"x\"}\n", options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "events.jsonl:2: key \"id\": expected int64, got \"x\""));
}

TEST(JsonLinesSourceTest, BadRowsSkipped) {
  LEPTON_ASSERT_OK_AND_ASSIGN(ReadResult r,
                              ReadAll(kWithBadRows, IdIsInt64(ingest::BadRowPolicy::kSkip)));
  EXPECT_EQ(r.rows, 2);
  EXPECT_EQ(r.bad, 3);
  EXPECT_TRUE(r.quarantined.empty());
  EXPECT_EQ(r.batches.at(0).column(0).ValueAt<int64_t>(1), 5);
}

TEST(JsonLinesSourceTest, BadRowsQuarantined) {
  LEPTON_ASSERT_OK_AND_ASSIGN(ReadResult r,
                              ReadAll(kWithBadRows, IdIsInt64(ingest::BadRowPolicy::kQuarantine)));
  EXPECT_EQ(r.rows, 2);
  EXPECT_EQ(r.bad, 3);
  ASSERT_EQ(r.quarantined.size(), 3u);
  EXPECT_EQ(r.quarantined[0].line, 2);
  EXPECT_EQ(r.quarantined[0].raw, "{\"id\": 2, \"name\": \"b\"");
  EXPECT_THAT(r.quarantined[0].reason, HasSubstr("malformed JSON"));
  EXPECT_EQ(r.quarantined[1].line, 4);
  EXPECT_EQ(r.quarantined[1].reason, "key \"id\": expected int64, got \"x\"");
  EXPECT_EQ(r.quarantined[2].line, 5);
  EXPECT_THAT(r.quarantined[2].reason, HasSubstr("expected a JSON object"));
}

TEST(JsonLinesSourceTest, ValuesAfterTheSampleThatDoNotFitAreBadRows) {
  JsonLinesOptions options;
  options.infer_rows = 1;
  options.bad_rows = ingest::BadRowPolicy::kQuarantine;
  LEPTON_ASSERT_OK_AND_ASSIGN(ReadResult r,
                              ReadAll("{\"n\": 1}\n{\"n\": 3000000000}\n{\"n\": 7.0}\n", options));
  EXPECT_EQ(r.schema.field(0).type, DataType::kInt32);
  EXPECT_EQ(r.rows, 2);
  ASSERT_EQ(r.quarantined.size(), 1u);
  EXPECT_EQ(r.quarantined[0].reason, "key \"n\": expected int32, got 3000000000");
}

TEST(JsonLinesSourceTest, OverridesChangeTypesAndAddColumns) {
  JsonLinesOptions options;
  options.schema = Schema({{"id", DataType::kString, false},
                           {"when", DataType::kTimestamp, true},
                           {"late", DataType::kDouble, true}});
  LEPTON_ASSERT_OK_AND_ASSIGN(
      ReadResult r, ReadAll("{\"id\": 7, \"when\": \"2024-01-01 00:00:01\", \"x\": 1}\n"
                            "{\"id\": \"b\", \"when\": null, \"late\": \"2.5\"}\n",
                            options));
  ASSERT_EQ(r.schema.size(), 4u);
  EXPECT_EQ(r.schema.field(0), (Field{"id", DataType::kString, false}));
  EXPECT_EQ(r.schema.field(1).type, DataType::kTimestamp);
  EXPECT_EQ(r.schema.field(2).name, "x");
  EXPECT_EQ(r.schema.field(3).name, "late");
  const RecordBatch& b = r.batches.at(0);
  EXPECT_EQ(b.column(0).StringAt(0), "7");
  EXPECT_EQ(b.column(1).ValueAt<int64_t>(0), ingest::DaysFromCivil(2024, 1, 1) * 86400000000 + 1000000);
  EXPECT_TRUE(b.column(1).IsNull(1));
  EXPECT_TRUE(b.column(3).IsNull(0));
  EXPECT_EQ(b.column(3).ValueAt<double>(1), 2.5);
}

TEST(JsonLinesSourceTest, NullInNonNullableColumnIsBadRow) {
  JsonLinesOptions options;
  options.schema = Schema({{"id", DataType::kInt64, false}});
  options.bad_rows = ingest::BadRowPolicy::kQuarantine;
  LEPTON_ASSERT_OK_AND_ASSIGN(ReadResult r, ReadAll("{\"id\": 1}\n{\"other\": 2}\n", options));
  EXPECT_EQ(r.rows, 1);
  ASSERT_EQ(r.quarantined.size(), 1u);
  EXPECT_EQ(r.quarantined[0].reason, "key \"id\": null in a non-nullable column");
}

TEST(JsonLinesSourceTest, StreamsInBatchesWithTinyBuffer) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "{\"i\": " + std::to_string(i) + ", \"s\": \"v" + std::to_string(i) + "\"}\n";
  JsonLinesOptions options;
  options.batch_rows = 128;
  options.infer_rows = 10;
  options.buffer_bytes = 7;
  LEPTON_ASSERT_OK_AND_ASSIGN(ReadResult r, ReadAll(text, options));
  EXPECT_EQ(r.rows, 1000);
  ASSERT_EQ(r.batches.size(), 8u);
  EXPECT_EQ(r.batches[0].num_rows(), 128);
  EXPECT_EQ(r.batches[7].num_rows(), 1000 - 7 * 128);
  EXPECT_EQ(r.batches[7].column(0).ValueAt<int32_t>(r.batches[7].num_rows() - 1), 999);
  EXPECT_EQ(r.batches[3].column(1).StringAt(0), "v384");
}

TEST(JsonLinesSourceTest, LineLongerThanLimitIsInvalidArgument) {
  JsonLinesOptions options;
  options.max_line_bytes = 16;
  options.bad_rows = ingest::BadRowPolicy::kSkip;
  EXPECT_THAT(ReadAll("{\"a\": 1}\n{\"a\": \"0123456789abcdef\"}\n", options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("<input>:2: line longer")));
}

TEST(JsonLinesSourceTest, EmptyInputHasNoColumnsAndNoBatches) {
  LEPTON_ASSERT_OK_AND_ASSIGN(ReadResult r, ReadAll("\n\n"));
  EXPECT_EQ(r.schema.size(), 0u);
  EXPECT_TRUE(r.batches.empty());
}

TEST(JsonLinesSourceTest, OpensFilesAndDescribesThem) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("lepton_jsonl_" + std::to_string(getpid()) + ".jsonl"))
                               .string();
  {
    std::ofstream out(path);
    out << "{\"a\": 1}\n{\"a\": 2}\n";
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(std::unique_ptr<BatchSource> source, JsonLinesSource::Open(path));
  EXPECT_EQ(source->description(), "jsonl: " + path);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto batch, source->ReadNext());
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->num_rows(), 2);
  std::filesystem::remove(path);
  EXPECT_THAT(JsonLinesSource::Open(path), StatusIs(absl::StatusCode::kNotFound));
}

#ifdef LEPTON_SHARED_DATA
// credit_data.csv (4454 rows, 455 missing cells) read through the CSV reader, written as JSON
// lines with missing cells left out, and read back: same rows, types and values.
TEST(JsonLinesSourceTest, SharedCsvConvertedToJsonLinesReadsBackTheSame) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      ingest::CsvTable csv,
      ingest::ReadCsvFile(std::string(LEPTON_SHARED_DATA) + "/credit/credit_data.csv"));
  std::string text;
  for (const RecordBatch& b : csv.batches) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      Json row = Json::object();
      for (size_t c = 0; c < b.num_columns(); ++c) {
        const Column& col = b.column(c);
        if (col.IsNull(r)) continue;
        const std::string& name = csv.schema.field(c).name;
        switch (col.type()) {
          case DataType::kInt32:
            row[name] = col.ValueAt<int32_t>(r);
            break;
          case DataType::kInt64:
            row[name] = col.ValueAt<int64_t>(r);
            break;
          case DataType::kDouble:
            row[name] = col.ValueAt<double>(r);
            break;
          default:
            row[name] = std::string(col.StringAt(r));
            break;
        }
      }
      text += DumpJson(row) + "\n";
    }
  }
  JsonLinesOptions options;
  options.batch_rows = 1000;
  LEPTON_ASSERT_OK_AND_ASSIGN(ReadResult r, ReadAll(text, options));
  EXPECT_EQ(r.rows, csv.num_rows);
  ASSERT_EQ(r.schema.size(), csv.schema.size());
  for (const Field& f : csv.schema.fields()) {
    const int i = r.schema.Find(f.name);
    ASSERT_GE(i, 0) << f.name;
    EXPECT_EQ(r.schema.field(static_cast<size_t>(i)).type, f.type) << f.name;
  }
  // Every value, row by row (the batches are cut differently).
  int64_t csv_row = 0;
  int64_t json_batch = 0, json_row = 0;
  int64_t nulls_csv = 0, nulls_json = 0;
  for (const RecordBatch& b : csv.batches) {
    for (int64_t row = 0; row < b.num_rows(); ++row, ++csv_row) {
      const RecordBatch& jb = r.batches[static_cast<size_t>(json_batch)];
      for (size_t c = 0; c < b.num_columns(); ++c) {
        const Column& want = b.column(c);
        const Column& got =
            jb.column(static_cast<size_t>(r.schema.Find(csv.schema.field(c).name)));
        nulls_csv += want.IsNull(row);
        nulls_json += got.IsNull(json_row);
        if (want.IsNull(row) || got.IsNull(json_row)) continue;
        switch (want.type()) {
          case DataType::kInt32:
            ASSERT_EQ(got.ValueAt<int32_t>(json_row), want.ValueAt<int32_t>(row));
            break;
          case DataType::kDouble:
            ASSERT_EQ(got.ValueAt<double>(json_row), want.ValueAt<double>(row));
            break;
          case DataType::kString:
            ASSERT_EQ(got.StringAt(json_row), want.StringAt(row));
            break;
          default:
            break;
        }
      }
      if (++json_row == jb.num_rows()) {
        ++json_batch;
        json_row = 0;
      }
    }
  }
  EXPECT_EQ(nulls_json, nulls_csv);
  EXPECT_GT(nulls_csv, 0);
}
#endif

}  // namespace
}  // namespace lepton::lake::sources
