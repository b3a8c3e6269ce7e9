#pragma once
// The seed's programming model for C++ users:
//
//   lepton::DataLake lake("data_lake_config.json");
//   absl::StatusOr<lepton::Frame> df = lake.get_data("customer_data");
//
// `data_lake_config.json` names the Lepton home (and optionally its metadata store) and maps
// friendly names to datasets, with an optional version, column projection and filter:
//
//   {
//     "home": "./lepton-home",
//     "store": "sqlite",                                  // optional; or "postgresql://…"
//     "datasets": {
//       "customer_data": {
//         "dataset": "credit/german_credit",
//         "version": 0,                                   // optional; latest when absent
//         "columns": ["age", "credit_amount", "class"],    // optional; all when absent
//         "where": [{"column": "age", "op": ">=", "value": 18}]   // optional; AND-ed
//       }
//     }
//   }
//
// `get_data` also accepts a dataset's full name ("credit/german_credit") directly. Errors are
// values: a bad config file is reported by every call (and by `status()`), never thrown.
// Thread-compatible.

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "lepton/lake/column.h"
#include "lepton/lake/lake.h"
#include "lepton/store/meta_store.h"

namespace lepton {

// A whole table in memory: one record batch.
using Frame = lake::RecordBatch;

class DataLake {
 public:
  // Reads the configuration at `config_path` and opens the home's metadata store.
  explicit DataLake(const std::string& config_path);
  ~DataLake();
  DataLake(DataLake&&) noexcept;
  DataLake& operator=(DataLake&&) noexcept;

  // OK when the configuration was read and the store opened.
  const absl::Status& status() const { return status_; }

  // The named dataset (a key of "datasets", or "ns/name") as one frame. NotFound for an unknown
  // name or a dataset without data; InvalidArgument for a bad projection or filter.
  absl::StatusOr<Frame> get_data(const std::string& name);

 private:
  struct Source {
    std::string dataset;
    lake::VersionSpec version;
    lake::ScanOptions scan;
  };
  absl::Status status_;
  std::map<std::string, Source> sources_;
  std::unique_ptr<store::MetaStore> store_;
  std::unique_ptr<lake::Lake> lake_;
};

}  // namespace lepton
