#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/clean/apply.h"
#include "lepton/lake/clean/plan.h"
#include "lepton/lake/clean/unicode.h"

namespace lepton::lake::clean {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ---- Helpers ----

Column Ints(const std::vector<std::optional<int64_t>>& v, DataType type = DataType::kInt64) {
  Column c(type);
  for (const auto& x : v) {
    if (!x) {
      c.AppendNull();
    } else if (type == DataType::kInt32 || type == DataType::kDate) {
      c.AppendInt32(static_cast<int32_t>(*x));
    } else {
      c.AppendInt64(*x);
    }
  }
  return c;
}
Column Doubles(const std::vector<std::optional<double>>& v) {
  Column c(DataType::kDouble);
  for (const auto& x : v) x ? c.AppendDouble(*x) : c.AppendNull();
  return c;
}
Column Strings(const std::vector<std::optional<std::string>>& v) {
  Column c(DataType::kString);
  for (const auto& x : v) x ? c.AppendString(*x) : c.AppendNull();
  return c;
}

RecordBatch Batch(std::vector<std::pair<std::string, Column>> cols) {
  std::vector<Field> fields;
  std::vector<Column> columns;
  for (auto& [name, c] : cols) {
    fields.push_back({name, c.type(), true});
    columns.push_back(std::move(c));
  }
  auto b = RecordBatch::Make(Schema(fields), std::move(columns));
  EXPECT_OK(b);
  return *std::move(b);
}

absl::StatusOr<CleaningResult> Clean(std::string_view plan_text, std::vector<RecordBatch> input) {
  LEPTON_ASSIGN_OR_RETURN(CleaningPlan plan, ParsePlan(plan_text));
  return ApplyPlan(plan, input);
}

// All values of output column `name` as a JSON array.
Json Values(const CleaningResult& r, const std::string& name) {
  Json out = Json::array();
  const int c = r.schema.Find(name);
  EXPECT_GE(c, 0) << name;
  if (c < 0) return out;
  for (const RecordBatch& b : r.batches) {
    for (int64_t i = 0; i < b.num_rows(); ++i) {
      out.push_back(ValueToJson(b.column(static_cast<size_t>(c)), i));
    }
  }
  return out;
}

Json J(std::string_view text) { return Json::parse(text); }

// ---- Parsing ----

constexpr std::string_view kExamplePlan = R"(
rules:
  - dedup: {keys: [id], keep: last}
  - missing: {columns: [income], strategy: median, indicator: true}
  - outliers: {columns: [amount], method: iqr, k: 1.5, action: clip}
  - coerce: {column: age, type: int64}
  - strings: {columns: [name], trim: true, case: lower, normalize: nfc}
  - constraint: {column: age, range: [18, 120], action: drop}
)";

TEST(ParsePlanTest, ParsesTheDocumentedExample) {
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningPlan plan, ParsePlan(kExamplePlan));
  ASSERT_EQ(plan.rules.size(), 6u);
  EXPECT_EQ(plan.rules[0].kind(), RuleKind::kDedup);
  const auto& dedup = std::get<DedupRule>(plan.rules[0].spec);
  EXPECT_THAT(dedup.keys, ElementsAre("id"));
  EXPECT_EQ(dedup.keep, Keep::kLast);
  const auto& missing = std::get<MissingRule>(plan.rules[1].spec);
  EXPECT_EQ(missing.strategy, MissingStrategy::kMedian);
  EXPECT_TRUE(missing.indicator);
  const auto& outliers = std::get<OutlierRule>(plan.rules[2].spec);
  EXPECT_EQ(outliers.k, 1.5);
  EXPECT_EQ(outliers.action, OutlierAction::kClip);
  EXPECT_EQ(std::get<CoerceRule>(plan.rules[3].spec).type, DataType::kInt64);
  const auto& strings = std::get<StringsRule>(plan.rules[4].spec);
  EXPECT_TRUE(strings.trim);
  EXPECT_EQ(strings.case_mode, CaseMode::kLower);
  EXPECT_EQ(strings.normalize, NormalForm::kNfc);
  const auto& constraint = std::get<ConstraintRule>(plan.rules[5].spec);
  EXPECT_TRUE(constraint.has_range);
  EXPECT_EQ(constraint.min, 18);
  EXPECT_EQ(constraint.max, 120);
  EXPECT_EQ(constraint.action, ViolationAction::kDrop);
}

TEST(ParsePlanTest, JsonAndYamlGiveTheSamePlanAndToJsonRoundTrips) {
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningPlan yaml, ParsePlan(kExamplePlan));
  const Json canonical = PlanToJson(yaml);
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningPlan json, ParsePlan(DumpJson(canonical)));
  EXPECT_EQ(PlanToJson(json), canonical);
  EXPECT_EQ(canonical["rules"][0], J(R"({"dedup": {"keys": ["id"], "keep": "last"}})"));
  EXPECT_EQ(canonical["rules"][5]["constraint"]["range"], J("[18.0, 120.0]"));
  // Defaults are spelled out.
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningPlan d, ParsePlan("rules:\n  - dedup: {}\n"));
  EXPECT_EQ(PlanToJson(d), J(R"({"rules": [{"dedup": {"keep": "first"}}]})"));
}

TEST(ParsePlanTest, YamlFlowStyleAndEmptyPlan) {
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningPlan p, ParsePlan("{rules: [{dedup: {keep: first}}]}"));
  EXPECT_EQ(p.rules.size(), 1u);
  LEPTON_ASSERT_OK_AND_ASSIGN(p, ParsePlan("rules: []"));
  EXPECT_TRUE(p.rules.empty());
}

TEST(ParsePlanTest, UnknownRuleKindNamesTheIndex) {
  EXPECT_THAT(ParsePlan("rules:\n  - dedup: {}\n  - fix: {column: a}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rules[1]: unknown rule kind 'fix' (expected one of: dedup")));
}

TEST(ParsePlanTest, WrongTypeInYamlNamesPathAndLine) {
  EXPECT_THAT(ParsePlan("rules:\n  - outliers:\n      columns: [a]\n      k: abc\n      action: clip\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "rules[0].outliers.k: expected a number, got string \"abc\" (line 4)"));
  EXPECT_THAT(ParsePlan("rules:\n  - missing: {columns: income, strategy: mean, indicator: 1}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rules[0].missing.indicator: expected true or false, got number 1")));
  EXPECT_THAT(ParsePlan("rules:\n  - missing: {columns: [1], strategy: mean}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rules[0].missing.columns[0]: expected a column name, got number 1")));
  // YAML 1.2 core schema: `yes` is a string, not a boolean.
  EXPECT_THAT(ParsePlan("rules:\n  - strings: {columns: [a], trim: yes}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rules[0].strings.trim: expected true or false, got string \"yes\"")));
}

TEST(ParsePlanTest, RejectsBadOptions) {
  const auto bad = [](std::string_view text, std::string_view message) {
    EXPECT_THAT(ParsePlan(text), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << text;
  };
  bad("rules:\n  - dedup: {keys: [id], kep: last}\n",
      "rules[0].dedup.kep: unknown field (expected one of: keys, keep)");
  bad("rules:\n  - dedup: {keep: middle}\n",
      "rules[0].dedup.keep: expected one of: first, last; got string \"middle\"");
  bad("rules:\n  - missing: {columns: [a]}\n",
      "rules[0].missing.strategy: missing (expected one of: drop, constant, mean, median, mode)");
  bad("rules:\n  - missing: {columns: [a], strategy: constant}\n",
      "rules[0].missing.value: missing (strategy constant needs a fill value)");
  bad("rules:\n  - missing: {columns: [a], strategy: mean, value: 3}\n",
      "rules[0].missing.value: only allowed with strategy constant");
  bad("rules:\n  - missing: {columns: [a], strategy: drop, indicator: true}\n",
      "rules[0].missing.indicator: not allowed with strategy drop");
  bad("rules:\n  - missing: {strategy: mean}\n", "rules[0].missing.columns: missing");
  bad("rules:\n  - missing: {columns: [], strategy: mean}\n",
      "rules[0].missing.columns: expected at least one column name");
  bad("rules:\n  - outliers: {columns: [a], method: zscore, k: 2, action: drop}\n",
      "rules[0].outliers.k: only allowed with method iqr");
  bad("rules:\n  - outliers: {columns: [a], threshold: -1, method: zscore, action: drop}\n",
      "rules[0].outliers.threshold: expected a positive number");
  bad("rules:\n  - outliers: {columns: [a]}\n", "rules[0].outliers.action: missing");
  bad("rules:\n  - coerce: {column: a, type: integer}\n", "rules[0].coerce.type:");
  bad("rules:\n  - coerce: {type: int64}\n", "rules[0].coerce.column: missing (expected a string)");
  bad("rules:\n  - strings: {columns: [a]}\n", "rules[0].strings: nothing to do");
  bad("rules:\n  - strings: {columns: [a], case: title}\n",
      "rules[0].strings.case: expected one of: none, lower, upper");
  bad("rules:\n  - strings: {columns: [a], normalize: nfx}\n",
      "rules[0].strings.normalize: expected one of: none, nfc, nfd, nfkc, nfkd");
  bad("rules:\n  - constraint: {column: a, range: [5, 1]}\n",
      "rules[0].constraint.range: min is greater than max");
  bad("rules:\n  - constraint: {column: a, range: [a, 1]}\n",
      "rules[0].constraint.range[0]: expected a number or null, got string \"a\"");
  bad("rules:\n  - constraint: {column: a, range: [1]}\n", "rules[0].constraint.range: expected [min, max]");
  bad("rules:\n  - constraint: {column: a, regex: \"([a-z\"}\n",
      "rules[0].constraint.regex: invalid regular expression");
  bad("rules:\n  - constraint: {column: a}\n", "rules[0].constraint: nothing to check");
  bad("rules:\n  - constraint: {column: a, allowed: []}\n",
      "rules[0].constraint.allowed: expected a non-empty list");
  bad("rules:\n  - constraint: {column: a, allowed: [x], action: reject}\n",
      "rules[0].constraint.action: expected one of: drop, quarantine");
  bad("rules:\n  - dedup: {}\n    missing: {}\n", "rules[0]: expected a mapping with exactly one rule kind");
  bad("rules:\n  - dedup\n", "rules[0]: expected a mapping with exactly one rule kind");
  bad("rules:\n  - dedup: [id]\n", "rules[0].dedup: expected a mapping of options, got a list");
  bad("rules: {dedup: {}}\n", "rules: expected a list of rules, got a mapping");
  bad("- dedup: {}\n", "expected a mapping with `rules`, got a list");
  bad("steps: []\n", "steps: unknown field (expected one of: rules)");
  bad("rules: [\n", "malformed YAML");
  bad("{\"rules\": [}", "malformed JSON");
  bad(R"({"rules": [{"dedup": {"keep": 1}}]})",
      "rules[0].dedup.keep: expected one of: first, last; got number 1");
}

// ---- Dedup ----

TEST(ApplyPlanTest, DedupByKeyKeepsFirstOrLastAcrossBatches) {
  std::vector<RecordBatch> input = {
      Batch({{"id", Ints({1, 2, 1})}, {"v", Strings({"a", "b", "c"})}}),
      Batch({{"id", Ints({3, 2, std::nullopt})}, {"v", Strings({"d", "e", "f"})}}),
      Batch({{"id", Ints({std::nullopt})}, {"v", Strings({"g"})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult first,
                              Clean("rules: [{dedup: {keys: [id], keep: first}}]", input));
  EXPECT_EQ(Values(first, "v"), J(R"(["a", "b", "d", "f"])"));
  EXPECT_EQ(first.report[0].rows_removed, 3);
  EXPECT_EQ(first.report[0].rows_affected, 3);
  EXPECT_EQ(first.rows_in, 7);
  EXPECT_EQ(first.rows_out, 4);
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult last,
                              Clean("rules: [{dedup: {keys: [id], keep: last}}]", input));
  // The surviving rows keep their input order.
  EXPECT_EQ(Values(last, "v"), J(R"(["c", "d", "e", "g"])"));
  EXPECT_EQ(Values(last, "id"), J("[1, 3, 2, null]"));
}

TEST(ApplyPlanTest, DedupByFullRow) {
  std::vector<RecordBatch> input = {Batch({{"id", Ints({1, 1, 1, std::nullopt, std::nullopt})},
                                           {"v", Strings({"a", "a", "b", std::nullopt, std::nullopt})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult r, Clean("rules: [{dedup: {}}]", input));
  EXPECT_EQ(Values(r, "v"), J(R"(["a", "b", null])"));
  EXPECT_EQ(r.report[0].rows_removed, 2);
  // Strings whose bytes could run together stay distinct.
  input = {Batch({{"a", Strings({"ab", "a"})}, {"b", Strings({"", "b"})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(r, Clean("rules: [{dedup: {}}]", input));
  EXPECT_EQ(r.rows_out, 2);
}

// ---- Missing values ----

TEST(ApplyPlanTest, MissingDropRemovesRowsWithANullInAnyColumn) {
  std::vector<RecordBatch> input = {Batch({{"a", Ints({1, std::nullopt, 3, 4})},
                                           {"b", Strings({"x", "y", std::nullopt, "z"})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult r,
                              Clean("rules: [{missing: {columns: [a, b], strategy: drop}}]", input));
  EXPECT_EQ(Values(r, "a"), J("[1, 4]"));
  EXPECT_EQ(r.report[0].rows_removed, 2);
}

TEST(ApplyPlanTest, MissingConstantConvertsTheValueToTheColumnType) {
  std::vector<RecordBatch> input = {
      Batch({{"a", Ints({1, std::nullopt}, DataType::kInt32)},
             {"s", Strings({std::nullopt, "x"})},
             {"d", Ints({std::nullopt, 0}, DataType::kDate)}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult r, Clean(R"(
rules:
  - missing: {columns: [a], strategy: constant, value: 0}
  - missing: {columns: [s], strategy: constant, value: "unknown"}
  - missing: {columns: [d], strategy: constant, value: "2024-02-29"}
)", input));
  EXPECT_EQ(Values(r, "a"), J("[1, 0]"));
  EXPECT_EQ(Values(r, "s"), J(R"(["unknown", "x"])"));
  EXPECT_EQ(Values(r, "d"), J(R"(["2024-02-29", "1970-01-01"])"));
  EXPECT_EQ(r.report[1].values_changed, 1);
  EXPECT_EQ(r.report[0].detail["fill"]["a"], 0);
  // Values that do not fit the column's type.
  EXPECT_THAT(Clean("rules: [{missing: {columns: [a], strategy: constant, value: 2.5}}]", input),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rules[0].missing.value: 2.5 is not a int32 value")));
  EXPECT_THAT(Clean("rules: [{missing: {columns: [s], strategy: constant, value: 7}}]", input),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("quote string values")));
  EXPECT_THAT(Clean("rules: [{missing: {columns: [a], strategy: constant, value: 3000000000}}]", input),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ApplyPlanTest, MissingMeanAndMedianOverAllBatches) {
  // Per batch the medians would be 1 and 101; over the whole input it is 3.
  std::vector<RecordBatch> input = {
      Batch({{"x", Doubles({1, std::nullopt, 2})}, {"i", Ints({1, std::nullopt, 2})}}),
      Batch({{"x", Doubles({100, 102, 3})}, {"i", Ints({2, 3, 3})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult median,
                              Clean("rules: [{missing: {columns: [x], strategy: median}}]", input));
  EXPECT_EQ(Values(median, "x"), J("[1.0, 3.0, 2.0, 100.0, 102.0, 3.0]"));
  EXPECT_EQ(median.report[0].detail["fill"]["x"], 3.0);
  // Even count after dropping one value: the mean of the two middle values.
  input = {Batch({{"x", Doubles({4, std::nullopt, 1, 2, 10})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(median, Clean("rules: [{missing: {columns: [x], strategy: median}}]", input));
  EXPECT_EQ(Values(median, "x")[1], 3.0);
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult mean,
                              Clean("rules: [{missing: {columns: [x], strategy: mean}}]", input));
  EXPECT_EQ(Values(mean, "x")[1], 4.25);
  // Integer columns get the statistic rounded half away from zero: mean of 1,2,2 = 1.67 -> 2,
  // median of 1,2 = 1.5 -> 2.
  input = {Batch({{"i", Ints({1, std::nullopt, 2, 2})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(mean, Clean("rules: [{missing: {columns: [i], strategy: mean}}]", input));
  EXPECT_EQ(Values(mean, "i"), J("[1, 2, 2, 2]"));
  input = {Batch({{"i", Ints({1, std::nullopt, 2}, DataType::kInt32)}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(median, Clean("rules: [{missing: {columns: [i], strategy: median}}]", input));
  EXPECT_EQ(Values(median, "i"), J("[1, 2, 2]"));
  // Odd count.
  input = {Batch({{"x", Doubles({5, 1, std::nullopt, 3})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(median, Clean("rules: [{missing: {columns: [x], strategy: median}}]", input));
  EXPECT_EQ(Values(median, "x")[2], 3.0);
}

TEST(ApplyPlanTest, MissingModeIndicatorAndAllNullColumns) {
  std::vector<RecordBatch> input = {
      Batch({{"s", Strings({"b", std::nullopt, "a", "a", "b", std::nullopt})},
             {"e", Doubles({std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                            std::nullopt, std::nullopt})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult r, Clean(R"(
rules:
  - missing: {columns: [s], strategy: mode, indicator: true}
  - missing: {columns: [e], strategy: mean}
)", input));
  // "a" and "b" tie with two each; "b" is seen first.
  EXPECT_EQ(Values(r, "s"), J(R"(["b", "b", "a", "a", "b", "b"])"));
  EXPECT_EQ(Values(r, "s_missing"), J("[false, true, false, false, false, true]"));
  EXPECT_EQ(r.schema.fields().back(), (Field{"s_missing", DataType::kBool, false}));
  EXPECT_THAT(r.report[0].columns_added, ElementsAre("s_missing"));
  EXPECT_EQ(r.report[0].values_changed, 2);
  EXPECT_EQ(r.report[0].values_flagged, 2);
  EXPECT_EQ(r.report[0].rows_affected, 2);
  // No value to take a mean of: the nulls stay.
  EXPECT_EQ(Values(r, "e")[0], nullptr);
  EXPECT_EQ(r.report[1].values_changed, 0);
  EXPECT_EQ(r.report[1].detail["fill"]["e"], nullptr);
}

TEST(ApplyPlanTest, MissingErrorsNameTheRuleAndColumn) {
  std::vector<RecordBatch> input = {Batch({{"income", Doubles({1})}, {"name", Strings({"x"})}})};
  EXPECT_THAT(Clean("rules: [{dedup: {}}, {missing: {columns: [income, incme], strategy: mean}}]", input),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "rules[1].missing.columns[1]: unknown column 'incme' (columns: income, name)"));
  EXPECT_THAT(Clean("rules: [{missing: {columns: [name], strategy: median}}]", input),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "rules[0].missing.columns[0]: column 'name' is string; strategy median "
                       "needs a numeric column"));
  EXPECT_THAT(Clean("rules: [{missing: {columns: [income], strategy: mean, indicator: true}},"
                  " {missing: {columns: [income], strategy: mean, indicator: true}}]", input),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rules[1].missing.columns[0]: cannot add column 'income_missing'")));
  EXPECT_THAT(Clean("rules: [{dedup: {keys: [nope]}}]", input),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rules[0].dedup.keys[0]: unknown column 'nope'")));
}

// ---- Outliers ----

TEST(ApplyPlanTest, OutliersIqrClipBounds) {
  std::vector<RecordBatch> input = {
      Batch({{"x", Doubles({1, 2, 3, 4, std::nullopt})}, {"i", Ints({1, 2, 3, 4, std::nullopt})}}),
      Batch({{"x", Doubles({5, 6, 7, 8, 100})}, {"i", Ints({5, 6, 7, 8, 100})}})};
  // Nine values: Q1 = 3, Q3 = 7, IQR = 4; bounds [-3, 13].
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult r,
                              Clean("rules: [{outliers: {columns: [x], action: clip}}]", input));
  EXPECT_EQ(Values(r, "x"), J("[1.0, 2.0, 3.0, 4.0, null, 5.0, 6.0, 7.0, 8.0, 13.0]"));
  const Json& b = r.report[0].detail["bounds"]["x"];
  EXPECT_EQ(b["q1"], 3.0);
  EXPECT_EQ(b["q3"], 7.0);
  EXPECT_EQ(b["lower"], -3.0);
  EXPECT_EQ(b["upper"], 13.0);
  EXPECT_EQ(r.report[0].values_changed, 1);
  // k = 1.2: bounds [-1.8, 11.8]; an integer column clips to the integers inside: 11.
  LEPTON_ASSERT_OK_AND_ASSIGN(r, Clean("rules: [{outliers: {columns: [i], k: 1.2, action: clip}}]", input));
  EXPECT_EQ(Values(r, "i"), J("[1, 2, 3, 4, null, 5, 6, 7, 8, 11]"));
  // Even count: quartiles interpolate (1.75 and 3.25 for 1..4).
  input = {Batch({{"x", Doubles({4, 3, 2, 1})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(r, Clean("rules: [{outliers: {columns: [x], action: flag}}]", input));
  EXPECT_EQ(r.report[0].detail["bounds"]["x"]["q1"], 1.75);
  EXPECT_EQ(r.report[0].detail["bounds"]["x"]["q3"], 3.25);
  EXPECT_EQ(r.report[0].values_flagged, 0);
}

TEST(ApplyPlanTest, OutliersZScoreDropAndFlag) {
  // Mean 14, population σ 12: 50 has z = 3 exactly.
  std::vector<RecordBatch> input = {
      Batch({{"x", Doubles({10, 10, 10, 10, 10, 10, 10, 10, 10, 50, std::nullopt})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(
      CleaningResult r, Clean("rules: [{outliers: {columns: [x], method: zscore, action: drop}}]", input));
  EXPECT_EQ(r.rows_out, 11);  // |z| = 3 is not beyond the threshold; the null is never an outlier
  EXPECT_EQ(r.report[0].detail["bounds"]["x"]["mean"], 14.0);
  EXPECT_EQ(r.report[0].detail["bounds"]["x"]["stddev"], 12.0);
  LEPTON_ASSERT_OK_AND_ASSIGN(
      r, Clean("rules: [{outliers: {columns: [x], method: zscore, threshold: 2.5, action: drop}}]", input));
  EXPECT_EQ(r.rows_out, 10);
  EXPECT_EQ(r.report[0].rows_removed, 1);
  LEPTON_ASSERT_OK_AND_ASSIGN(
      r, Clean("rules: [{outliers: {columns: [x], method: zscore, threshold: 2.5, action: flag}}]", input));
  EXPECT_EQ(Values(r, "x_outlier"),
            J("[false, false, false, false, false, false, false, false, false, true, false]"));
  EXPECT_EQ(r.report[0].values_flagged, 1);
  EXPECT_THAT(r.report[0].columns_added, ElementsAre("x_outlier"));
  input = {Batch({{"s", Strings({"a"})}})};
  EXPECT_THAT(Clean("rules: [{outliers: {columns: [s], action: clip}}]", input),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rules[0].outliers.columns[0]: column 's' is string")));
}

TEST(ApplyPlanTest, OutliersOnAnAllNullColumnChangeNothing) {
  std::vector<RecordBatch> input = {Batch({{"x", Doubles({std::nullopt, std::nullopt})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult r,
                              Clean("rules: [{outliers: {columns: [x], action: drop}}]", input));
  EXPECT_EQ(r.rows_out, 2);
  EXPECT_EQ(r.report[0].rows_affected, 0);
}

// ---- Coercion ----

TEST(ApplyPlanTest, CoerceStringToIntCountsFailures) {
  std::vector<RecordBatch> input = {
      Batch({{"age", Strings({"42", " 37 ", "abc", "", std::nullopt, "1e2", "12.5"})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult r,
                              Clean("rules: [{coerce: {column: age, type: int64}}]", input));
  EXPECT_EQ(r.schema.field(0).type, DataType::kInt64);
  EXPECT_EQ(Values(r, "age"), J("[42, 37, null, null, null, 100, null]"));
  EXPECT_EQ(r.report[0].failures, 2);       // "abc", "12.5"
  EXPECT_EQ(r.report[0].detail["blank"], 1);  // "" is a null, not a failure
  EXPECT_EQ(r.report[0].values_changed, 4);
  EXPECT_EQ(r.report[0].rows_affected, 6);
}

TEST(ApplyPlanTest, CoerceBetweenOtherTypes) {
  Column ts(DataType::kTimestamp);
  ts.AppendInt64(int64_t{86400} * 1000000 + 1500000);  // 1970-01-02T00:00:01.5Z
  ts.AppendInt64(-1);                                  // 1969-12-31T23:59:59.999999Z
  std::vector<RecordBatch> input = {
      Batch({{"d", Doubles({1.0, 2.5})}, {"n", Ints({0, 1})}, {"t", std::move(ts)},
             {"b", Strings({"yes", "maybe"})}, {"day", Strings({"2024-01-31", "2024-02-30"})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult r, Clean(R"(
rules:
  - coerce: {column: d, type: int32}
  - coerce: {column: n, type: bool}
  - coerce: {column: t, type: date}
  - coerce: {column: b, type: bool}
  - coerce: {column: day, type: date}
)", input));
  EXPECT_EQ(Values(r, "d"), J("[1, null]"));
  EXPECT_EQ(r.report[0].failures, 1);
  EXPECT_EQ(Values(r, "n"), J("[false, true]"));
  EXPECT_EQ(Values(r, "t"), J(R"(["1970-01-02", "1969-12-31"])"));
  EXPECT_EQ(Values(r, "b"), J("[true, null]"));
  EXPECT_EQ(Values(r, "day"), J(R"(["2024-01-31", null])"));
  LEPTON_ASSERT_OK_AND_ASSIGN(r, Clean(R"(
rules:
  - coerce: {column: d, type: string}
  - coerce: {column: t, type: string}
  - coerce: {column: n, type: double}
)", input));
  EXPECT_EQ(Values(r, "d"), J(R"(["1", "2.5"])"));
  EXPECT_EQ(Values(r, "t"), J(R"(["1970-01-02T00:00:01.5Z", "1969-12-31T23:59:59.999999Z"])"));
  EXPECT_EQ(Values(r, "n"), J("[0.0, 1.0]"));
  EXPECT_THAT(Clean("rules: [{coerce: {column: t, type: bool}}]", input),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "rules[0].coerce.type: cannot coerce column 't' from timestamp to bool"));
  // A later rule sees the new type.
  EXPECT_THAT(Clean("rules: [{coerce: {column: d, type: string}}, "
                  "{outliers: {columns: [d], action: clip}}]", input),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rules[1].outliers")));
}

// ---- Strings ----

TEST(ApplyPlanTest, StringsTrimCaseAndNormalization) {
  std::vector<RecordBatch> input = {Batch({{"name", Strings({"  Alice ", "BOB", std::nullopt,
                                                             "Jose\xCC\x81", "stra\xC3\x9F" "e",
                                                             "\xEF\xAC\x81le", "ok"})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult r, Clean(
      "rules: [{strings: {columns: [name], trim: true, case: lower, normalize: nfc}}]", input));
  // "Jose" + U+0301 composes to "José" (U+00E9).
  EXPECT_EQ(Values(r, "name"),
            J(R"(["alice", "bob", null, "jos\u00e9", "stra\u00dfe", "\ufb01le", "ok"])"));
  EXPECT_EQ(r.report[0].values_changed, 3);
  EXPECT_EQ(r.report[0].rows_affected, 3);
  LEPTON_ASSERT_OK_AND_ASSIGN(r, Clean(
      "rules: [{strings: {columns: [name], case: upper, normalize: nfkc}}]", input));
  EXPECT_EQ(Values(r, "name"),
            J(R"(["  ALICE ", "BOB", null, "JOS\u00c9", "STRASSE", "FILE", "OK"])"));
  // NFD decomposes "é" (U+00E9) and leaves the already decomposed value, ß and the ligature
  // (a compatibility decomposition only) alone.
  input.push_back(Batch({{"name", Strings({"caf\xC3\xA9"})}}));
  LEPTON_ASSERT_OK_AND_ASSIGN(r, Clean("rules: [{strings: {columns: [name], normalize: nfd}}]", input));
  EXPECT_EQ(Values(r, "name")[3], "Jose\xCC\x81");
  EXPECT_EQ(Values(r, "name")[7], "cafe\xCC\x81");
  EXPECT_EQ(r.report[0].values_changed, 1);
}

TEST(ApplyPlanTest, StringsLeaveInvalidUtf8AloneAndCountIt) {
  std::vector<RecordBatch> input = {Batch({{"s", Strings({"ok\xFF", "\xC3\x89T\xC3\x89"})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult r,
                              Clean("rules: [{strings: {columns: [s], case: lower}}]", input));
  EXPECT_EQ(r.report[0].failures, 1);
  EXPECT_EQ(r.report[0].values_changed, 1);
  ASSERT_EQ(r.batches.size(), 1u);
  EXPECT_EQ(r.batches[0].column(0).StringAt(0), "ok\xFF");
  EXPECT_EQ(r.batches[0].column(0).StringAt(1), "\xC3\xA9t\xC3\xA9");
  input = {Batch({{"n", Ints({1})}})};
  EXPECT_THAT(Clean("rules: [{strings: {columns: [n], trim: true}}]", input),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "rules[0].strings.columns[0]: column 'n' is int64; strings needs a string "
                       "column"));
}

TEST(TransformUtf8Test, RejectsInvalidUtf8) {
  EXPECT_THAT(TransformUtf8("\xC3", NormalForm::kNfc, CaseMode::kNone),
              StatusIs(absl::StatusCode::kInvalidArgument));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string s, TransformUtf8("A\xCC\x8A", NormalForm::kNfc, CaseMode::kNone));
  EXPECT_EQ(s, "\xC3\x85");  // Å
}

// ---- Constraints ----

TEST(ApplyPlanTest, ConstraintsDropViolations) {
  std::vector<RecordBatch> input = {
      Batch({{"age", Ints({17, 18, 120, 121, std::nullopt})},
             {"code", Strings({"AB-1", "ab-2", "AB-3", "AB-4", std::nullopt})},
             {"status", Strings({"open", "open", "closed", "open", "x"})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult r, Clean(
      "rules: [{constraint: {column: age, range: [18, 120]}}]", input));
  EXPECT_EQ(Values(r, "age"), J("[18, 120, null]"));  // nulls pass by default
  EXPECT_EQ(r.report[0].rows_removed, 2);
  LEPTON_ASSERT_OK_AND_ASSIGN(r, Clean(
      "rules: [{constraint: {column: age, range: [18, null], allow_null: false}}]", input));
  EXPECT_EQ(Values(r, "age"), J("[18, 120, 121]"));
  LEPTON_ASSERT_OK_AND_ASSIGN(r, Clean(
      R"(rules: [{constraint: {column: code, regex: "[A-Z]{2}-[0-9]+"}}])", input));
  EXPECT_EQ(Values(r, "code"), J(R"(["AB-1", "AB-3", "AB-4", null])"));  // whole-value match
  LEPTON_ASSERT_OK_AND_ASSIGN(r, Clean(
      "rules: [{constraint: {column: status, allowed: [open, closed]}}]", input));
  EXPECT_EQ(Values(r, "status"), J(R"(["open", "open", "closed", "open"])"));
  LEPTON_ASSERT_OK_AND_ASSIGN(r, Clean(
      "rules: [{constraint: {column: age, allowed: [18, 121]}}]", input));
  EXPECT_EQ(Values(r, "age"), J("[18, 121, null]"));
}

TEST(ApplyPlanTest, ConstraintsQuarantineWithReasons) {
  std::vector<RecordBatch> input = {
      Batch({{"id", Ints({1, 2})}, {"age", Ints({30, 130})}}),
      Batch({{"id", Ints({3, 4})}, {"age", Ints({std::nullopt, 40})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult r, Clean(R"(
rules:
  - constraint: {column: age, range: [18, 120], action: quarantine}
  - constraint: {column: age, allow_null: false, action: quarantine}
)", input));
  EXPECT_EQ(Values(r, "id"), J("[1, 4]"));
  ASSERT_EQ(r.quarantined.size(), 2u);
  EXPECT_EQ(r.quarantined[0].row, 1);
  EXPECT_EQ(r.quarantined[0].rule, 0);
  EXPECT_EQ(r.quarantined[0].reason, "rules[0].constraint: age=130 outside [18, 120]");
  EXPECT_EQ(r.quarantined[0].values, J(R"({"id": 2, "age": 130})"));
  EXPECT_EQ(r.quarantined[1].row, 2);
  EXPECT_EQ(r.quarantined[1].reason, "rules[1].constraint: age is null");
  EXPECT_EQ(r.report[0].rows_quarantined, 1);
  EXPECT_EQ(r.report[0].rows_removed, 0);
  EXPECT_EQ(r.report[1].rows_quarantined, 1);
}

TEST(ApplyPlanTest, ConstraintTypeErrors) {
  std::vector<RecordBatch> input = {Batch({{"age", Ints({1})}, {"s", Strings({"a"})}})};
  EXPECT_THAT(Clean("rules: [{constraint: {column: s, range: [1, 2]}}]", input),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rules[0].constraint.range: column 's' is string")));
  EXPECT_THAT(Clean("rules: [{constraint: {column: age, regex: \"1\"}}]", input),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rules[0].constraint.regex: column 'age' is int64")));
  EXPECT_THAT(Clean("rules: [{constraint: {column: s, allowed: [a, 1]}}]", input),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rules[0].constraint.allowed[1]: 1 is not a string value")));
  EXPECT_THAT(Clean("rules: [{constraint: {column: agee, range: [1, 2]}}]", input),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rules[0].constraint.column: unknown column 'agee'")));
  // A plan built in code with a bad pattern is caught when applied.
  CleaningPlan plan;
  ConstraintRule c;
  c.column = "s";
  c.regex = "(";
  plan.rules.push_back({c});
  EXPECT_THAT(ApplyPlan(plan, input), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("invalid regular expression")));
}

// ---- Whole runs ----

TEST(ApplyPlanTest, InputShapesAndOutputBatches) {
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningPlan plan, ParsePlan("rules: [{dedup: {}}]"));
  EXPECT_THAT(ApplyPlan(plan, {}), StatusIs(absl::StatusCode::kInvalidArgument));
  const Schema schema({{"a", DataType::kInt64, true}});
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult r, ApplyPlan(plan, schema, {}));
  EXPECT_EQ(r.rows_out, 0);
  EXPECT_TRUE(r.batches.empty());
  EXPECT_EQ(r.schema, schema);
  EXPECT_THAT(ApplyPlan(plan, {Batch({{"a", Ints({1})}}), Batch({{"b", Ints({1})}})}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("input batch 1 has schema")));
  LEPTON_ASSERT_OK_AND_ASSIGN(r, ApplyPlan(plan, schema, {Batch({{"a", Ints({1, 2, 3, 4, 5})}})},
                                           {.batch_rows = 2}));
  ASSERT_EQ(r.batches.size(), 3u);
  EXPECT_EQ(r.batches[2].num_rows(), 1);
  EXPECT_EQ(r.ReportJson()[0]["kind"], "dedup");
}

TEST(ApplyPlanTest, CleansASmallCreditTable) {
  std::vector<RecordBatch> input = {
      Batch({{"id", Ints({1, 2, 3, 2, 4, 5, 6, 7, 8, 9})},
             {"age", Strings({"34", "unknown", "51", "45", " 29", "17", "62", "38", "44", "130"})},
             {"income", Doubles({52000, 61000, std::nullopt, 61500, 38000, 12000, std::nullopt,
                                 47000, 55000, 70000})},
             {"amount", Doubles({1200, 3400, 2100, 3400, 900, 500, 2500, 1800, 250000, 1500})},
             {"purpose", Strings({" Car", "car ", "EDUCATION", "Car", "radio/TV", "car",
                                  std::nullopt, "Education ", "business", "car"})},
             {"class", Strings({"good", "bad", "good", "good", "good", "bad", "good", "good",
                                "bad", "excellent"})}})};
  LEPTON_ASSERT_OK_AND_ASSIGN(CleaningResult r, Clean(R"(
rules:
  - dedup: {keys: [id], keep: last}          # id 2 was corrected: keep the later row
  - coerce: {column: age, type: int32}       # "unknown" -> null
  - missing: {columns: [income], strategy: median, indicator: true}
  - outliers: {columns: [amount], method: iqr, k: 1.5, action: clip}
  - strings: {columns: [purpose], trim: true, case: lower}
  - missing: {columns: [purpose], strategy: constant, value: other}
  - constraint: {column: age, range: [18, 120], action: quarantine}
  - constraint: {column: class, allowed: [good, bad], action: drop}
)", input));
  EXPECT_EQ(r.rows_in, 10);
  // Rows: dedup removes the first id 2 (9 left); ages 17 and 130 are quarantined (7 left);
  // class "excellent" belonged to the 130-year-old, so the allowed-set rule drops nothing.
  EXPECT_EQ(Values(r, "id"), J("[1, 3, 2, 4, 6, 7, 8]"));
  EXPECT_EQ(Values(r, "age"), J("[34, 51, 45, 29, 62, 38, 44]"));
  EXPECT_EQ(r.report[1].failures, 0);  // "unknown" was in the row dedup removed
  // Median income over the 7 known values after dedup: 52000 38000 12000 47000 55000 70000
  // 61500 -> 52000.
  EXPECT_EQ(r.report[2].detail["fill"]["income"], 52000.0);
  EXPECT_EQ(Values(r, "income"), J("[52000.0, 52000.0, 61500.0, 38000.0, 52000.0, 47000.0, 55000.0]"));
  EXPECT_EQ(Values(r, "income_missing"), J("[false, true, false, false, true, false, false]"));
  // Amounts after dedup: 1200 2100 3400 900 500 2500 1800 250000 1500 -> Q1 1200, Q3 2500,
  // upper bound 4450.
  EXPECT_EQ(r.report[3].detail["bounds"]["amount"]["upper"], 4450.0);
  EXPECT_EQ(Values(r, "amount")[6], 4450.0);
  EXPECT_EQ(Values(r, "purpose"),
            J(R"(["car", "education", "car", "radio/tv", "other", "education", "business"])"));
  ASSERT_EQ(r.quarantined.size(), 2u);
  EXPECT_EQ(r.quarantined[0].values["id"], 5);
  EXPECT_EQ(r.quarantined[1].values["id"], 9);
  EXPECT_EQ(r.report[7].rows_removed, 0);
  EXPECT_EQ(r.schema.fields().back().name, "income_missing");
  EXPECT_EQ(r.ReportJson().size(), 8u);
}

}  // namespace
}  // namespace lepton::lake::clean
