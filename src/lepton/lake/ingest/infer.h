#pragma once
// Column type inference for CSV ingest, and the strict text-to-value parsers that both inference
// and conversion use (so that what inference accepts, conversion accepts too).
//
// Inference rule: per column, the first type in the order
//   bool, int32, int64, double, date, timestamp
// that every non-null sampled value parses as; otherwise string. A column with no non-null value
// in the sample is string. Spellings (no surrounding whitespace is ever accepted):
//   bool       true false TRUE FALSE True False (0/1, yes/no are NOT bools: they infer int/string)
//   int32/64   [-]digits, in range; integers beyond int64 infer double
//   double     decimal or exponent notation ("3.5", "-1e-3", ".5", "1.00E+05"); "nan"/"inf"
//              spellings parse, but a column of only such values stays string
//   date       YYYY-MM-DD (a valid calendar day, years 0000-9999)
//   timestamp  YYYY-MM-DD[T ]HH:MM:SS[.f…][Z|±HH:MM|±HHMM]; stored as µs since the epoch, UTC;
//              no zone means UTC; more than 6 fraction digits are truncated. A column mixing
//              dates and timestamps infers timestamp (dates are midnight UTC).
// Conservative extra rule: an integer spelling with a leading zero ("007", "-01") makes the
// column string during inference (identifiers, zip codes), although an explicitly int-typed
// column accepts it.
// Conversion into an integer column also accepts any numeric spelling whose value is an exact
// integer in range ("1.00E+05", "7.0"): the value is not changed by that, and exports that write
// large numbers in exponent form would otherwise turn into bad rows after the inference sample.
//
// All functions are thread-safe; `TypeInferrer` is thread-compatible.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/lake/column.h"

namespace lepton::lake::ingest {

// Strict parsers: true and `*out` set when the whole of `text` is a value of the type.
bool ParseBool(std::string_view text, bool* out);
// Plain integers, plus (see above) exact integral numbers in other numeric spellings.
bool ParseInt32(std::string_view text, int32_t* out);
bool ParseInt64(std::string_view text, int64_t* out);
bool ParseFloat(std::string_view text, float* out);
bool ParseDouble(std::string_view text, double* out);
// Days since 1970-01-01.
bool ParseDate(std::string_view text, int32_t* days);
// Microseconds since 1970-01-01T00:00:00Z. Also accepts a bare date (midnight UTC).
bool ParseTimestamp(std::string_view text, int64_t* micros);

// Days since 1970-01-01 of a proleptic Gregorian date; `month` 1-12, `day` 1-31 (unchecked).
int64_t DaysFromCivil(int64_t year, int month, int day);

// Accumulates evidence about the type of each of `num_columns` columns, one value at a time.
class TypeInferrer {
 public:
  explicit TypeInferrer(size_t num_columns);

  // Records one non-null value of column `column`. Callers filter out null tokens first.
  // Precondition: column < num_columns.
  void Observe(size_t column, std::string_view value);
  // The inferred type of `column` so far (string when nothing was observed).
  DataType Result(size_t column) const;
  // How many values of `column` were observed.
  int64_t observed(size_t column) const { return columns_[column].observed; }

 private:
  struct ColumnState {
    uint32_t candidates = ~0u;  // bit per `DataType` still possible
    int64_t observed = 0;
    bool saw_finite_number = false;
  };
  std::vector<ColumnState> columns_;
};

// Infers the type of one column from its non-null values (a convenience over `TypeInferrer`).
DataType InferType(const std::vector<std::string_view>& values);

// Returns `inferred` with the fields named in `override_schema` replaced by the override's
// (type and nullability; the position stays that of the column). InvalidArgument naming the
// column when the override names a column that `inferred` does not have.
absl::StatusOr<Schema> ApplySchemaOverride(const Schema& inferred, const Schema& override_schema);

}  // namespace lepton::lake::ingest
