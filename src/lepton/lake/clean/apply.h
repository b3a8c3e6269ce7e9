#pragma once
// Applying a `CleaningPlan` (clean/plan.h) to a table held as record batches.
//
// The input batches are concatenated into one table (every statistic and every dedup decision
// sees all rows), the rules run in order, and the result is cut back into batches. Output
// schema: the input's, with coerced columns retyped (and nullable), and the columns added by
// `missing` indicators (`<column>_missing`) and `outliers` flags (`<column>_outlier`) appended
// at the end, in rule order.
//
// Quarantine: rows that violate a `constraint` with `action: quarantine` are not written to
// the output but returned as `QuarantinedRow`s: the 0-based position of the row in the input,
// the rule, a reason ("rules[5].constraint: age=130 outside [18, 120]") and the row's values
// as a JSON object as they were when the rule ran (dates "YYYY-MM-DD", timestamps ISO 8601
// UTC). `Lake::Clean` writes them to the `<name>__quarantine` side dataset.
//
// Report: one `RuleReport` per rule with counters (rows affected, removed, quarantined, values
// changed, flagged, failed) and rule-specific details (fill values, outlier bounds).
// All functions are thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/lake/clean/plan.h"
#include "lepton/lake/column.h"

namespace lepton::lake::clean {

struct QuarantinedRow {
  int64_t row = 0;   // 0-based position in the input (over all batches, in order)
  int rule = 0;      // index of the rule that quarantined it
  std::string reason;
  Json values;       // {"column": value, …}
};

// What one rule did. Counters that do not apply to a rule kind stay 0.
struct RuleReport {
  int index = 0;
  RuleKind kind = RuleKind::kDedup;
  int64_t rows_in = 0;
  int64_t rows_out = 0;
  // Rows that this rule removed, quarantined, changed or flagged (each row counted once).
  int64_t rows_affected = 0;
  int64_t rows_removed = 0;      // dropped (dedup, missing drop, outliers drop, constraint drop)
  int64_t rows_quarantined = 0;  // constraint quarantine
  int64_t values_changed = 0;    // filled, clipped, converted or rewritten values
  int64_t values_flagged = 0;    // indicator / outlier flags set to true
  int64_t failures = 0;          // coerce: values that did not convert (now null);
                                 // strings: invalid UTF-8 values (left unchanged)
  std::vector<std::string> columns_added;
  // Per kind: missing {"fill": {column: value}}; outliers {"bounds": {column: {"lower", "upper",
  // "q1"/"q3" or "mean"/"stddev"}}}; coerce {"from": type, "to": type}.
  Json detail = Json::object();

  Json ToJson() const;
};

struct CleaningResult {
  Schema schema;                     // of `batches`
  std::vector<RecordBatch> batches;  // no batch when no row survives
  std::vector<QuarantinedRow> quarantined;
  std::vector<RuleReport> report;    // one per rule, in plan order
  int64_t rows_in = 0;
  int64_t rows_out = 0;

  // [RuleReport::ToJson(), …]
  Json ReportJson() const;
};

struct ApplyOptions {
  int64_t batch_rows = 65536;  // rows per output batch (at most)
};

// What `Lake::Clean` did: the version it read, the version it wrote, and the report.
struct CleanResult {
  int64_t input_version = -1;
  int64_t version = -1;
  int64_t rows_in = 0;
  int64_t rows_out = 0;
  int64_t rows_quarantined = 0;
  std::string quarantine;  // "<ns>/<name>__quarantine" when rows were quarantined
  std::vector<RuleReport> report;
};

// Applies `plan` to `input`, whose batches must all have the schema `schema`.
// InvalidArgument (nothing is applied) when a batch has another schema, or a rule does not fit
// the table as the earlier rules left it: an unknown column ("rules[1].missing.columns[0]:
// unknown column 'incme'"), a column of the wrong type, a fill or allowed value that does not
// convert to the column's type, an added column whose name is taken.
absl::StatusOr<CleaningResult> ApplyPlan(const CleaningPlan& plan, const Schema& schema,
                                         const std::vector<RecordBatch>& input,
                                         const ApplyOptions& options = {});
// As above with the schema of `input[0]`; InvalidArgument when `input` is empty (use the
// overload with a schema to clean an empty table).
absl::StatusOr<CleaningResult> ApplyPlan(const CleaningPlan& plan,
                                         const std::vector<RecordBatch>& input);

// The value at row `i` of `column` as JSON: null, bool, number, string, dates "YYYY-MM-DD",
// timestamps "YYYY-MM-DDTHH:MM:SS[.ffffff]Z".
Json ValueToJson(const Column& column, int64_t i);

}  // namespace lepton::lake::clean
