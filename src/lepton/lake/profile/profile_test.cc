#include "lepton/lake/profile/profile.h"

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/ingest/csv_reader.h"

namespace lepton::lake::profile {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

Column Int64s(const std::vector<std::optional<int64_t>>& values) {
  Column c(DataType::kInt64);
  for (const auto& v : values) v ? c.AppendInt64(*v) : c.AppendNull();
  return c;
}
Column Doubles(const std::vector<std::optional<double>>& values) {
  Column c(DataType::kDouble);
  for (const auto& v : values) v ? c.AppendDouble(*v) : c.AppendNull();
  return c;
}
Column Strings(const std::vector<std::optional<std::string>>& values) {
  Column c(DataType::kString);
  for (const auto& v : values) v ? c.AppendString(*v) : c.AppendNull();
  return c;
}
Column Range(int64_t from, int64_t to) {
  Column c(DataType::kInt64);
  for (int64_t i = from; i <= to; ++i) c.AppendInt64(i);
  return c;
}

// One batch of the named columns.
RecordBatch Batch(std::vector<std::pair<std::string, Column>> columns) {
  std::vector<Field> fields;
  std::vector<Column> cols;
  for (auto& [name, col] : columns) {
    fields.push_back({name, col.type(), true});
    cols.push_back(std::move(col));
  }
  auto b = RecordBatch::Make(Schema(std::move(fields)), std::move(cols));
  LEPTON_CHECK_OK(b);
  return *std::move(b);
}

Profile ProfileOf(const RecordBatch& batch, ProfileOptions options = {}) {
  Profiler profiler(batch.schema(), std::move(options));
  const absl::Status added = profiler.Add(batch);
  LEPTON_CHECK_OK(added);
  return profiler.Finish();
}

const ColumnProfile& Col(const Profile& p, std::string_view name) {
  const ColumnProfile* c = p.Find(name);
  LEPTON_CHECK(c != nullptr);
  return *c;
}

const Alert* FindAlert(const Profile& p, std::string_view column, AlertKind kind) {
  for (const Alert& a : p.alerts) {
    if (a.column == column && a.kind == kind) return &a;
  }
  return nullptr;
}

int64_t HistogramTotal(const ColumnProfile& c) {
  int64_t total = 0;
  for (const HistogramBin& b : c.histogram) total += b.count;
  return total;
}

TEST(ProfilerTest, NumericStatisticsOfOneToHundred) {
  const Profile p = ProfileOf(Batch({{"x", Range(1, 100)}}));
  EXPECT_EQ(p.rows, 100);
  const ColumnProfile& c = Col(p, "x");
  EXPECT_EQ(c.count, 100);
  EXPECT_EQ(c.null_count, 0);
  EXPECT_EQ(c.distinct, 100);
  EXPECT_TRUE(c.distinct_exact);
  EXPECT_EQ(c.min, Scalar(int64_t{1}));
  EXPECT_EQ(c.max, Scalar(int64_t{100}));
  EXPECT_DOUBLE_EQ(*c.mean, 50.5);
  EXPECT_NEAR(*c.std, 29.011491975882016, 1e-9);
  EXPECT_NEAR(*c.skewness, 0, 1e-9);
  EXPECT_TRUE(c.quantiles_exact);
  EXPECT_DOUBLE_EQ(*c.QuantileAt(0.5), 50.5);
  EXPECT_DOUBLE_EQ(*c.QuantileAt(0.25), 25.75);
  EXPECT_DOUBLE_EQ(*c.QuantileAt(0.75), 75.25);
  EXPECT_DOUBLE_EQ(*c.QuantileAt(0.01), 1.99);
  EXPECT_DOUBLE_EQ(*c.QuantileAt(0.99), 99.01);
  ASSERT_EQ(c.histogram.size(), 20u);
  EXPECT_EQ(HistogramTotal(c), 100);
  EXPECT_DOUBLE_EQ(c.histogram.front().lower, 1);
  EXPECT_DOUBLE_EQ(c.histogram.back().upper, 100);
  for (const HistogramBin& b : c.histogram) EXPECT_EQ(b.count, 5);
  // 100 distinct integers: more than `top_k_candidates`, so no top values for a numeric.
  EXPECT_TRUE(c.top_values.empty());
  EXPECT_FALSE(c.top_values_exact);
}

TEST(ProfilerTest, NullsAreCountedAndExcludedFromStatistics) {
  const Profile p = ProfileOf(Batch({{"x", Doubles({1.5, std::nullopt, 2.5, std::nullopt, 5})}}));
  const ColumnProfile& c = Col(p, "x");
  EXPECT_EQ(c.count, 5);
  EXPECT_EQ(c.null_count, 2);
  EXPECT_DOUBLE_EQ(c.null_share(), 0.4);
  EXPECT_EQ(c.distinct, 3);
  EXPECT_EQ(c.min, Scalar(1.5));
  EXPECT_EQ(c.max, Scalar(5.0));
  EXPECT_DOUBLE_EQ(*c.mean, 3);
  EXPECT_NEAR(*c.std, std::sqrt(((1.5 - 3) * (1.5 - 3) + 0.25 + 4) / 2), 1e-12);
  EXPECT_DOUBLE_EQ(*c.QuantileAt(0.5), 2.5);
  EXPECT_EQ(HistogramTotal(c), 3);
  EXPECT_EQ(c.histogram.front().count, 1);
  EXPECT_EQ(c.histogram.back().count, 1);
}

TEST(ProfilerTest, NaNsAreCountedApart) {
  const Profile p = ProfileOf(Batch({{"x", Doubles({1, std::nan(""), 3})}}));
  const ColumnProfile& c = Col(p, "x");
  EXPECT_EQ(c.nan_count, 1);
  EXPECT_EQ(c.null_count, 0);
  EXPECT_DOUBLE_EQ(*c.mean, 2);
  EXPECT_EQ(c.max, Scalar(3.0));
  EXPECT_EQ(HistogramTotal(c), 2);
}

TEST(ProfilerTest, TopValuesByCountThenValue) {
  const Profile p = ProfileOf(
      Batch({{"s", Strings({"a", "b", "b", "c", "a", "b", std::nullopt, "b", "a", "d", "b"})}}));
  const ColumnProfile& c = Col(p, "s");
  ASSERT_EQ(c.top_values.size(), 4u);
  EXPECT_EQ(c.top_values[0].value, Scalar(std::string("b")));
  EXPECT_EQ(c.top_values[0].count, 5);
  EXPECT_EQ(c.top_values[1].value, Scalar(std::string("a")));
  EXPECT_EQ(c.top_values[1].count, 3);
  EXPECT_EQ(c.top_values[2].value, Scalar(std::string("c")));  // ties: by value
  EXPECT_EQ(c.top_values[3].value, Scalar(std::string("d")));
  EXPECT_TRUE(c.top_values_exact);
  EXPECT_TRUE(c.quantiles.empty());
  EXPECT_FALSE(c.mean.has_value());
}

TEST(ProfilerTest, TopValuesKeepTheTopK) {
  Column c(DataType::kString);
  for (int v = 0; v < 30; ++v) {
    for (int i = 0; i <= v; ++i) c.AppendString(StrCat("v", v));
  }
  const Profile p = ProfileOf(Batch({{"s", std::move(c)}}));
  const ColumnProfile& col = Col(p, "s");
  ASSERT_EQ(col.top_values.size(), 10u);
  EXPECT_EQ(col.top_values[0].value, Scalar(std::string("v29")));
  EXPECT_EQ(col.top_values[0].count, 30);
  EXPECT_EQ(col.top_values[9].value, Scalar(std::string("v20")));
}

TEST(ProfilerTest, LowCardinalityNumericsAndBoolsHaveTopValues) {
  Column flags(DataType::kBool);
  for (bool b : {true, false, true, true}) flags.AppendBool(b);
  const Profile p = ProfileOf(Batch({{"n", Int64s({3, 1, 3, 3})}, {"b", std::move(flags)}}));
  const ColumnProfile& n = Col(p, "n");
  ASSERT_EQ(n.top_values.size(), 2u);
  EXPECT_EQ(n.top_values[0].value, Scalar(int64_t{3}));
  EXPECT_EQ(n.top_values[0].count, 3);
  const ColumnProfile& b = Col(p, "b");
  ASSERT_EQ(b.top_values.size(), 2u);
  EXPECT_EQ(b.top_values[0].value, Scalar(true));
  EXPECT_EQ(b.top_values[0].count, 3);
  EXPECT_EQ(b.min, Scalar(false));
  EXPECT_EQ(b.max, Scalar(true));
  EXPECT_DOUBLE_EQ(*b.mean, 0.75);
  EXPECT_TRUE(b.quantiles.empty());
}

TEST(ProfilerTest, StringMinMaxAreBytewise) {
  const Profile p = ProfileOf(Batch({{"s", Strings({"banana", "apple", "Cherry", "cherry", ""})}}));
  const ColumnProfile& c = Col(p, "s");
  EXPECT_EQ(c.min, Scalar(std::string("")));
  EXPECT_EQ(c.max, Scalar(std::string("cherry")));
  const Profile q = ProfileOf(Batch({{"s", Strings({"banana", "Cherry", "apple"})}}));
  EXPECT_EQ(Col(q, "s").min, Scalar(std::string("Cherry")));
  EXPECT_EQ(Col(q, "s").max, Scalar(std::string("banana")));
}

TEST(ProfilerTest, DatesAndTimestampsAsIsoStrings) {
  Column d(DataType::kDate);
  d.AppendInt32(19723);  // 2024-01-01
  d.AppendInt32(-1);     // 1969-12-31
  d.AppendNull();
  Column t(DataType::kTimestamp);
  t.AppendInt64(1704067200000000 + 1500000);  // 2024-01-01T00:00:01.5
  t.AppendInt64(0);
  t.AppendInt64(86400000000);
  const Profile p = ProfileOf(Batch({{"d", std::move(d)}, {"t", std::move(t)}}));
  const ColumnProfile& dc = Col(p, "d");
  EXPECT_EQ(dc.min, Scalar(int64_t{-1}));
  EXPECT_EQ(dc.max, Scalar(int64_t{19723}));
  EXPECT_FALSE(dc.mean.has_value());
  const Json j = ProfileToJson(p);
  EXPECT_EQ(j["columns"][0]["min"], "1969-12-31");
  EXPECT_EQ(j["columns"][0]["max"], "2024-01-01");
  EXPECT_EQ(j["columns"][1]["min"], "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(j["columns"][1]["max"], "2024-01-01T00:00:01.500000Z");
  EXPECT_EQ(j["columns"][0]["top_values"][0]["value"], "1969-12-31");
}

TEST(ProfilerTest, AllNullAndEmptyColumns) {
  const Profile p = ProfileOf(Batch({{"x", Doubles({std::nullopt, std::nullopt})},
                                     {"s", Strings({std::nullopt, std::nullopt})}}));
  for (const ColumnProfile& c : p.columns) {
    EXPECT_EQ(c.count, 2);
    EXPECT_EQ(c.null_count, 2);
    EXPECT_EQ(c.distinct, 0);
    EXPECT_FALSE(c.min.has_value());
    EXPECT_FALSE(c.mean.has_value());
    EXPECT_TRUE(c.quantiles.empty());
    EXPECT_TRUE(c.histogram.empty());
    EXPECT_TRUE(c.top_values.empty());
    EXPECT_TRUE(p.HasAlert(c.name, AlertKind::kHighMissing));
    EXPECT_FALSE(p.HasAlert(c.name, AlertKind::kConstant));
  }
  const RecordBatch empty = Batch({{"x", Doubles({})}, {"s", Strings({})}});
  Profiler profiler(empty.schema(), {});
  const Profile none = profiler.Finish();  // nothing added at all
  EXPECT_EQ(none.rows, 0);
  ASSERT_EQ(none.columns.size(), 2u);
  EXPECT_EQ(none.columns[0].count, 0);
  EXPECT_TRUE(none.alerts.empty());
  ASSERT_OK(profiler.Add(empty));
  EXPECT_TRUE(profiler.Finish().alerts.empty());
  EXPECT_THAT(ProfileToTable(none), HasSubstr("0 rows"));
}

TEST(ProfilerTest, DistinctCountsExactWhenSmallAndEstimatedWhenLarge) {
  Column small(DataType::kInt64);
  for (int i = 0; i < 1000; ++i) small.AppendInt64(i % 7);
  const Profile p = ProfileOf(Batch({{"x", std::move(small)}}));
  EXPECT_EQ(Col(p, "x").distinct, 7);
  EXPECT_TRUE(Col(p, "x").distinct_exact);

  Column ints(DataType::kInt64);
  Column strings(DataType::kString);
  for (int64_t i = 0; i < 100000; ++i) {
    ints.AppendInt64(i * 1000003);
    strings.AppendString(StrCat("user-", i));
  }
  const Profile q = ProfileOf(Batch({{"i", std::move(ints)}, {"s", std::move(strings)}}));
  for (const ColumnProfile& c : q.columns) {
    EXPECT_FALSE(c.distinct_exact);
    EXPECT_NEAR(static_cast<double>(c.distinct), 100000, 2000) << c.name;
  }
  EXPECT_EQ(q.duplicate_rows, 0);
}

TEST(ProfilerTest, MultipleBatchesEqualOneBatch) {
  Column i(DataType::kInt32), d(DataType::kDouble), s(DataType::kString), b(DataType::kBool);
  for (int r = 0; r < 20000; ++r) {
    r % 13 == 0 ? i.AppendNull() : i.AppendInt32(r % 97);
    d.AppendDouble(std::sin(r) * 100);
    s.AppendString(StrCat("k", (r * 31) % 500));
    b.AppendBool(r % 3 == 0);
  }
  const RecordBatch all =
      Batch({{"i", std::move(i)}, {"d", std::move(d)}, {"s", std::move(s)}, {"b", std::move(b)}});
  ProfileOptions options;
  options.quantile_sample_size = 5000;  // exercise sampling too
  options.exact_distinct_limit = 100;
  const Profile one = ProfileOf(all, options);
  Profiler split(all.schema(), options);
  for (int64_t off = 0; off < all.num_rows(); off += 777) {
    ASSERT_OK(split.Add(all.Slice(off, std::min<int64_t>(777, all.num_rows() - off))));
  }
  const Profile many = split.Finish();
  EXPECT_EQ(DumpJson(ProfileToJson(one)), DumpJson(ProfileToJson(many)));
  EXPECT_FALSE(Col(one, "d").quantiles_exact);
  EXPECT_EQ(HistogramTotal(Col(one, "d")), 20000);
  EXPECT_EQ(HistogramTotal(Col(one, "i")), 20000 - 1539);
  EXPECT_NEAR(*Col(one, "d").QuantileAt(0.5), 0, 10);
}

TEST(ProfilerTest, RejectsMismatchedBatchesAndBadOptions) {
  const RecordBatch batch = Batch({{"x", Range(1, 3)}});
  Profiler profiler(Schema({{"x", DataType::kDouble, true}}), {});
  EXPECT_THAT(profiler.Add(batch),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"x\"")));
  Profiler two(Schema({{"x", DataType::kInt64, true}, {"y", DataType::kInt64, true}}), {});
  EXPECT_THAT(two.Add(batch), StatusIs(absl::StatusCode::kInvalidArgument));
  ProfileOptions bad;
  bad.quantiles = {1.5};
  Profiler invalid(batch.schema(), bad);
  EXPECT_THAT(invalid.Add(batch),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("quantiles")));
  bad = {};
  bad.top_k_candidates = 3;
  EXPECT_THAT(ValidateOptions(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(ValidateOptions({}));
}

// Alerts: each fires past its threshold and stays quiet at it.

TEST(AlertsTest, HighMissing) {
  std::vector<std::optional<int64_t>> v = {1, 2, 3, 4, 5, 6, 7, 8, std::nullopt, std::nullopt};
  EXPECT_FALSE(ProfileOf(Batch({{"x", Int64s(v)}})).HasAlert("x", AlertKind::kHighMissing));
  v[0] = std::nullopt;
  const Profile p = ProfileOf(Batch({{"x", Int64s(v)}}));
  const Alert* a = FindAlert(p, "x", AlertKind::kHighMissing);
  ASSERT_NE(a, nullptr);
  EXPECT_DOUBLE_EQ(a->value, 0.3);
  EXPECT_THAT(a->message, HasSubstr("30.0% missing"));
}

TEST(AlertsTest, Constant) {
  EXPECT_TRUE(ProfileOf(Batch({{"s", Strings({"x", "x", std::nullopt, "x"})}}))
                  .HasAlert("s", AlertKind::kConstant));
  EXPECT_FALSE(
      ProfileOf(Batch({{"s", Strings({"x", "y", "x"})}})).HasAlert("s", AlertKind::kConstant));
}

TEST(AlertsTest, HighCardinalityStrings) {
  Column high(DataType::kString), low(DataType::kString), few(DataType::kString);
  for (int i = 0; i < 100; ++i) {
    high.AppendString(StrCat("v", i % 60));  // 60 distinct of 100: share 0.6
    low.AppendString(StrCat("v", i % 40));   // 40 distinct: below 50
    few.AppendString(StrCat("v", i % 50));   // 50 distinct, share 0.5: at both thresholds
  }
  const Profile p = ProfileOf(
      Batch({{"high", std::move(high)}, {"low", std::move(low)}, {"few", std::move(few)}}));
  EXPECT_TRUE(p.HasAlert("high", AlertKind::kHighCardinality));
  EXPECT_FALSE(p.HasAlert("low", AlertKind::kHighCardinality));
  EXPECT_FALSE(p.HasAlert("few", AlertKind::kHighCardinality));
}

TEST(AlertsTest, Skewed) {
  std::vector<std::optional<double>> v(99, 1.0);
  v.push_back(1000.0);
  const Profile p = ProfileOf(Batch({{"skewed", Doubles(v)}, {"flat", Range(1, 100)}}));
  EXPECT_TRUE(p.HasAlert("skewed", AlertKind::kSkewed));
  EXPECT_GT(*Col(p, "skewed").skewness, 2);
  EXPECT_FALSE(p.HasAlert("flat", AlertKind::kSkewed));
}

TEST(AlertsTest, DuplicateRows) {
  const Profile dup = ProfileOf(Batch({{"a", Int64s({1, 2, 1, 1, std::nullopt, std::nullopt})},
                                       {"b", Strings({"x", "y", "x", "z", "q", "q"})}}));
  EXPECT_EQ(dup.duplicate_rows, 2);
  EXPECT_TRUE(dup.duplicate_rows_exact);
  EXPECT_TRUE(dup.HasAlert("", AlertKind::kDuplicateRows));
  // Same values in different columns are different rows.
  const Profile none = ProfileOf(Batch({{"a", Strings({"x", "y"})}, {"b", Strings({"y", "x"})}}));
  EXPECT_EQ(none.duplicate_rows, 0);
  EXPECT_FALSE(none.HasAlert("", AlertKind::kDuplicateRows));
}

TEST(AlertsTest, DuplicateRowsEstimatedPastTheExactLimit) {
  Column c(DataType::kInt64);
  for (int64_t i = 0; i < 50000; ++i) c.AppendInt64(i % 25000);
  ProfileOptions options;
  options.exact_row_hash_limit = 1000;
  const Profile p = ProfileOf(Batch({{"x", std::move(c)}}), options);
  EXPECT_FALSE(p.duplicate_rows_exact);
  EXPECT_NEAR(static_cast<double>(p.duplicate_rows), 25000, 500);
}

TEST(AlertsTest, LikelyId) {
  const Profile p = ProfileOf(Batch(
      {{"customer_id", Range(1, 20)},
       {"code", Strings({"a1",  "a2",  "a3",  "a4",  "a5",  "a6",  "a7",  "a8",  "a9",  "a10",
                         "a11", "a12", "a13", "a14", "a15", "a16", "a17", "a18", "a19", "a20"})},
       {"amount", Doubles({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})},
       {"repeat", Int64s({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 19})},
       {"gappy", Int64s({1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                         11, 12, 13, 14, 15, 16, 17, 18, 19, std::nullopt})}}));
  EXPECT_TRUE(p.HasAlert("customer_id", AlertKind::kLikelyId));
  EXPECT_TRUE(p.HasAlert("code", AlertKind::kLikelyId));
  EXPECT_FALSE(p.HasAlert("code", AlertKind::kHighCardinality));  // the ID alert says it
  EXPECT_FALSE(p.HasAlert("amount", AlertKind::kLikelyId));
  EXPECT_FALSE(p.HasAlert("repeat", AlertKind::kLikelyId));
  EXPECT_FALSE(p.HasAlert("gappy", AlertKind::kLikelyId));
  // Too few rows to call anything an ID.
  EXPECT_FALSE(ProfileOf(Batch({{"id", Range(1, 5)}})).HasAlert("id", AlertKind::kLikelyId));
}

TEST(RenderTest, JsonHasStableFieldsAndNumbers) {
  const Profile p = ProfileOf(Batch(
      {{"x", Range(1, 100)}, {"s", Strings(std::vector<std::optional<std::string>>(100, "k"))}}));
  const Json j = ProfileToJson(p);
  EXPECT_EQ(j["rows"], 100);
  EXPECT_EQ(j["version"], nullptr);
  EXPECT_EQ(j["duplicate_rows"], 0);
  const Json& x = j["columns"][0];
  for (const char* key :
       {"name", "type", "count", "null_count", "null_share", "nan_count", "distinct",
        "distinct_exact", "min", "max", "mean", "std", "skewness", "quantiles", "quantiles_exact",
        "histogram", "top_values", "top_values_exact"}) {
    EXPECT_TRUE(x.contains(key)) << key;
    EXPECT_TRUE(j["columns"][1].contains(key)) << key;
  }
  EXPECT_EQ(x["type"], "int64");
  EXPECT_TRUE(x["min"].is_number_integer());
  EXPECT_EQ(x["max"], 100);
  EXPECT_DOUBLE_EQ(x["mean"].get<double>(), 50.5);
  EXPECT_EQ(x["quantiles"][3]["q"], 0.5);
  EXPECT_EQ(x["quantiles"][3]["value"], 50.5);
  EXPECT_EQ(x["histogram"].size(), 20u);
  EXPECT_TRUE(j["columns"][1]["mean"].is_null());
  EXPECT_EQ(j["columns"][1]["top_values"][0]["value"], "k");
  EXPECT_EQ(j["columns"][1]["top_values"][0]["count"], 100);
  ASSERT_EQ(j["alerts"].size(), 2u);
  EXPECT_EQ(j["alerts"][0]["column"], "x");
  EXPECT_EQ(j["alerts"][0]["kind"], "likely_id");
  EXPECT_EQ(j["alerts"][0]["value"], 100);
  EXPECT_EQ(j["alerts"][1]["kind"], "constant");
  const Json dup = ProfileToJson(ProfileOf(Batch({{"x", Int64s({1, 1, 1})}})));
  EXPECT_EQ(dup["alerts"][0]["column"], nullptr);  // table level
  EXPECT_EQ(dup["alerts"][0]["kind"], "duplicate_rows");
  EXPECT_EQ(dup["alerts"][0]["value"], 2);
}

TEST(RenderTest, TableListsColumnsAndAlerts) {
  const Profile p = ProfileOf(
      Batch({{"a_rather_long_column_name_indeed", Range(1, 20)},
             {"s", Strings({"x", "x", std::nullopt, "x", "x", "x", "x", "x", "x", "x",
                            "x", "x", "x",          "x", "x", "x", "x", "x", "x", "x"})}}));
  const std::string t = ProfileToTable(p);
  EXPECT_THAT(t, HasSubstr("20 rows, 0 duplicate rows, 2 columns"));
  EXPECT_THAT(t, HasSubstr("column"));
  EXPECT_THAT(t, HasSubstr("a_rather_long_colu.."));
  EXPECT_THAT(t, HasSubstr("10.5"));  // mean and p50 of 1..20
  EXPECT_THAT(t, HasSubstr("[likely_id] a_rather_long_column_name_indeed"));
  EXPECT_THAT(t, HasSubstr("[constant] s: constant: every non-null value is x"));
  // Every column row is as wide as the header would be at most.
  const std::vector<std::string_view> lines = Split(t, '\n');
  ASSERT_GE(lines.size(), 5u);
  EXPECT_LE(lines[4].size(), lines[3].size());
}

TEST(ProfilerTest, GermanCredit) {
  const std::string path = std::string(LEPTON_SHARED_DATA) + "/credit/german_credit.csv";
  LEPTON_ASSERT_OK_AND_ASSIGN(ingest::CsvTable table, ingest::ReadCsvFile(path));
  LEPTON_ASSERT_OK_AND_ASSIGN(Profile p, ProfileBatches(table.schema, table.batches));
  EXPECT_EQ(p.rows, 1000);
  EXPECT_EQ(p.columns.size(), 21u);
  for (const ColumnProfile& c : p.columns) EXPECT_EQ(c.null_count, 0) << c.name;
  const ColumnProfile& cls = Col(p, "class");
  ASSERT_FALSE(cls.top_values.empty());
  EXPECT_EQ(cls.top_values[0].value, Scalar(std::string("good")));
  EXPECT_EQ(cls.top_values[0].count, 700);
  EXPECT_EQ(cls.distinct, 2);
  const ColumnProfile& age = Col(p, "age");
  EXPECT_EQ(age.type, DataType::kInt32);
  EXPECT_EQ(age.min, Scalar(int64_t{19}));
  EXPECT_EQ(age.max, Scalar(int64_t{75}));
  EXPECT_EQ(HistogramTotal(age), 1000);
  EXPECT_EQ(p.duplicate_rows, 0);
  EXPECT_FALSE(p.HasAlert("age", AlertKind::kLikelyId));
  const std::string t = ProfileToTable(p);
  EXPECT_THAT(t, HasSubstr("1000 rows"));
}

}  // namespace
}  // namespace lepton::lake::profile
