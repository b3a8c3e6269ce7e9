#pragma once
// Rows given as JSON — `[{"age": 35, "purpose": "car"}, …]`, as the registry's explain endpoint
// and serving (MLflow's `dataframe_records`) receive them — turned into a `lake::RecordBatch`
// of a model's input signature, so the fitted pipeline sees exactly the types it was trained on.
//
// Per type: bool ← true/false; int32/int64 ← integers (or numbers with an integral value);
// float/double ← numbers; string ← strings; date ← "YYYY-MM-DD" or an integer (days since
// 1970-01-01); timestamp ← an RFC 3339 / ISO string or an integer (microseconds since the
// epoch). `null` or an absent key is a missing value. Keys not in the signature are ignored.

#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/lake/column.h"

namespace lepton::train {

// InvalidArgument naming the place, e.g. `rows[3].age: expected an integer, got "x"`, for a
// value of the wrong type, a row that is not an object, or `rows` that is not an array.
// `path` prefixes the messages ("rows" by default).
absl::StatusOr<lake::RecordBatch> RowsFromJson(const std::vector<lake::Field>& signature, const Json& rows,
                                               std::string_view path = "rows");

// Appends one row object to `batch` (whose schema is `signature`), by the same rules;
// InvalidArgument "<where>.<column>: …" or "<where>: expected an object …". On error the batch's
// columns may differ in length: drop it.
absl::Status AppendRowFromJson(const std::vector<lake::Field>& signature, const Json& row, lake::RecordBatch& batch,
                               std::string_view where);

// Appends one JSON value to `column` (of field `f`) by the rules above; InvalidArgument
// "<where>: expected …, got …". The building block of RowsFromJson and of tensor decoders.
absl::Status AppendJsonValue(const lake::Field& f, const Json& v, lake::Column& column, std::string_view where);

// Row `row` of `batch` as a JSON object in the same encoding (dates "YYYY-MM-DD", timestamps
// RFC 3339 with microseconds, nulls null): RowsFromJson of it gives the row back.
Json RowToJson(const lake::RecordBatch& batch, int64_t row);

// The same object as JSON text appended to `out` (fields in schema order), without building a
// document: the prediction log's hot path. Parsing it gives RowToJson(batch, row).
void AppendRowJsonText(const lake::RecordBatch& batch, int64_t row, std::string* out);

}  // namespace lepton::train
