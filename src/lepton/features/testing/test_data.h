#pragma once
// Test-only helpers for features_test: building small record batches by hand and reading the
// shared CSV data sets into one batch. Header-only; not part of the library.

#include <cmath>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/status.h"
#include "lepton/lake/column.h"
#include "lepton/lake/ingest/csv_reader.h"

namespace lepton::features::testdata {

// A double column; NaN becomes null.
inline lake::Column Doubles(const std::vector<double>& v) {
  lake::Column c(lake::DataType::kDouble);
  for (double x : v) {
    if (std::isnan(x)) {
      c.AppendNull();
    } else {
      c.AppendDouble(x);
    }
  }
  return c;
}

inline lake::Column Int64s(const std::vector<int64_t>& v) {
  lake::Column c(lake::DataType::kInt64);
  for (int64_t x : v) c.AppendInt64(x);
  return c;
}

// A string column; nullopt becomes null.
inline lake::Column Strings(const std::vector<std::optional<std::string>>& v) {
  lake::Column c(lake::DataType::kString);
  for (const auto& s : v) {
    if (s) {
      c.AppendString(*s);
    } else {
      c.AppendNull();
    }
  }
  return c;
}

// A batch of the named columns (equal lengths; checked by `RecordBatch::Make`).
inline lake::RecordBatch Batch(std::vector<std::pair<std::string, lake::Column>> cols) {
  std::vector<lake::Field> fields;
  std::vector<lake::Column> columns;
  for (auto& [name, col] : cols) {
    fields.push_back({name, col.type(), true});
    columns.push_back(std::move(col));
  }
  auto b = lake::RecordBatch::Make(lake::Schema(std::move(fields)), std::move(columns));
  LEPTON_CHECK(b.ok());
  return *std::move(b);
}

// Reads the whole CSV at `path` into one batch (types inferred from all rows).
inline absl::StatusOr<lake::RecordBatch> ReadCsv(const std::string& path) {
  lake::ingest::CsvReadOptions options;
  options.infer_rows = 1 << 20;
  options.batch_rows = 1 << 20;
  LEPTON_ASSIGN_OR_RETURN(auto reader, lake::ingest::CsvReader::Open(path, options));
  lake::RecordBatch all(reader->schema());
  while (true) {
    LEPTON_ASSIGN_OR_RETURN(auto batch, reader->ReadNext());
    if (!batch) break;
    for (size_t i = 0; i < batch->num_columns(); ++i) {
      all.mutable_column(i).AppendRange(batch->column(i), 0, batch->num_rows());
    }
  }
  return all;
}

// Value `i` of a numeric column of any numeric type, as a double (NaN when null).
inline double NumberAt(const lake::Column& c, int64_t i) {
  if (c.IsNull(i)) return std::nan("");
  switch (c.type()) {
    case lake::DataType::kInt32:
      return c.ValueAt<int32_t>(i);
    case lake::DataType::kInt64:
      return static_cast<double>(c.ValueAt<int64_t>(i));
    case lake::DataType::kFloat:
      return c.ValueAt<float>(i);
    case lake::DataType::kDouble:
      return c.ValueAt<double>(i);
    default:
      LEPTON_CHECK(false);
  }
  return 0;
}

inline std::string SharedData(const std::string& rel) {
  return std::string(LEPTON_SHARED_DATA) + "/" + rel;
}

}  // namespace lepton::features::testdata
