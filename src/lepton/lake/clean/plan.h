#pragma once
// Declarative cleaning plans: an ordered list of rules, parsed from YAML or JSON text.
// `ApplyPlan` (clean/apply.h) runs a plan over a table; `Lake::Clean` records the result as a
// new dataset version whose lineage holds `PlanToJson(plan)`.
//
// Format (YAML shown; the same structure as JSON is accepted). Each rule is a mapping with
// exactly one key, the rule kind, whose value holds the options:
//
//   rules:
//     - dedup: {keys: [id], keep: last}
//         # keys: columns that identify a row (omitted = the full row); keep: first (default)
//         # or last. Nulls compare equal to each other.
//     - missing: {columns: [income], strategy: median, indicator: true}
//         # strategy: drop | constant (needs `value`) | mean | median | mode. indicator: adds a
//         # non-null bool column `<column>_missing` (true where the value was null); not with
//         # drop. mean/median need numeric columns (int results are rounded half away from
//         # zero); mode takes the most frequent value (ties: the one seen first).
//     - outliers: {columns: [amount], method: iqr, k: 1.5, action: clip}
//         # method: iqr (bounds Q1 - k·IQR, Q3 + k·IQR; quartiles by linear interpolation,
//         # k defaults to 1.5) or zscore (bounds mean ± threshold·σ, population σ, threshold
//         # defaults to 3). action: clip (to the bounds; integer columns to the integers
//         # inside them) | drop (rows with an outlier in any listed column) | flag (adds a
//         # non-null bool column `<column>_outlier`). Numeric columns only; nulls and NaN are
//         # ignored by the statistics and never outliers.
//     - coerce: {column: age, type: int64}
//         # type: bool int32 int64 float double string date timestamp. Values that do not
//         # convert become null and are counted as failures; empty / blank strings become
//         # null without counting as failures. Supported: anything -> string, string ->
//         # anything, between bool and the numeric types (exact only: 2.5 -> int fails), and
//         # date <-> timestamp (timestamp -> date truncates to the UTC day).
//     - strings: {columns: [name], trim: true, case: lower, normalize: nfc}
//         # trim: ASCII whitespace at both ends; case: none | lower | upper (full Unicode
//         # case mapping, root locale); normalize: none | nfc | nfd | nfkc | nfkd (ICU).
//         # Applied in the order normalize, trim, case. Invalid UTF-8 values are left as
//         # they are and counted as failures. String columns only.
//     - constraint: {column: age, range: [18, 120], action: drop}
//         # At least one of: range: [min, max] (inclusive; null = open end; numeric columns),
//         # allowed: [values...] (in the column's type; dates as "YYYY-MM-DD"), regex: "..."
//         # (ECMAScript, must match the whole value; string columns), allow_null: false (nulls
//         # pass by default). action: drop (default) | quarantine (the rows go to the
//         # quarantine list of the result, see apply.h).
//
// Rules run in order, each over the whole table as the previous rules left it (so a rule may
// use a column that an earlier `coerce` retyped or an earlier `missing` added). Statistics
// (mean, median, mode, quartiles, σ) are computed over all rows, never per batch.
//
// YAML scalars follow the YAML 1.2 core schema: only true/false are booleans (yes/no are
// strings), quoted scalars are always strings.
//
// Errors: InvalidArgument naming the rule index and field path and what was expected, e.g.
//   rules[2].outliers.k: expected a number, got string "abc" (line 4)
// Column names are checked against the table when the plan is applied (apply.h).
// All functions are thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/lake/column.h"

namespace lepton::lake::clean {

// The order matches the alternatives of `RuleSpec`.
enum class RuleKind { kDedup, kMissing, kOutliers, kCoerce, kStrings, kConstraint };
// "dedup", "missing", "outliers", "coerce", "strings", "constraint".
std::string_view RuleKindName(RuleKind kind);

enum class Keep { kFirst, kLast };
struct DedupRule {
  std::vector<std::string> keys;  // empty = all columns
  Keep keep = Keep::kFirst;
};

enum class MissingStrategy { kDrop, kConstant, kMean, kMedian, kMode };
struct MissingRule {
  std::vector<std::string> columns;
  MissingStrategy strategy = MissingStrategy::kDrop;
  Json value;  // the fill value of `kConstant` (a non-null scalar); null otherwise
  bool indicator = false;
};

enum class OutlierMethod { kIqr, kZScore };
enum class OutlierAction { kClip, kDrop, kFlag };
struct OutlierRule {
  std::vector<std::string> columns;
  OutlierMethod method = OutlierMethod::kIqr;
  double k = 1.5;          // iqr
  double threshold = 3.0;  // zscore
  OutlierAction action = OutlierAction::kFlag;
};

struct CoerceRule {
  std::string column;
  DataType type = DataType::kString;
};

enum class CaseMode { kNone, kLower, kUpper };
enum class NormalForm { kNone, kNfc, kNfd, kNfkc, kNfkd };
struct StringsRule {
  std::vector<std::string> columns;
  bool trim = false;
  CaseMode case_mode = CaseMode::kNone;
  NormalForm normalize = NormalForm::kNone;
};

enum class ViolationAction { kDrop, kQuarantine };
struct ConstraintRule {
  std::string column;
  bool has_range = false;
  std::optional<double> min;  // with `has_range`; nullopt = open
  std::optional<double> max;
  std::vector<Json> allowed;  // empty = no allowed-set check
  std::optional<std::string> regex;
  bool allow_null = true;
  ViolationAction action = ViolationAction::kDrop;
};

using RuleSpec =
    std::variant<DedupRule, MissingRule, OutlierRule, CoerceRule, StringsRule, ConstraintRule>;

struct Rule {
  RuleSpec spec;
  RuleKind kind() const { return static_cast<RuleKind>(spec.index()); }
};

struct CleaningPlan {
  std::vector<Rule> rules;
};

// Parses a plan from YAML or JSON text (JSON when it parses as JSON, YAML otherwise).
// InvalidArgument for malformed text or an invalid plan (see the file comment for the messages).
absl::StatusOr<CleaningPlan> ParsePlan(std::string_view text);
// Parses a plan from a JSON document of the format above.
absl::StatusOr<CleaningPlan> ParsePlanJson(const Json& json);
// The canonical JSON form of `plan`, with every default spelled out; `ParsePlanJson` of it
// gives back an equal plan.
Json PlanToJson(const CleaningPlan& plan);

}  // namespace lepton::lake::clean
