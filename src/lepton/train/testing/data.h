#pragma once
// Test-only helpers of the train tests: the real data sets as record batches and small configs.

#include <fstream>
#include <random>
#include <string>

#include "absl/status/statusor.h"
#include "lepton/base/files.h"
#include "lepton/base/json.h"
#include "lepton/base/status.h"
#include "lepton/lake/column.h"
#include "lepton/lake/ingest/csv_reader.h"

namespace lepton::train::testing {

// `/work/shared/data/<relative>` (the data sets' folder beside the project).
#ifdef LEPTON_SHARED_DATA
inline std::string SharedData(const std::string& relative) {
  return std::string(LEPTON_SHARED_DATA) + "/" + relative;
}

// Reads a whole CSV file into one batch with the lake's type inference.
inline absl::StatusOr<lake::RecordBatch> ReadCsv(const std::string& path) {
  lake::ingest::CsvReadOptions options;
  LEPTON_ASSIGN_OR_RETURN(auto reader, lake::ingest::CsvReader::Open(path, options));
  lake::RecordBatch all(reader->schema());
  while (true) {
    LEPTON_ASSIGN_OR_RETURN(auto batch, reader->ReadNext());
    if (!batch) break;
    for (size_t c = 0; c < batch->num_columns(); ++c) {
      all.mutable_column(c).AppendRange(batch->column(c), 0, batch->num_rows());
    }
  }
  return all;
}

// The German credit data set (1000 rows), read once per process.
inline const lake::RecordBatch& German() {
  static const lake::RecordBatch* batch = [] {
    auto b = ReadCsv(SharedData("credit/german_credit.csv"));
    LEPTON_CHECK_OK(b.status());
    return new lake::RecordBatch(std::move(*b));
  }();
  return *batch;
}
#endif  // LEPTON_SHARED_DATA

#ifdef LEPTON_SOURCE_DIR
// An example config of examples/credit-scoring/ as JSON.
inline Json ExampleConfig(const std::string& file) {
  auto text = ReadFile(std::string(LEPTON_SOURCE_DIR) + "/examples/credit-scoring/" + file);
  LEPTON_CHECK_OK(text.status());
  return *ParseJson(*text);
}
#endif

// Synthetic applicants: `income` ~ N(0, 1), `region` alternating north/south (no signal), and
// `label` "bad" when income plus noise exceeds 0.5 — a small binary problem a logistic model
// learns in milliseconds (the registry and serving tests train on it).
inline lake::RecordBatch Applicants(int64_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  lake::RecordBatch b(lake::Schema({{"income", lake::DataType::kDouble, true},
                                    {"region", lake::DataType::kString, true},
                                    {"label", lake::DataType::kString, true}}));
  for (int64_t i = 0; i < rows; ++i) {
    const double x = normal(rng);
    b.mutable_column(0).AppendDouble(x);
    b.mutable_column(1).AppendString(i % 2 ? "north" : "south");
    b.mutable_column(2).AppendString(x + normal(rng) > 0.5 ? "bad" : "good");
  }
  return b;
}

}  // namespace lepton::train::testing
