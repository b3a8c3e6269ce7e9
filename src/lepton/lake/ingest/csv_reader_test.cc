#include "lepton/lake/ingest/csv_reader.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/json.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/ingest/csv_tokenizer.h"
#include "lepton/lake/ingest/infer.h"
#include "lepton/lake/ingest/sniff.h"

namespace lepton::lake::ingest {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// All batches of `t` as one batch.
RecordBatch Merge(const CsvTable& t) {
  RecordBatch out(t.schema);
  for (const RecordBatch& b : t.batches) {
    for (size_t i = 0; i < b.num_columns(); ++i) {
      out.mutable_column(i).AppendRange(b.column(i), 0, b.num_rows());
    }
  }
  return out;
}

std::vector<std::string> Strings(const Column& c) {
  std::vector<std::string> out;
  for (int64_t i = 0; i < c.size(); ++i) {
    out.push_back(c.IsNull(i) ? "<null>" : std::string(c.StringAt(i)));
  }
  return out;
}

std::vector<DataType> Types(const Schema& s) {
  std::vector<DataType> out;
  for (const Field& f : s.fields()) out.push_back(f.type);
  return out;
}

// Tokenizes `text` with `dialect` and a `buffer_bytes` read buffer.
std::vector<CsvRecord> Tokenize(const std::string& text, CsvDialect dialect = {},
                                size_t buffer_bytes = 1 << 20) {
  std::istringstream in(text);
  CsvTokenizerOptions options;
  options.buffer_bytes = buffer_bytes;
  CsvTokenizer tokenizer(dialect, "", &in, options);
  std::vector<CsvRecord> records;
  CsvRecord r;
  while (true) {
    absl::StatusOr<bool> more = tokenizer.Next(&r);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    records.push_back(r);
  }
  return records;
}

std::vector<std::string> Fields(const CsvRecord& r) {
  std::vector<std::string> out;
  for (size_t i = 0; i < r.size(); ++i) out.emplace_back(r.field(i));
  return out;
}

CsvReadOptions Explicit(char delimiter = ',', bool header = true) {
  CsvReadOptions o;
  o.delimiter = delimiter;
  o.quote = '"';
  o.has_header = header;
  return o;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer: RFC 4180 edge cases.

TEST(CsvTokenizerTest, QuotedDelimitersAndDoubledQuotes) {
  auto records = Tokenize("a,\"b,c\",\"he said \"\"hi\"\"\"\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(Fields(records[0]), ElementsAre("a", "b,c", "he said \"hi\""));
  EXPECT_FALSE(records[0].quoted(0));
  EXPECT_TRUE(records[0].quoted(1));
  EXPECT_EQ(records[0].error(), "");
}

TEST(CsvTokenizerTest, EmbeddedCrlfKeptAndLinesCounted) {
  auto records = Tokenize("h1,h2\r\n\"line1\r\nline2\",2\r\n3,4\r\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_THAT(Fields(records[1]), ElementsAre("line1\r\nline2", "2"));
  EXPECT_EQ(records[0].line(), 1);
  EXPECT_EQ(records[1].line(), 2);
  EXPECT_EQ(records[2].line(), 4);
  EXPECT_EQ(records[1].raw(), "\"line1\r\nline2\",2");
}

TEST(CsvTokenizerTest, LfCrlfAndLoneCrTerminators) {
  auto records = Tokenize("a\nb\r\nc\rd");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[3].field(0), "d");
  EXPECT_EQ(records[3].line(), 4);
}

TEST(CsvTokenizerTest, TrailingNewlineOrNot) {
  EXPECT_EQ(Tokenize("a,b\n1,2\n").size(), 2u);
  auto records = Tokenize("a,b\n1,2");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(Fields(records[1]), ElementsAre("1", "2"));
}

TEST(CsvTokenizerTest, EmptyLinesAreSkippedButCounted) {
  auto records = Tokenize("a\n\n\r\n\nb\n\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].field(0), "b");
  EXPECT_EQ(records[1].line(), 5);
}

TEST(CsvTokenizerTest, TrailingEmptyFieldsAndEmptyQuoted) {
  auto records = Tokenize("a,,\"\"\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(Fields(records[0]), ElementsAre("a", "", ""));
  EXPECT_FALSE(records[0].quoted(1));
  EXPECT_TRUE(records[0].quoted(2));
}

TEST(CsvTokenizerTest, ByteOrderMarkIsDropped) {
  auto records = Tokenize("\xEF\xBB\xBFid\n1\n", {}, 4);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].field(0), "id");
}

TEST(CsvTokenizerTest, MalformedQuotingIsFlagged) {
  auto records = Tokenize("\"ab\"c,d\n\"open,e\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].error(), "unexpected character 'c' after closing quote");
  EXPECT_EQ(records[0].field(0), "abc");
  EXPECT_EQ(records[1].error(), "unterminated quoted field");
}

TEST(CsvTokenizerTest, QuoteInsideUnquotedFieldIsLiteral) {
  auto records = Tokenize("5'11\",x\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(Fields(records[0]), ElementsAre("5'11\"", "x"));
}

TEST(CsvTokenizerTest, BackslashEscapeWhenEnabled) {
  CsvDialect d;
  d.escape = '\\';
  auto records = Tokenize("\"a\\\"b\",\"c\"\"d\"\n", d);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(Fields(records[0]), ElementsAre("a\"b", "c\"d"));
}

TEST(CsvTokenizerTest, EveryBufferSizeGivesTheSameRecords) {
  const std::string text =
      "\xEF\xBB\xBFid,text,n\r\n1,\"multi\r\nline, with \"\"quotes\"\"\r\nand more\",3\r\n"
      "2,plain,4\r\n\r\n3,\"\",5";
  const auto expected = Tokenize(text);
  ASSERT_EQ(expected.size(), 4u);
  EXPECT_EQ(expected[1].field(1), "multi\r\nline, with \"quotes\"\r\nand more");
  for (size_t buffer = 4; buffer < 40; ++buffer) {
    const auto got = Tokenize(text, {}, buffer);
    ASSERT_EQ(got.size(), expected.size()) << buffer;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(Fields(got[i]), Fields(expected[i])) << "buffer " << buffer << " record " << i;
      EXPECT_EQ(got[i].line(), expected[i].line()) << buffer;
      EXPECT_EQ(got[i].raw(), expected[i].raw()) << buffer;
    }
  }
}

TEST(CsvTokenizerTest, OverlongRecordIsInvalidArgument) {
  std::istringstream in("a\n\"" + std::string(100, 'x'));
  CsvTokenizerOptions options;
  options.buffer_bytes = 8;
  options.max_record_bytes = 32;
  options.source_name = "big.csv";
  CsvTokenizer tokenizer({}, "", &in, options);
  CsvRecord r;
  ASSERT_OK(tokenizer.Next(&r));
  EXPECT_THAT(tokenizer.Next(&r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("big.csv:2: record exceeds")));
}

// ---------------------------------------------------------------------------------------------
// Reader: whole files.

TEST(CsvReaderTest, ReadsQuotedMultilineFieldsAcrossTinyBuffers) {
  const std::string text = "id,note\n1,\"first\nsecond, \"\"third\"\"\"\n2,plain\n";
  for (size_t buffer : {4, 5, 7, 11, 1 << 20}) {
    CsvReadOptions o;
    o.buffer_bytes = buffer;
    LEPTON_ASSERT_OK_AND_ASSIGN(CsvTable t, ReadCsvString(text, o));
    RecordBatch b = Merge(t);
    ASSERT_EQ(b.num_rows(), 2) << buffer;
    EXPECT_THAT(Strings(b.column(1)), ElementsAre("first\nsecond, \"third\"", "plain"));
  }
}

TEST(CsvReaderTest, BomAndCrlfFile) {
  LEPTON_ASSERT_OK_AND_ASSIGN(CsvTable t,
                              ReadCsvString("\xEF\xBB\xBFid,name\r\n1,ann\r\n2,bob\r\n"));
  EXPECT_EQ(t.schema.field(0).name, "id");
  EXPECT_EQ(t.schema.field(0).type, DataType::kInt32);
  RecordBatch b = Merge(t);
  EXPECT_THAT(Strings(b.column(1)), ElementsAre("ann", "bob"));
}

TEST(CsvReaderTest, RaggedRowsAreBadRows) {
  EXPECT_THAT(ReadCsvString("a,b\n1,2\n3,4,5\n", Explicit()),
              StatusIs(absl::StatusCode::kInvalidArgument, "<input>:3: expected 2 fields, got 3"));
  CsvReadOptions o = Explicit();
  o.bad_rows = BadRowPolicy::kQuarantine;
  LEPTON_ASSERT_OK_AND_ASSIGN(CsvTable t, ReadCsvString("a,b\n1,2\n\n3\n4,5\n", o));
  EXPECT_EQ(t.num_rows, 2);
  EXPECT_THAT(t.quarantined, ElementsAre(BadRow{4, "3", "expected 2 fields, got 1"}));
}

TEST(CsvReaderTest, UnterminatedQuoteIsBadRow) {
  EXPECT_THAT(ReadCsvString("a,b\n1,\"open\n2,3\n", Explicit()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "<input>:2: unterminated quoted field"));
}

TEST(CsvReaderTest, EmptyInputAndHeaderOnly) {
  LEPTON_ASSERT_OK_AND_ASSIGN(CsvTable empty, ReadCsvString(""));
  EXPECT_EQ(empty.schema.size(), 0u);
  EXPECT_EQ(empty.num_rows, 0);
  LEPTON_ASSERT_OK_AND_ASSIGN(CsvTable header, ReadCsvString("a,b\n", Explicit()));
  EXPECT_EQ(header.schema.size(), 2u);
  EXPECT_EQ(header.schema.field(1).type, DataType::kString);
  EXPECT_EQ(header.num_rows, 0);
}

TEST(CsvReaderTest, DuplicateAndEmptyHeaderNamesAreMadeUnique) {
  LEPTON_ASSERT_OK_AND_ASSIGN(CsvTable t, ReadCsvString("x,,x\n1,2,3\n", Explicit()));
  EXPECT_EQ(t.schema.field(0).name, "x");
  EXPECT_EQ(t.schema.field(1).name, "column_2");
  EXPECT_EQ(t.schema.field(2).name, "x_2");
}

TEST(CsvReaderTest, BatchesOfNRowsFromAFile) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "lepton_csv_reader_test.csv").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << "n\n1\n2\n3\n4\n5\n";
  }
  CsvReadOptions o;
  o.batch_rows = 2;
  LEPTON_ASSERT_OK_AND_ASSIGN(auto reader, CsvReader::Open(path, o));
  std::vector<int64_t> sizes;
  while (true) {
    LEPTON_ASSERT_OK_AND_ASSIGN(std::optional<RecordBatch> batch, reader->ReadNext());
    if (!batch) break;
    sizes.push_back(batch->num_rows());
  }
  EXPECT_THAT(sizes, ElementsAre(2, 2, 1));
  EXPECT_EQ(reader->rows_read(), 5);
  std::remove(path.c_str());
}

TEST(CsvReaderTest, MissingFileIsNotFound) {
  EXPECT_THAT(CsvReader::Open("/nonexistent/x.csv"), StatusIs(absl::StatusCode::kNotFound));
}

// ---------------------------------------------------------------------------------------------
// Sniffing.

TEST(SniffTest, Delimiters) {
  EXPECT_EQ(SniffDialect("a;b;c\n1;2,5;3\n4;5;6\n", true).delimiter, ';');
  EXPECT_EQ(SniffDialect("a\tb\n1\t\"x, y\"\n2\tz\n", true).delimiter, '\t');
  EXPECT_EQ(SniffDialect("a|b|c\n1|2|3\n", true).delimiter, '|');
  EXPECT_EQ(SniffDialect("a,b\n\"x;y;z\",1\n\"p;q\",2\n", true).delimiter, ',');
  EXPECT_EQ(SniffDialect("just\none\ncolumn\n", true).delimiter, ',');
}

TEST(SniffTest, QuoteChar) {
  EXPECT_EQ(SniffDialect("a,b\n'x,y',1\n'z',2\n", true).quote, '\'');
  EXPECT_EQ(SniffDialect("a,b\n\"it's\",1\n", true).quote, '"');
}

TEST(SniffTest, HeaderDetection) {
  EXPECT_TRUE(SniffDialect("id,score\n1,2.5\n2,3.5\n", true).has_header);
  EXPECT_FALSE(SniffDialect("1,2.5\n2,3.5\n", true).has_header);
  EXPECT_TRUE(SniffDialect("label,sentence\npos,good day\nneg,bad day\n", true).has_header);
  EXPECT_FALSE(SniffDialect("x,2020-01-01\ny,2020-01-02\n", true).has_header);
  EXPECT_TRUE(SniffDialect("name,city\n", true).has_header);
}

TEST(SniffTest, ReaderUsesSniffedDialect) {
  for (const char* text : {"a;b;c\n1;x;2.5\n2;y;3\n", "a\tb\tc\n1\tx\t2.5\n2\ty\t3\n",
                           "a|b|c\n1|x|2.5\n2|y|3\n"}) {
    LEPTON_ASSERT_OK_AND_ASSIGN(CsvTable t, ReadCsvString(text));
    EXPECT_TRUE(t.dialect.has_header);
    EXPECT_THAT(Types(t.schema), ElementsAre(DataType::kInt32, DataType::kString, DataType::kDouble))
        << text;
    EXPECT_EQ(t.num_rows, 2);
  }
}

TEST(SniffTest, PartlyGivenDialectSniffsTheRest) {
  CsvReadOptions o;
  o.quote = '\'';
  o.has_header = false;
  LEPTON_ASSERT_OK_AND_ASSIGN(CsvTable t, ReadCsvString("'a;b';1\n'c;d';2\n", o));
  EXPECT_EQ(t.dialect.delimiter, ';');
  EXPECT_THAT(Strings(Merge(t).column(0)), ElementsAre("a;b", "c;d"));
  EXPECT_EQ(t.schema.field(1).type, DataType::kInt32);
}

TEST(SniffTest, HeaderlessFileGetsGeneratedNames) {
  LEPTON_ASSERT_OK_AND_ASSIGN(CsvTable t, ReadCsvString("1,2.5\n2,3.5\n"));
  EXPECT_FALSE(t.dialect.has_header);
  EXPECT_EQ(t.schema.field(0).name, "column_1");
  EXPECT_EQ(t.schema.field(1).name, "column_2");
  EXPECT_EQ(t.num_rows, 2);
}

// ---------------------------------------------------------------------------------------------
// Nulls.

TEST(CsvReaderTest, NullTokensVersusQuotedEmptyStrings) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      CsvTable t, ReadCsvString("s,n\n\"\",1\n,NA\nNA,N/A\n\"NA\",null\nNULL,2\n", Explicit()));
  EXPECT_THAT(Types(t.schema), ElementsAre(DataType::kString, DataType::kInt32));
  RecordBatch b = Merge(t);
  EXPECT_THAT(Strings(b.column(0)), ElementsAre("", "<null>", "<null>", "NA", "<null>"));
  EXPECT_EQ(b.column(1).null_count(), 3);
  EXPECT_EQ(b.column(1).ValueAt<int32_t>(4), 2);
}

TEST(CsvReaderTest, CustomNullTokens) {
  CsvReadOptions o = Explicit();
  o.null_tokens = {"-"};
  LEPTON_ASSERT_OK_AND_ASSIGN(CsvTable t, ReadCsvString("s\n-\n\nNA\n", o));
  RecordBatch b = Merge(t);
  // The empty line is skipped; "NA" is text now.
  EXPECT_THAT(Strings(b.column(0)), ElementsAre("<null>", "NA"));
}

// ---------------------------------------------------------------------------------------------
// Inference.

TEST(InferTest, EveryType) {
  EXPECT_EQ(InferType({"true", "FALSE", "True"}), DataType::kBool);
  EXPECT_EQ(InferType({"yes", "no"}), DataType::kString);
  EXPECT_EQ(InferType({"0", "1"}), DataType::kInt32);
  EXPECT_EQ(InferType({"-2147483648", "2147483647"}), DataType::kInt32);
  EXPECT_EQ(InferType({"1", "2147483648"}), DataType::kInt64);
  EXPECT_EQ(InferType({"1", "9223372036854775808"}), DataType::kDouble);  // int64 overflow
  EXPECT_EQ(InferType({"1", "2.5", "-1e-3", ".5"}), DataType::kDouble);
  EXPECT_EQ(InferType({"nan", "inf"}), DataType::kString);
  EXPECT_EQ(InferType({"1.5", "nan"}), DataType::kDouble);
  EXPECT_EQ(InferType({"2024-02-29", "1970-01-01"}), DataType::kDate);
  EXPECT_EQ(InferType({"2023-02-29"}), DataType::kString);  // not a day
  EXPECT_EQ(InferType({"2024-01-01T00:00:00Z", "2024-01-01 10:00:00.123+02:00"}),
            DataType::kTimestamp);
  EXPECT_EQ(InferType({"2024-01-01", "2024-01-01T00:00:00"}), DataType::kTimestamp);
  EXPECT_EQ(InferType({"007", "123"}), DataType::kString);  // leading zeros: an identifier
  EXPECT_EQ(InferType({"1", "x"}), DataType::kString);
  EXPECT_EQ(InferType({" 1"}), DataType::kString);
  EXPECT_EQ(InferType({}), DataType::kString);
}

TEST(InferTest, TimestampsAreUtcMicros) {
  int64_t us = 0;
  ASSERT_TRUE(ParseTimestamp("2000-01-01T00:00:00Z", &us));
  EXPECT_EQ(us, int64_t{946684800} * 1000000);
  ASSERT_TRUE(ParseTimestamp("2000-01-01T02:00:00+02:00", &us));
  EXPECT_EQ(us, int64_t{946684800} * 1000000);
  ASSERT_TRUE(ParseTimestamp("1999-12-31 18:30:00.25-0530", &us));
  EXPECT_EQ(us, int64_t{946684800} * 1000000 + 250000);
  ASSERT_TRUE(ParseTimestamp("1970-01-01T00:00:00.1234567", &us));  // truncated to µs
  EXPECT_EQ(us, 123456);
  ASSERT_TRUE(ParseTimestamp("1969-12-31T23:59:59Z", &us));
  EXPECT_EQ(us, -1000000);
  EXPECT_FALSE(ParseTimestamp("2000-01-01T24:00:00", &us));
  EXPECT_FALSE(ParseTimestamp("2000-01-01T00:00", &us));
  EXPECT_FALSE(ParseTimestamp("2000-01-01T00:00:00+2", &us));
  int32_t days = 0;
  ASSERT_TRUE(ParseDate("2000-03-01", &days));
  EXPECT_EQ(days, 11017);
  ASSERT_TRUE(ParseDate("1969-12-31", &days));
  EXPECT_EQ(days, -1);
}

TEST(CsvReaderTest, InfersAndConvertsEveryType) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      CsvTable t,
      ReadCsvString("b,i,l,d,day,ts,s,empty\n"
                    "true,1,5000000000,1.5,2024-03-01,2024-03-01T12:00:00+02:00,x,\n"
                    "False,-7,-1,2,1970-01-02,2024-03-01 10:00:00.5Z,y,NA\n"));
  EXPECT_THAT(Types(t.schema),
              ElementsAre(DataType::kBool, DataType::kInt32, DataType::kInt64, DataType::kDouble,
                          DataType::kDate, DataType::kTimestamp, DataType::kString,
                          DataType::kString));
  RecordBatch b = Merge(t);
  ASSERT_EQ(b.num_rows(), 2);
  EXPECT_EQ(b.column(0).ValueAt<uint8_t>(1), 0);
  EXPECT_EQ(b.column(1).ValueAt<int32_t>(1), -7);
  EXPECT_EQ(b.column(2).ValueAt<int64_t>(0), 5000000000);
  EXPECT_EQ(b.column(3).ValueAt<double>(1), 2.0);
  EXPECT_EQ(b.column(4).ValueAt<int32_t>(1), 1);
  const int64_t ten_am = (DaysFromCivil(2024, 3, 1) * 86400 + 10 * 3600) * 1000000;
  EXPECT_EQ(b.column(5).ValueAt<int64_t>(0), ten_am);
  EXPECT_EQ(b.column(5).ValueAt<int64_t>(1), ten_am + 500000);
  EXPECT_EQ(b.column(7).null_count(), 2);
}

// ---------------------------------------------------------------------------------------------
// Schema override.

TEST(CsvReaderTest, SchemaOverrideFromJson) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Json json, ParseJson(R"({"fields":[{"name":"zip","type":"string","nullable":true},
                                         {"name":"n","type":"double","nullable":false}]})"));
  LEPTON_ASSERT_OK_AND_ASSIGN(Schema schema, Schema::FromJson(json));
  CsvReadOptions o = Explicit();
  o.schema = schema;
  LEPTON_ASSERT_OK_AND_ASSIGN(CsvTable t, ReadCsvString("zip,n,k\n01234,1,2\n99999,2,3\n", o));
  EXPECT_THAT(Types(t.schema), ElementsAre(DataType::kString, DataType::kDouble, DataType::kInt32));
  EXPECT_FALSE(t.schema.field(1).nullable);
  RecordBatch b = Merge(t);
  EXPECT_THAT(Strings(b.column(0)), ElementsAre("01234", "99999"));
  EXPECT_EQ(b.column(1).ValueAt<double>(1), 2.0);

  EXPECT_THAT(ReadCsvString("zip,n,k\n1,,2\n", o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "<input>:2: column \"n\": null in a non-nullable column"));
}

TEST(CsvReaderTest, SchemaOverrideWithUnknownColumnIsInvalidArgument) {
  CsvReadOptions o = Explicit();
  o.schema = Schema({Field{"nope", DataType::kInt64, true}});
  EXPECT_THAT(ReadCsvString("a,b\n1,2\n", o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown column \"nope\"; the columns are: a, b")));
}

TEST(CsvReaderTest, OverrideToIntegerAcceptsLeadingZeros) {
  CsvReadOptions o = Explicit();
  o.schema = Schema({Field{"code", DataType::kInt64, true}});
  LEPTON_ASSERT_OK_AND_ASSIGN(CsvTable t, ReadCsvString("code\n007\n", o));
  EXPECT_EQ(Merge(t).column(0).ValueAt<int64_t>(0), 7);
}

// ---------------------------------------------------------------------------------------------
// Bad rows.

constexpr char kCustomers[] = "id,age\n1,30\n2,41\nx3,abc\n4,55\n";

CsvReadOptions CustomersOptions(BadRowPolicy policy) {
  CsvReadOptions o = Explicit();
  o.source_name = "customers.csv";
  o.schema = Schema({Field{"age", DataType::kInt64, true}});
  o.bad_rows = policy;
  return o;
}

TEST(CsvReaderTest, BadRowFailNamesFileLineColumnAndReason) {
  // "id" infers string (x3); "age" is int64 by override.
  EXPECT_THAT(ReadCsvString(kCustomers, CustomersOptions(BadRowPolicy::kFail)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "customers.csv:4: column \"age\": expected int64, got \"abc\""));
}

TEST(CsvReaderTest, BadRowSkipDropsAndCounts) {
  LEPTON_ASSERT_OK_AND_ASSIGN(CsvTable t,
                              ReadCsvString(kCustomers, CustomersOptions(BadRowPolicy::kSkip)));
  EXPECT_EQ(t.num_rows, 3);
  EXPECT_EQ(t.bad_rows, 1);
  EXPECT_TRUE(t.quarantined.empty());
  EXPECT_THAT(Strings(Merge(t).column(0)), ElementsAre("1", "2", "4"));
}

TEST(CsvReaderTest, BadRowQuarantineHandsBackRawRecord) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      CsvTable t, ReadCsvString(kCustomers, CustomersOptions(BadRowPolicy::kQuarantine)));
  EXPECT_EQ(t.num_rows, 3);
  EXPECT_EQ(t.bad_rows, 1);
  EXPECT_THAT(t.quarantined,
              ElementsAre(BadRow{4, "x3,abc", "column \"age\": expected int64, got \"abc\""}));
}

TEST(CsvReaderTest, MismatchAfterInferenceSampleIsBadRow) {
  CsvReadOptions o = Explicit();
  o.infer_rows = 2;
  const char* text = "n\n1\n2\n3.5\n4\n";
  EXPECT_THAT(ReadCsvString(text, o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "<input>:4: column \"n\": expected int32, got \"3.5\""));
  o.bad_rows = BadRowPolicy::kSkip;
  LEPTON_ASSERT_OK_AND_ASSIGN(CsvTable t, ReadCsvString(text, o));
  EXPECT_EQ(t.num_rows, 3);
  EXPECT_EQ(t.bad_rows, 1);
}

TEST(CsvReaderTest, IntegerOverflowAfterSampleIsBadRow) {
  CsvReadOptions o = Explicit();
  o.infer_rows = 1;
  EXPECT_THAT(ReadCsvString("n\n1\n3000000000\n", o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "<input>:3: column \"n\": expected int32, got \"3000000000\""));
  o.schema = Schema({Field{"n", DataType::kInt64, true}});
  EXPECT_THAT(ReadCsvString("n\n1\n9223372036854775808\n", o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected int64")));
}

TEST(CsvReaderTest, ExactIntegralSpellingsFitIntegerColumns) {
  CsvReadOptions o = Explicit();
  o.infer_rows = 1;
  LEPTON_ASSERT_OK_AND_ASSIGN(CsvTable t, ReadCsvString("n\n1\n1.00E+05\n7.0\n", o));
  RecordBatch b = Merge(t);
  EXPECT_EQ(b.schema().field(0).type, DataType::kInt32);
  EXPECT_EQ(b.column(0).ValueAt<int32_t>(1), 100000);
  EXPECT_EQ(b.column(0).ValueAt<int32_t>(2), 7);
}

TEST(CsvReaderTest, LongValuesAreCutInMessages) {
  CsvReadOptions o = Explicit();
  o.infer_rows = 1;
  EXPECT_THAT(ReadCsvString("n\n1\n" + std::string(100, 'z') + "\n", o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("got \"" + std::string(64, 'z') + "\"...")));
}

// ---------------------------------------------------------------------------------------------
// The shared real data sets, with no schema given.

struct DataFile {
  const char* path;
  int64_t rows;
  size_t columns;
  std::vector<std::pair<const char*, DataType>> types;
};

TEST(CsvReaderDataTest, AllSharedCsvsIngestWithSensibleTypes) {
  const std::vector<DataFile> files = {
      {"credit/german_credit.csv", 1000, 21,
       {{"checking_status", DataType::kString},
        {"duration", DataType::kInt32},
        {"credit_amount", DataType::kInt32},
        {"age", DataType::kInt32},
        {"class", DataType::kString}}},
      {"credit/credit_data.csv", 4454, 14,
       {{"Status", DataType::kString},
        {"Seniority", DataType::kInt32},
        {"Home", DataType::kString},
        {"Income", DataType::kInt32},
        {"Price", DataType::kInt32}}},
      {"credit/taiwan_default.csv", 30000, 25,
       {{"ID", DataType::kInt32},
        {"LIMIT_BAL", DataType::kDouble},  // "5.00E+05" in the sample
        {"SEX", DataType::kInt32},
        {"PAY_0", DataType::kInt32},
        {"BILL_AMT1", DataType::kInt32},   // first "1.00E+05" at row 12829, after the sample
        {"BILL_AMT2", DataType::kDouble},  // "1.00E+05" at row 3691
        {"default_payment_next_month", DataType::kInt32}}},
      {"text/financial_phrasebank.csv", 4846, 2,
       {{"label", DataType::kString}, {"sentence", DataType::kString}}},
      {"text/reuters_grain_corn.csv", 2158, 4,
       {{"split", DataType::kString},
        {"text", DataType::kString},
        {"grain", DataType::kInt32},
        {"corn", DataType::kInt32}}},
      {"reco/movielens_small_ratings.csv", 100836, 4,
       {{"userId", DataType::kInt32},
        {"movieId", DataType::kInt32},
        {"rating", DataType::kDouble},
        {"timestamp", DataType::kInt32}}},  // Unix seconds, still within int32
      {"reco/supermarket_baskets.csv", 85762, 3,
       {{"basket_id", DataType::kInt32},
        {"item", DataType::kString},
        {"basket_total", DataType::kString}}},
  };
  for (const DataFile& f : files) {
    SCOPED_TRACE(f.path);
    LEPTON_ASSERT_OK_AND_ASSIGN(CsvTable t,
                                ReadCsvFile(std::string(LEPTON_SHARED_DATA) + "/" + f.path));
    EXPECT_EQ(t.dialect.delimiter, ',');
    EXPECT_TRUE(t.dialect.has_header);
    EXPECT_EQ(t.num_rows, f.rows);
    EXPECT_EQ(t.bad_rows, 0);
    ASSERT_EQ(t.schema.size(), f.columns);
    for (const auto& [name, type] : f.types) {
      const int i = t.schema.Find(name);
      ASSERT_GE(i, 0) << name;
      EXPECT_EQ(DataTypeName(t.schema.field(static_cast<size_t>(i)).type), DataTypeName(type))
          << name;
    }
  }
}

TEST(CsvReaderDataTest, CreditDataMissingCellsAreNulls) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      CsvTable t, ReadCsvFile(std::string(LEPTON_SHARED_DATA) + "/credit/credit_data.csv"));
  RecordBatch b = Merge(t);
  int64_t nulls = 0;
  for (const Column& c : b.columns()) nulls += c.null_count();
  EXPECT_EQ(nulls, 455);
  EXPECT_EQ(b.column(static_cast<size_t>(t.schema.Find("Income"))).null_count(), 381);
  EXPECT_EQ(b.column(0).StringAt(0), "good");
}

}  // namespace
}  // namespace lepton::lake::ingest
