#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/files.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/column.h"
#include "lepton/lake/parquet/parquet_reader.h"
#include "lepton/lake/parquet/parquet_writer.h"

namespace lepton::lake::parquet {
namespace {

using ::lepton::testing::StatusIs;

std::string TempPath(const std::string& name) {
  static const std::string dir = [] {
    std::string d = (std::filesystem::temp_directory_path() /
                     ("lepton_parquet_test_" + std::to_string(::getpid())))
                        .string();
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir + "/" + name;
}

Schema AllTypes(bool nullable) {
  return Schema({{"b", DataType::kBool, nullable},     {"i32", DataType::kInt32, nullable},
                 {"i64", DataType::kInt64, nullable},  {"f", DataType::kFloat, nullable},
                 {"d", DataType::kDouble, nullable},   {"s", DataType::kString, nullable},
                 {"dt", DataType::kDate, nullable},    {"ts", DataType::kTimestamp, nullable}});
}

// Rows with a few distinct strings (dictionary-friendly) and unique numbers; every 7th row null
// when `nulls`.
RecordBatch MakeBatch(const Schema& schema, int64_t rows, bool nulls, int64_t start = 0) {
  RecordBatch b(schema);
  for (int64_t r = start; r < start + rows; ++r) {
    for (size_t c = 0; c < schema.size(); ++c) {
      Column& col = b.mutable_column(c);
      if (nulls && (r + static_cast<int64_t>(c)) % 7 == 0) {
        col.AppendNull();
        continue;
      }
      switch (col.type()) {
        case DataType::kBool: col.AppendBool(r % 3 == 0); break;
        case DataType::kInt32: col.AppendInt32(static_cast<int32_t>(r * 37 - 1000)); break;
        case DataType::kInt64: col.AppendInt64(r * 1000003LL - (int64_t{1} << 40)); break;
        case DataType::kFloat: col.AppendFloat(static_cast<float>(r) / 3.0f - 5.5f); break;
        case DataType::kDouble: col.AppendDouble(static_cast<double>(r) / 7.0 - 100.25); break;
        case DataType::kString:
          col.AppendString(r % 5 == 0 ? std::string("") : "city-" + std::to_string(r % 13));
          break;
        case DataType::kDate: col.AppendInt32(static_cast<int32_t>(18000 + r - 30000 * (r % 2))); break;
        case DataType::kTimestamp: col.AppendInt64(1700000000000000LL + r * 1234567 - (r % 2) * (int64_t{1} << 52)); break;
      }
    }
  }
  return b;
}

void ExpectSameColumn(const Column& a, const Column& b, const std::string& what) {
  ASSERT_EQ(a.type(), b.type()) << what;
  ASSERT_EQ(a.size(), b.size()) << what;
  for (int64_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a.IsNull(i), b.IsNull(i)) << what << " row " << i;
    if (a.IsNull(i)) continue;
    switch (a.type()) {
      case DataType::kString: ASSERT_EQ(a.StringAt(i), b.StringAt(i)) << what << " row " << i; break;
      case DataType::kBool: ASSERT_EQ(a.ValueAt<uint8_t>(i), b.ValueAt<uint8_t>(i)) << what; break;
      default: {
        const int w = FixedWidth(a.type());
        ASSERT_EQ(0, std::memcmp(a.data().data() + i * w, b.data().data() + i * w, w))
            << what << " row " << i;
      }
    }
  }
}

void ExpectSameBatch(const RecordBatch& a, const RecordBatch& b) {
  ASSERT_EQ(a.schema(), b.schema());
  ASSERT_EQ(a.num_rows(), b.num_rows());
  for (size_t c = 0; c < a.num_columns(); ++c) {
    ExpectSameColumn(a.column(c), b.column(c), a.schema().field(c).name);
  }
}

RecordBatch Concat(const std::vector<RecordBatch>& batches) {
  RecordBatch out(batches.front().schema());
  for (const auto& b : batches) {
    for (size_t c = 0; c < b.num_columns(); ++c) {
      out.mutable_column(c).AppendRange(b.column(c), 0, b.num_rows());
    }
  }
  return out;
}

struct Case {
  Compression compression;
  bool dictionary;
  bool nullable;
  bool nulls;
};

class RoundTripTest : public ::testing::TestWithParam<Case> {};

TEST_P(RoundTripTest, AllTypes) {
  const Case& p = GetParam();
  const Schema schema = AllTypes(p.nullable);
  WriterOptions options{.compression = p.compression, .dictionary = p.dictionary,
                        .row_group_size_rows = 700, .page_size_bytes = 1000};
  const std::string path = TempPath("rt.parquet");
  LEPTON_ASSERT_OK_AND_ASSIGN(auto w, ParquetWriter::Open(path, schema, options));
  std::vector<RecordBatch> batches;
  for (int i = 0; i < 4; ++i) {
    batches.push_back(MakeBatch(schema, 500, p.nulls, 500 * i));
    ASSERT_OK(w->Write(batches.back()));
  }
  ASSERT_OK(w->Close());
  const RecordBatch expected = Concat(batches);

  LEPTON_ASSERT_OK_AND_ASSIGN(auto r, ParquetReader::Open(path));
  EXPECT_EQ(r->schema(), schema);
  EXPECT_EQ(r->num_rows(), 2000);
  EXPECT_EQ(r->num_row_groups(), 3);  // 700 + 700 + 600
  EXPECT_EQ(r->created_by(), "lepton version 0.1.0");
  LEPTON_ASSERT_OK_AND_ASSIGN(RecordBatch all, r->ReadAll());
  ExpectSameBatch(all, expected);
}

INSTANTIATE_TEST_SUITE_P(
    Variants, RoundTripTest,
    ::testing::Values(Case{Compression::kZstd, true, true, true},
                      Case{Compression::kZstd, false, true, true},
                      Case{Compression::kSnappy, true, true, true},
                      Case{Compression::kSnappy, false, false, false},
                      Case{Compression::kUncompressed, true, true, false},
                      Case{Compression::kUncompressed, false, true, true},
                      Case{Compression::kGzip, true, true, true},
                      Case{Compression::kLz4Raw, true, false, false}));

// Integer columns over a small range take the direct-mapped dictionary path (negative values,
// nulls, 64-bit, dates and timestamps included); values and nulls must survive exactly, and the
// dictionary must actually be used (the file is far smaller than PLAIN).
TEST(ParquetTest, SmallRangeIntegerDictionaries) {
  const Schema schema({{"i32", DataType::kInt32}, {"i64", DataType::kInt64},
                       {"d", DataType::kDate}, {"ts", DataType::kTimestamp},
                       {"wide", DataType::kInt64}});
  RecordBatch b(schema);
  for (int64_t r = 0; r < 5000; ++r) {
    if (r % 11 == 0) {
      b.mutable_column(0).AppendNull();
    } else {
      b.mutable_column(0).AppendInt32(static_cast<int32_t>(r % 17) - 8);
    }
    b.mutable_column(1).AppendInt64(int64_t{1} << 40 | (r % 5));
    b.mutable_column(2).AppendInt32(static_cast<int32_t>(-400 + r % 30));
    b.mutable_column(3).AppendInt64(INT64_MIN + r % 3);
    b.mutable_column(4).AppendInt64(r % 2 == 0 ? INT64_MIN : INT64_MAX);  // range overflows
  }
  auto size_with = [&](bool dictionary) -> int64_t {
    const std::string path = TempPath(dictionary ? "small_dict.parquet" : "small_plain.parquet");
    auto w = ParquetWriter::Open(path, schema,
                                 {.compression = Compression::kUncompressed,
                                  .dictionary = dictionary, .row_group_size_rows = 2000});
    EXPECT_OK(w);
    if (!w.ok()) return -1;
    EXPECT_OK((*w)->Write(b));
    EXPECT_OK((*w)->Close());
    auto r = ParquetReader::Open(path);
    EXPECT_OK(r);
    if (!r.ok()) return -1;
    auto all = (*r)->ReadAll();
    EXPECT_OK(all);
    if (all.ok()) ExpectSameBatch(*all, b);
    return static_cast<int64_t>(std::filesystem::file_size(path));
  };
  const int64_t dict = size_with(true);
  const int64_t plain = size_with(false);
  EXPECT_LT(dict * 4, plain) << "dictionary " << dict << " bytes, plain " << plain;
}

TEST(ParquetTest, ProjectionReadsOnlyRequestedColumnsInOrder) {
  const Schema schema = AllTypes(true);
  const std::string path = TempPath("proj.parquet");
  LEPTON_ASSERT_OK_AND_ASSIGN(auto w, ParquetWriter::Open(path, schema, {}));
  const RecordBatch batch = MakeBatch(schema, 100, true);
  ASSERT_OK(w->Write(batch));
  ASSERT_OK(w->Close());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto r, ParquetReader::Open(path));
  LEPTON_ASSERT_OK_AND_ASSIGN(RecordBatch got, r->ReadRowGroup(0, {5, 0}));
  ExpectSameBatch(got, batch.Project({5, 0}));
  EXPECT_THAT(r->ReadRowGroup(0, {8}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(r->ReadRowGroup(1, {0}), StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(ParquetTest, StatisticsPerRowGroup) {
  const Schema schema = AllTypes(true);
  const std::string path = TempPath("stats.parquet");
  LEPTON_ASSERT_OK_AND_ASSIGN(
      auto w, ParquetWriter::Open(path, schema, WriterOptions{.row_group_size_rows = 3}));
  RecordBatch b(schema);
  // Row group 0: three rows; row group 1: one all-null row.
  auto add = [&](bool bv, int32_t i, int64_t l, float f, double d, std::string s, int32_t dt,
                 int64_t ts) {
    b.mutable_column(0).AppendBool(bv);
    b.mutable_column(1).AppendInt32(i);
    b.mutable_column(2).AppendInt64(l);
    b.mutable_column(3).AppendFloat(f);
    b.mutable_column(4).AppendDouble(d);
    b.mutable_column(5).AppendString(s);
    b.mutable_column(6).AppendInt32(dt);
    b.mutable_column(7).AppendInt64(ts);
  };
  add(true, 5, -7, 0.0f, NAN, "b\xc3\xa9", 10, 100);
  add(false, -3, 9, 2.5f, 1.5, "ab", -4, -200);
  for (size_t c = 0; c < 8; ++c) b.mutable_column(c).AppendNull();
  for (size_t c = 0; c < 8; ++c) b.mutable_column(c).AppendNull();
  ASSERT_OK(w->Write(b));
  ASSERT_OK(w->Close());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto r, ParquetReader::Open(path));
  ASSERT_EQ(r->num_row_groups(), 2);
  const auto s = r->RowGroupStatistics(0);
  ASSERT_EQ(s.size(), 8u);
  for (const auto& c : s) EXPECT_EQ(c.null_count, 1);
  EXPECT_EQ(s[0].min, StatValue(false));
  EXPECT_EQ(s[0].max, StatValue(true));
  EXPECT_EQ(s[1].min, StatValue(int32_t{-3}));
  EXPECT_EQ(s[1].max, StatValue(int32_t{5}));
  EXPECT_EQ(s[2].min, StatValue(int64_t{-7}));
  EXPECT_EQ(s[2].max, StatValue(int64_t{9}));
  ASSERT_TRUE(s[3].min.has_value());
  EXPECT_EQ(std::get<float>(*s[3].min), 0.0f);
  EXPECT_TRUE(std::signbit(std::get<float>(*s[3].min)));  // -0.0 for a zero minimum
  EXPECT_EQ(s[3].max, StatValue(2.5f));
  EXPECT_EQ(s[4].min, StatValue(1.5));  // NaN ignored
  EXPECT_EQ(s[4].max, StatValue(1.5));
  EXPECT_EQ(s[5].min, StatValue(std::string("ab")));
  EXPECT_EQ(s[5].max, StatValue(std::string("b\xc3\xa9")));  // byte-wise: 0xc3 > 'a'
  EXPECT_EQ(s[6].min, StatValue(int32_t{-4}));
  EXPECT_EQ(s[7].max, StatValue(int64_t{100}));
  const auto s1 = r->RowGroupStatistics(1);
  for (const auto& c : s1) {
    EXPECT_EQ(c.null_count, 1);
    EXPECT_FALSE(c.min.has_value());
  }
}

TEST(ParquetTest, ZeroRowsAndEmptyBatches) {
  const Schema schema = AllTypes(true);
  const std::string path = TempPath("empty.parquet");
  LEPTON_ASSERT_OK_AND_ASSIGN(auto w, ParquetWriter::Open(path, schema, {}));
  ASSERT_OK(w->Write(RecordBatch(schema)));
  ASSERT_OK(w->Close());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto r, ParquetReader::Open(path));
  EXPECT_EQ(r->num_rows(), 0);
  EXPECT_EQ(r->num_row_groups(), 0);
  EXPECT_EQ(r->schema(), schema);
  LEPTON_ASSERT_OK_AND_ASSIGN(RecordBatch all, r->ReadAll());
  EXPECT_EQ(all.num_rows(), 0);
}

TEST(ParquetTest, LargeStringsFallBackToPlainAndSpanPages) {
  const Schema schema({{"s", DataType::kString, false}, {"k", DataType::kString, true}});
  const std::string path = TempPath("big.parquet");
  LEPTON_ASSERT_OK_AND_ASSIGN(
      auto w, ParquetWriter::Open(path, schema,
                                  WriterOptions{.dictionary_page_size_limit = 10000,
                                                .page_size_bytes = 4096}));
  RecordBatch b(schema);
  for (int i = 0; i < 5000; ++i) {
    b.mutable_column(0).AppendString(std::string(static_cast<size_t>(i % 50), 'a') + std::to_string(i));
    if (i % 11 == 0) b.mutable_column(1).AppendNull();
    else b.mutable_column(1).AppendString(i % 2 ? "odd" : "even");
  }
  ASSERT_OK(w->Write(b));
  ASSERT_OK(w->Close());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto r, ParquetReader::Open(path));
  LEPTON_ASSERT_OK_AND_ASSIGN(RecordBatch all, r->ReadAll());
  ExpectSameBatch(all, b);
}

TEST(ParquetTest, WriterValidatesInput) {
  const std::string path = TempPath("bad.parquet");
  EXPECT_THAT(ParquetWriter::Open(path, Schema(), {}), StatusIs(absl::StatusCode::kInvalidArgument));
  const Schema schema({{"x", DataType::kInt64, false}});
  LEPTON_ASSERT_OK_AND_ASSIGN(auto w, ParquetWriter::Open(path, schema, {}));
  RecordBatch b(schema);
  b.mutable_column(0).AppendNull();
  EXPECT_THAT(w->Write(b), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(w->Write(RecordBatch(Schema({{"x", DataType::kString}}))),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(w->Close());
  EXPECT_THAT(w->Write(RecordBatch(schema)), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ParquetTest, AbandonedWriterLeavesNoFile) {
  const std::string path = TempPath("abandoned.parquet");
  {
    LEPTON_ASSERT_OK_AND_ASSIGN(
        auto w, ParquetWriter::Open(path, Schema({{"x", DataType::kInt64}}), {}));
  }
  EXPECT_FALSE(PathExists(path));
  for (const auto& e : std::filesystem::directory_iterator(TempPath(""))) {
    EXPECT_EQ(e.path().string().find("abandoned.parquet.tmp"), std::string::npos);
  }
}

class CorruptFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_ = AllTypes(true);
    path_ = TempPath("good.parquet");
    auto w = ParquetWriter::Open(path_, schema_, WriterOptions{.row_group_size_rows = 300});
    ASSERT_OK(w);
    ASSERT_OK((*w)->Write(MakeBatch(schema_, 1000, true)));
    ASSERT_OK((*w)->Close());
    auto bytes = ReadFile(path_);
    ASSERT_OK(bytes);
    good_ = *bytes;
  }
  // Writes `bytes` and tries to read everything; returns the first error (OK if all worked).
  absl::Status ReadBack(const std::string& bytes) {
    const std::string p = TempPath("corrupt.parquet");
    {
      std::ofstream f(p, std::ios::binary | std::ios::trunc);
      f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!f) return absl::InternalError("writing " + p);
    }
    LEPTON_ASSIGN_OR_RETURN(auto r, ParquetReader::Open(p));
    for (int g = 0; g < r->num_row_groups(); ++g) r->RowGroupStatistics(g);
    return r->ReadAll().status();
  }
  Schema schema_;
  std::string path_;
  std::string good_;
};

TEST_F(CorruptFileTest, GoodFileReads) { EXPECT_OK(ReadBack(good_)); }

TEST_F(CorruptFileTest, WrongMagic) {
  std::string b = good_;
  b[b.size() - 1] = 'X';
  EXPECT_THAT(ReadBack(b), StatusIs(absl::StatusCode::kDataLoss));
  b = good_;
  b[0] = 'Q';
  EXPECT_THAT(ReadBack(b), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ReadBack("PAR1"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ReadBack(""), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(CorruptFileTest, TruncatedFiles) {
  for (size_t cut : {good_.size() - 1, good_.size() - 8, good_.size() - 100, good_.size() / 2,
                     size_t{13}}) {
    EXPECT_FALSE(ReadBack(good_.substr(0, cut)).ok()) << cut;
  }
  // Footer length pointing before the start.
  std::string b = good_;
  b[b.size() - 5] = '\x7f';
  EXPECT_THAT(ReadBack(b), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(CorruptFileTest, FlippedBytesNeverCrash) {
  std::mt19937 rng(42);
  int failures = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string b = good_;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      const size_t pos = rng() % b.size();
      b[pos] = static_cast<char>(b[pos] ^ static_cast<char>(1 + rng() % 255));
    }
    if (!ReadBack(b).ok()) ++failures;
  }
  EXPECT_GT(failures, 0);
  // Every byte of the footer, one at a time.
  const size_t footer_start = good_.size() - 8 - 600;
  for (size_t pos = footer_start; pos < good_.size(); ++pos) {
    std::string b = good_;
    b[pos] = static_cast<char>(~b[pos]);
    ReadBack(b).IgnoreError();
  }
}

TEST(ParquetReaderTest, MissingFile) {
  EXPECT_THAT(ParquetReader::Open(TempPath("does-not-exist.parquet")),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace lepton::lake::parquet
