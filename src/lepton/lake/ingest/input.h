#pragma once
// Small pieces every ingest source shares: opening an input file with a status that says why it
// failed, and turning raw column names into a unique, non-empty set. Thread-safe.

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/lake/column.h"

namespace lepton::lake::ingest {

// Opens `path` for binary reading. NotFound when it does not exist, PermissionDenied when it
// cannot be read, InvalidArgument otherwise; messages carry the path and the reason.
absl::StatusOr<std::unique_ptr<std::ifstream>> OpenInputFile(const std::string& path);

// Empty names become column_<i> (1-based position); repeats get _2, _3, ….
std::vector<std::string> UniqueColumnNames(std::vector<std::string> names);

// Appends a converted value to `column` of `type`: a null when `v.null`, else the member that
// matches the type (`b`, `i32` for int32 and date, `i64` for int64 and timestamp, `f`, `d`, and
// `s` — a std::string or std::string_view — for strings). Shared by the sources that stage a
// row's values before committing the row.
template <typename Staged>
void AppendStaged(const Staged& v, DataType type, Column* column) {
  if (v.null) {
    column->AppendNull();
    return;
  }
  switch (type) {
    case DataType::kBool: column->AppendBool(v.b); break;
    case DataType::kInt32:
    case DataType::kDate: column->AppendInt32(v.i32); break;
    case DataType::kInt64:
    case DataType::kTimestamp: column->AppendInt64(v.i64); break;
    case DataType::kFloat: column->AppendFloat(v.f); break;
    case DataType::kDouble: column->AppendDouble(v.d); break;
    case DataType::kString: column->AppendString(v.s); break;
  }
}

}  // namespace lepton::lake::ingest
