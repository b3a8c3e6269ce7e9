#include "lepton/lake/column.h"

#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::lake {
namespace {

using ::lepton::testing::StatusIs;

TEST(ColumnTest, FixedWidthValuesAndLateNulls) {
  Column c(DataType::kInt64);
  for (int64_t i = 0; i < 10; ++i) c.AppendInt64(i * 10);
  EXPECT_TRUE(c.validity().empty());  // no bitmap until the first null
  c.AppendNull();
  c.AppendInt64(7);
  ASSERT_EQ(c.size(), 12);
  EXPECT_EQ(c.null_count(), 1);
  for (int64_t i = 0; i < 10; ++i) EXPECT_TRUE(c.IsValid(i)) << i;
  EXPECT_TRUE(c.IsNull(10));
  EXPECT_TRUE(c.IsValid(11));
  EXPECT_EQ(c.ValueAt<int64_t>(11), 7);
  EXPECT_EQ(c.ValueAt<int64_t>(10), 0);
  EXPECT_EQ(c.Values<int64_t>()[3], 30);
}

TEST(ColumnTest, StringsWithNullsAndEmptyValues) {
  Column c(DataType::kString);
  c.AppendString("alpha");
  c.AppendNull();
  c.AppendString("");
  c.AppendString("ünïcode");
  ASSERT_EQ(c.size(), 4);
  EXPECT_EQ(c.StringAt(0), "alpha");
  EXPECT_TRUE(c.IsNull(1));
  EXPECT_EQ(c.StringAt(1), "");
  EXPECT_TRUE(c.IsValid(2));
  EXPECT_EQ(c.StringAt(2), "");
  EXPECT_EQ(c.StringAt(3), "ünïcode");
  EXPECT_EQ(c.offsets().size(), 5u);
}

TEST(ColumnTest, AppendRangeCopiesValuesAndNulls) {
  Column a(DataType::kDouble);
  a.AppendDouble(1.5);
  a.AppendNull();
  a.AppendDouble(-2.25);
  Column b(DataType::kDouble);
  b.AppendDouble(9);
  b.AppendRange(a, 1, 2);
  ASSERT_EQ(b.size(), 3);
  EXPECT_TRUE(b.IsNull(1));
  EXPECT_EQ(b.ValueAt<double>(2), -2.25);
  EXPECT_EQ(b.null_count(), 1);
}

TEST(ColumnTest, ClearKeepsTypeAndResetsState) {
  Column c(DataType::kString);
  c.AppendNull();
  c.AppendString("x");
  c.Clear();
  EXPECT_EQ(c.size(), 0);
  EXPECT_EQ(c.null_count(), 0);
  c.AppendString("y");
  EXPECT_EQ(c.StringAt(0), "y");
  EXPECT_TRUE(c.IsValid(0));
}

TEST(SchemaTest, JsonRoundTripAndValidation) {
  Schema s({{"id", DataType::kInt64, false}, {"name", DataType::kString, true},
            {"at", DataType::kTimestamp, true}});
  LEPTON_ASSERT_OK_AND_ASSIGN(Schema back, Schema::FromJson(s.ToJson()));
  EXPECT_EQ(back, s);
  EXPECT_EQ(s.Find("name"), 1);
  EXPECT_EQ(s.Find("nope"), -1);
  EXPECT_THAT(Schema::FromJson(Json::parse(R"({"fields":[{"name":"a","type":"decimal"}]})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("schema.fields[0].type: unknown type 'decimal'")));
  EXPECT_THAT(Schema::FromJson(Json::parse(
                  R"({"fields":[{"name":"a","type":"int32"},{"name":"a","type":"int64"}]})")),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("duplicate")));
}

TEST(RecordBatchTest, MakeChecksTypesAndLengths) {
  Schema s({{"a", DataType::kInt32}, {"b", DataType::kString}});
  Column a(DataType::kInt32), b(DataType::kString);
  a.AppendInt32(1);
  a.AppendInt32(2);
  b.AppendString("x");
  EXPECT_THAT(RecordBatch::Make(s, {a, b}), StatusIs(absl::StatusCode::kInvalidArgument));
  b.AppendString("y");
  LEPTON_ASSERT_OK_AND_ASSIGN(RecordBatch batch, RecordBatch::Make(s, {a, b}));
  EXPECT_EQ(batch.num_rows(), 2);
  EXPECT_THAT(RecordBatch::Make(s, {b, a}), StatusIs(absl::StatusCode::kInvalidArgument));
  RecordBatch slice = batch.Slice(1, 1);
  EXPECT_EQ(slice.column(1).StringAt(0), "y");
  RecordBatch proj = batch.Project({1});
  EXPECT_EQ(proj.schema().field(0).name, "b");
  EXPECT_EQ(proj.num_rows(), 2);
}

TEST(DataTypeTest, NamesRoundTrip) {
  for (auto t : {DataType::kBool, DataType::kInt32, DataType::kInt64, DataType::kFloat,
                 DataType::kDouble, DataType::kString, DataType::kDate, DataType::kTimestamp}) {
    LEPTON_ASSERT_OK_AND_ASSIGN(DataType back, ParseDataType(DataTypeName(t)));
    EXPECT_EQ(back, t);
  }
}

}  // namespace
}  // namespace lepton::lake
