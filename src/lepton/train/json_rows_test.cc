// JSON rows into a batch of a model's input signature: every type, nulls, and clear errors.

#include "lepton/train/json_rows.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::train {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

const std::vector<lake::Field>& Signature() {
  static const auto* s = new std::vector<lake::Field>{
      {"flag", lake::DataType::kBool},     {"n32", lake::DataType::kInt32},  {"n64", lake::DataType::kInt64},
      {"f", lake::DataType::kFloat},        {"d", lake::DataType::kDouble},   {"s", lake::DataType::kString},
      {"day", lake::DataType::kDate},       {"ts", lake::DataType::kTimestamp}};
  return *s;
}

TEST(JsonRowsTest, EveryTypeNullsAndIgnoredKeys) {
  const Json rows = Json::parse(R"([
    {"flag": true, "n32": 7, "n64": 9007199254740993, "f": 1.5, "d": -2.25, "s": "car",
     "day": "2024-02-29", "ts": "1970-01-01T00:00:01Z", "extra": "ignored"},
    {"flag": null, "n32": 3.0, "d": 4, "day": 19782, "ts": 5},
    {}
  ])");
  LEPTON_ASSERT_OK_AND_ASSIGN(lake::RecordBatch b, RowsFromJson(Signature(), rows));
  ASSERT_EQ(b.num_rows(), 3);
  EXPECT_EQ(b.column(0).ValueAt<uint8_t>(0), 1);
  EXPECT_TRUE(b.column(0).IsNull(1));
  EXPECT_EQ(b.column(1).ValueAt<int32_t>(0), 7);
  EXPECT_EQ(b.column(1).ValueAt<int32_t>(1), 3);  // an integral number
  EXPECT_EQ(b.column(2).ValueAt<int64_t>(0), 9007199254740993);  // exact beyond 2^53
  EXPECT_TRUE(b.column(2).IsNull(1));
  EXPECT_EQ(b.column(3).ValueAt<float>(0), 1.5f);
  EXPECT_EQ(b.column(4).ValueAt<double>(1), 4.0);
  EXPECT_EQ(b.column(5).StringAt(0), "car");
  EXPECT_EQ(b.column(6).ValueAt<int32_t>(0), 19782);  // 2024-02-29
  EXPECT_EQ(b.column(6).ValueAt<int32_t>(1), 19782);
  EXPECT_EQ(b.column(7).ValueAt<int64_t>(0), 1000000);
  EXPECT_EQ(b.column(7).ValueAt<int64_t>(1), 5);
  for (size_t c = 0; c < Signature().size(); ++c) EXPECT_TRUE(b.column(c).IsNull(2)) << c;
}

TEST(JsonRowsTest, RowToJsonGivesEveryRowBack) {
  const Json rows = Json::parse(R"([
    {"flag": false, "n32": -7, "n64": 9007199254740993, "f": 0.25, "d": -2.5e-300, "s": "ünïcode \"q\"",
     "day": "1969-12-31", "ts": "2024-02-29T23:59:59.123456Z"},
    {}
  ])");
  LEPTON_ASSERT_OK_AND_ASSIGN(lake::RecordBatch b, RowsFromJson(Signature(), rows));
  Json back = Json::array();
  for (int64_t r = 0; r < b.num_rows(); ++r) back.push_back(RowToJson(b, r));
  EXPECT_EQ(back[0]["day"], "1969-12-31");
  EXPECT_EQ(back[0]["ts"], "2024-02-29T23:59:59.123456Z");
  EXPECT_TRUE(back[1]["s"].is_null());
  LEPTON_ASSERT_OK_AND_ASSIGN(lake::RecordBatch again, RowsFromJson(Signature(), back));
  for (size_t c = 0; c < Signature().size(); ++c) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      EXPECT_EQ(RowToJson(again, r)[Signature()[c].name], back[r][Signature()[c].name]) << c << " " << r;
    }
  }
  EXPECT_EQ(again.column(2).ValueAt<int64_t>(0), 9007199254740993);
  EXPECT_EQ(again.column(4).ValueAt<double>(0), -2.5e-300);
  // The text form parses to the same objects.
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    std::string text;
    AppendRowJsonText(b, r, &text);
    LEPTON_ASSERT_OK_AND_ASSIGN(Json parsed, ParseJson(text));
    EXPECT_EQ(parsed, back[r]) << text;
  }
}

TEST(JsonRowsTest, WrongTypesNameTheRowAndColumn) {
  struct Case {
    const char* rows;
    const char* want;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"flag": true})", "rows: expected an array of objects, got object"},
           {R"([1])", "rows[0]: expected an object of column values, got 1"},
           {R"([{}, {"n32": "7"}])", "rows[1].n32: expected a 32-bit integer, got \"7\""},
           {R"([{"n32": 3000000000}])", "rows[0].n32: expected a 32-bit integer, got 3000000000"},
           {R"([{"n64": 1.5}])", "rows[0].n64: expected an integer, got 1.5"},
           {R"([{"d": "4"}])", "rows[0].d: expected a number, got \"4\""},
           {R"([{"s": 4}])", "rows[0].s: expected a string, got 4"},
           {R"([{"flag": 1}])", "rows[0].flag: expected true or false, got 1"},
           {R"([{"day": "2024-02-30"}])", "rows[0].day: expected a date"},
           {R"([{"ts": "yesterday"}])", "rows[0].ts: expected an ISO 8601 time"},
           {R"([{"s": ["a"]}])", "rows[0].s: expected a string, got array"},
       }) {
    EXPECT_THAT(RowsFromJson(Signature(), Json::parse(c.rows)),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.want)))
        << c.rows;
  }
  EXPECT_THAT(RowsFromJson(Signature(), Json::parse("[[1]]"), "inputs"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("inputs[0]:")));
}

}  // namespace
}  // namespace lepton::train
