#include "lepton/tracking/search_filter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::tracking {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

TEST(SearchFilterTest, ParsesTheMlflowStyleConjunction) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      auto clauses,
      ParseFilter("metrics.auc > 0.7 and params.learner = 'xgboost' AND tags.x = \"y\" and "
                  "attributes.status = 'FINISHED'"));
  ASSERT_EQ(clauses.size(), 4u);
  EXPECT_EQ(clauses[0].field.kind, FieldKind::kMetric);
  EXPECT_EQ(clauses[0].field.key, "auc");
  EXPECT_EQ(clauses[0].op, Comparator::kGt);
  EXPECT_DOUBLE_EQ(std::get<double>(clauses[0].value), 0.7);
  EXPECT_EQ(clauses[1].field.kind, FieldKind::kParam);
  EXPECT_EQ(std::get<std::string>(clauses[1].value), "xgboost");
  EXPECT_EQ(clauses[2].field.kind, FieldKind::kTag);
  EXPECT_EQ(std::get<std::string>(clauses[2].value), "y");
  EXPECT_EQ(clauses[3].field.kind, FieldKind::kAttribute);
  EXPECT_EQ(clauses[3].field.key, "status");
}

TEST(SearchFilterTest, AcceptsAliasesQuotedKeysAndLike) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      auto clauses, ParseFilter("metric.\"model class\" <= -1e3 AND param.`extra-key` LIKE 'a%' "
                                "AND run_name ILIKE '%CV%' AND user_id != 'bob' AND "
                                "created >= '2026-01-01T00:00:00Z' AND datasets.context = 'training'"));
  ASSERT_EQ(clauses.size(), 6u);
  EXPECT_EQ(clauses[0].field.key, "model class");
  EXPECT_DOUBLE_EQ(std::get<double>(clauses[0].value), -1000);
  EXPECT_EQ(clauses[1].field.key, "extra-key");
  EXPECT_EQ(clauses[1].op, Comparator::kLike);
  EXPECT_EQ(clauses[2].field.key, "run_name");
  EXPECT_EQ(clauses[2].op, Comparator::kILike);
  EXPECT_EQ(clauses[3].field.key, "user");
  EXPECT_EQ(clauses[4].field.key, "start_time");
  EXPECT_DOUBLE_EQ(std::get<double>(clauses[4].value), 1767225600000.0);  // epoch ms
  EXPECT_EQ(clauses[5].field.kind, FieldKind::kDataset);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto none, ParseFilter("   "));
  EXPECT_TRUE(none.empty());
}

TEST(SearchFilterTest, ErrorsNameTheTokenAndPosition) {
  struct Case {
    const char* filter;
    const char* message;
  };
  const Case cases[] = {
      {"metrics.auc 0.7", "expected a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE) at position 12, got '0.7'"},
      {"metrics.auc > 'high'", "expected a number for a metric at position 14, got ''high''"},
      {"params.lr > '0.1'", "expected a string comparator (=, !=, LIKE, ILIKE) for 'lr' at position 10"},
      {"params.lr = 0.1", "expected a quoted string at position 12, got '0.1'"},
      {"metrics.auc > 0.7 or params.a = 'b'", "expected AND (the only connective) or the end of the filter at position 18, got 'or'"},
      {"foo.bar = 'x'", "expected an identifier type (metrics, params, tags, attributes, datasets) at position 0"},
      {"colour = 'red'", "expected an attribute"},
      {"metrics.auc LIKE '0.%'", "expected a numeric comparator"},
      {"tags.x = 'unterminated", "expected a closing ' at position 9"},
      {"metrics.auc > 0.7 AND", "at position 21, got end of input"},
      {"start_time > 'yesterday'", "epoch milliseconds or an RFC 3339 time at position 13"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseFilter(c.filter),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.filter;
  }
}

TEST(SearchFilterTest, ParsesOrderBy) {
  LEPTON_ASSERT_OK_AND_ASSIGN(OrderItem o, ParseOrderBy("metrics.auc DESC"));
  EXPECT_EQ(o.field.kind, FieldKind::kMetric);
  EXPECT_FALSE(o.ascending);
  LEPTON_ASSERT_OK_AND_ASSIGN(o, ParseOrderBy("attributes.start_time"));
  EXPECT_EQ(o.field.key, "start_time");
  EXPECT_TRUE(o.ascending);
  LEPTON_ASSERT_OK_AND_ASSIGN(o, ParseOrderBy("params.lr asc"));
  EXPECT_TRUE(o.ascending);
  EXPECT_THAT(ParseOrderBy("metrics.auc sideways"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("order_by: expected ASC, DESC or the end of the item at position 12")));
}

TEST(SearchFilterTest, LikeMatchesSqlPatterns) {
  EXPECT_TRUE(LikeMatch("xgboost", "xg%", false));
  EXPECT_TRUE(LikeMatch("xgboost", "%boo%", false));
  EXPECT_TRUE(LikeMatch("xgboost", "xgboos_", false));
  EXPECT_FALSE(LikeMatch("xgboost", "XG%", false));  // LIKE is case-sensitive
  EXPECT_TRUE(LikeMatch("xgboost", "XG%", true));    // ILIKE is not
  EXPECT_FALSE(LikeMatch("xgboost", "xg", false));
  EXPECT_TRUE(LikeMatch("", "%", false));
  EXPECT_TRUE(LikeMatch("a%b", "a%b", false));
  EXPECT_FALSE(LikeMatch("ab", "a_b", false));
}

}  // namespace
}  // namespace lepton::tracking
