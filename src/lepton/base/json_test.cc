#include "lepton/base/json.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseJsonTest, MalformedNamesBytePosition) {
  EXPECT_THAT(ParseJson("{\"a\": }"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("malformed JSON at byte")));
  EXPECT_THAT(ParseJson(""), StatusIs(absl::StatusCode::kInvalidArgument));
  LEPTON_ASSERT_OK_AND_ASSIGN(Json j, ParseJson("{\"a\": [1, 2]}"));
  EXPECT_EQ(j["a"][1], 2);
}

TEST(ParseJsonTest, RejectsDeepNesting) {
  EXPECT_THAT(ParseJson(std::string(100000, '[')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nested deeper")));
  // Brackets inside strings do not count.
  EXPECT_OK(ParseJson("\"" + std::string(1000, '[') + "\""));
}

TEST(JsonFieldsTest, ReadsTypedFields) {
  Json j = Json::parse(R"({"name":"ada","ttl":5,"on":true,"tags":["a","b"]})");
  JsonFields f(j, "body");
  EXPECT_EQ(f.String("name"), "ada");
  EXPECT_EQ(f.OptionalInt("ttl"), 5);
  EXPECT_EQ(f.OptionalBool("on"), true);
  EXPECT_EQ(f.OptionalStringArray("tags")->size(), 2u);
  EXPECT_EQ(f.OptionalString("absent"), std::nullopt);
  EXPECT_OK(f.Finish());
}

TEST(JsonFieldsTest, UnknownFieldIsNamed) {
  Json j = Json::parse(R"({"name":"ada","colour":"red"})");
  JsonFields f(j, "body");
  f.String("name");
  EXPECT_THAT(f.Finish(),
              StatusIs(absl::StatusCode::kInvalidArgument, "body.colour: unknown field"));
}

TEST(JsonFieldsTest, WrongTypeIsNamed) {
  Json j = Json::parse(R"({"name":7})");
  JsonFields f(j, "body");
  f.String("name");
  EXPECT_THAT(f.Finish(), StatusIs(absl::StatusCode::kInvalidArgument,
                                   "body.name: expected a string, got number"));
}

TEST(JsonFieldsTest, MissingRequiredIsNamed) {
  Json j = Json::object();
  JsonFields f(j, "body");
  f.String("name");
  EXPECT_THAT(f.Finish(), StatusIs(absl::StatusCode::kInvalidArgument,
                                   "body.name: required field is missing"));
}

// Regression (found by the JSON fuzzer's review): integers above INT64_MAX used to wrap to
// negative numbers ("got -1").
TEST(JsonFieldsTest, IntegerAboveInt64MaxIsOutOfRange) {
  Json j = Json::parse(R"({"ttl":18446744073709551615,"ok":9223372036854775807})");
  JsonFields f(j, "body");
  EXPECT_EQ(f.OptionalInt("ok"), INT64_MAX);
  EXPECT_EQ(f.OptionalInt("ttl"), std::nullopt);
  EXPECT_THAT(f.Finish(), StatusIs(absl::StatusCode::kInvalidArgument,
                                   "body.ttl: integer 18446744073709551615 is out of range"));
}

TEST(JsonFieldsTest, NonObjectIsRejected) {
  Json j = Json::array();
  JsonFields f(j, "body");
  f.OptionalString("x");
  EXPECT_THAT(f.Finish(), StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("expected a JSON object, got array")));
}

TEST(JsonFieldsTest, ArrayElementTypeIsNamed) {
  Json j = Json::parse(R"({"tags":["a",3]})");
  JsonFields f(j, "body");
  f.OptionalStringArray("tags");
  EXPECT_THAT(f.Finish(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tags[1]")));
}

TEST(AppendJsonTest, StringsAndNumbersReadBackExactly) {
  for (std::string_view text : {std::string_view(""), std::string_view("plain"), std::string_view("q\"b\\s/"),
                                std::string_view("tab\tnl\ncr\r\x01\x1f end"), std::string_view("ünïcødé ✓ 😀"),
                                std::string_view("nul\0inside", 11)}) {
    std::string out;
    AppendJsonString(text, &out);
    LEPTON_ASSERT_OK_AND_ASSIGN(Json back, ParseJson(out));
    EXPECT_EQ(back.get<std::string>(), std::string(text)) << out;
  }
  std::string control;
  AppendJsonString("\x01", &control);
  EXPECT_EQ(control, "\"\\u0001\"");
  for (double v : {0.0, -0.0, 1.0, 0.1, -2.5e-300, 1.7976931348623157e308, 4.9e-324, 123456789.125}) {
    std::string out;
    AppendJsonNumber(v, &out);
    LEPTON_ASSERT_OK_AND_ASSIGN(Json back, ParseJson(out));
    EXPECT_EQ(back.get<double>(), v) << out;
  }
  std::string special;
  AppendJsonNumber(std::nan(""), &special);
  special += ",";
  AppendJsonNumber(-std::numeric_limits<double>::infinity(), &special);
  EXPECT_EQ(special, "null,null");
  for (int64_t v : {int64_t{0}, int64_t{-1}, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    std::string out;
    AppendJsonNumber(v, &out);
    LEPTON_ASSERT_OK_AND_ASSIGN(Json back, ParseJson(out));
    EXPECT_EQ(back.get<int64_t>(), v) << out;
  }
}

}  // namespace
}  // namespace lepton
