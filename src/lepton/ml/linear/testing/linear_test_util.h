#pragma once
// Test helpers for the linear learners: numeric columns of a CSV as a FeatureMatrix, and
// running Debian's python3 (with scikit-learn) on raw binary arrays in a temporary folder.

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/strings.h"
#include "lepton/features/matrix.h"
#include "lepton/lake/ingest/csv_reader.h"

namespace lepton::ml::testing {

// Numeric columns `features` of the CSV at `path` (dense, row-major) and the label column
// mapped to 0/1 by `positive` (label == positive -> 1) or read as a number when `positive` is
// empty.
struct NumericData {
  features::FeatureMatrix x;
  std::vector<double> y;
};

inline double NumericAt(const lake::Column& c, int64_t i) {
  switch (c.type()) {
    case lake::DataType::kInt32: return c.ValueAt<int32_t>(i);
    case lake::DataType::kInt64: return static_cast<double>(c.ValueAt<int64_t>(i));
    case lake::DataType::kFloat: return c.ValueAt<float>(i);
    case lake::DataType::kDouble: return c.ValueAt<double>(i);
    case lake::DataType::kBool: return c.ValueAt<uint8_t>(i);
    default: return 0;
  }
}

inline absl::StatusOr<NumericData> ReadNumericCsv(const std::string& path,
                                                  const std::vector<std::string>& features,
                                                  const std::string& label,
                                                  const std::string& positive = "") {
  absl::StatusOr<lake::ingest::CsvTable> table = lake::ingest::ReadCsvFile(path);
  if (!table.ok()) return table.status();
  NumericData out;
  out.x.columns = features;
  for (const lake::RecordBatch& batch : table->batches) {
    std::vector<int> idx;
    for (const std::string& f : features) idx.push_back(batch.schema().Find(f));
    const int label_idx = batch.schema().Find(label);
    for (int64_t r = 0; r < batch.num_rows(); ++r) {
      for (int i : idx) {
        const lake::Column& c = batch.column(static_cast<size_t>(i));
        out.x.values.push_back(c.IsNull(r) ? std::nanf("")
                                           : static_cast<float>(NumericAt(c, r)));
      }
      const lake::Column& lc = batch.column(static_cast<size_t>(label_idx));
      out.y.push_back(positive.empty() ? NumericAt(lc, r) : (lc.StringAt(r) == positive ? 1 : 0));
      ++out.x.rows;
    }
  }
  return out;
}

// Standardises every column of dense `x` in place (mean 0, population sd 1).
inline void Standardize(features::FeatureMatrix* x) {
  const auto p = static_cast<size_t>(x->cols());
  for (size_t j = 0; j < p; ++j) {
    double sum = 0, sq = 0;
    for (int64_t r = 0; r < x->rows; ++r) sum += x->values[static_cast<size_t>(r) * p + j];
    const double mean = sum / static_cast<double>(x->rows);
    for (int64_t r = 0; r < x->rows; ++r) {
      const double d = x->values[static_cast<size_t>(r) * p + j] - mean;
      sq += d * d;
    }
    const double sd = std::sqrt(sq / static_cast<double>(x->rows));
    for (int64_t r = 0; r < x->rows; ++r) {
      float& v = x->values[static_cast<size_t>(r) * p + j];
      v = static_cast<float>((v - mean) / (sd > 0 ? sd : 1));
    }
  }
}

// The CSR form of dense `x` (zeros dropped).
inline features::FeatureMatrix ToCsr(const features::FeatureMatrix& x) {
  features::FeatureMatrix out;
  out.rows = x.rows;
  out.columns = x.columns;
  out.sparse = true;
  out.row_offsets.push_back(0);
  for (int64_t r = 0; r < x.rows; ++r) {
    for (int64_t c = 0; c < x.cols(); ++c) {
      const float v = x.values[static_cast<size_t>(r * x.cols() + c)];
      if (v != 0) {
        out.values.push_back(v);
        out.col_indices.push_back(static_cast<uint32_t>(c));
      }
    }
    out.row_offsets.push_back(static_cast<int64_t>(out.values.size()));
  }
  return out;
}

template <typename T>
void WriteRaw(const std::filesystem::path& path, const std::vector<T>& values) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(T)));
}

inline std::vector<double> ReadRawDoubles(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<double> out;
  double v;
  while (in.read(reinterpret_cast<char*>(&v), sizeof(v))) out.push_back(v);
  return out;
}

// Debian's interpreter (the first python3 on PATH may lack the packages).
inline constexpr const char* kPython = "/usr/bin/python3";

// Whether Debian's python3 can import `module` (asked once per module and process).
inline bool PythonHas(const std::string& module) {
  static auto* known = new std::map<std::string, bool>();
  auto it = known->find(module);
  if (it != known->end()) return it->second;
  const std::string cmd = StrCat(kPython, " -c 'import ", module, "' >/dev/null 2>&1");
  const bool has = std::system(cmd.c_str()) == 0;
  (*known)[module] = has;
  return has;
}

// A fresh folder under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            StrCat("lepton_ml_test_", ::getpid(), "_", counter++);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes `script` to the folder and runs it with the folder as its argument; the exit status.
inline int RunPython(const TempDir& dir, const std::string& script) {
  const auto file = dir.path() / "script.py";
  std::ofstream(file) << script;
  const std::string cmd = StrCat(kPython, " ", file.string(), " ", dir.path().string());
  return std::system(cmd.c_str());
}

}  // namespace lepton::ml::testing
