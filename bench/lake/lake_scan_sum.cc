// Filtered scan with a sum, over a dataset in a Lepton home: the lake side of bench/lake.
// Usage: lake_scan_sum HOME NS/NAME FILTER_COLUMN MAX_VALUE SUM_COLUMN
// Prints "rows=N sum=S" for rows with FILTER_COLUMN <= MAX_VALUE.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "lepton/base/clock.h"
#include "lepton/base/strings.h"
#include "lepton/lake/lake.h"
#include "lepton/store/meta_store.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: lake_scan_sum HOME NS/NAME FILTER_COLUMN MAX_VALUE SUM_COLUMN\n");
    return 2;
  }
  const std::string home = argv[1];
  auto store = lepton::store::OpenMetaStore("sqlite:" + home + "/meta.db");
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  lepton::lake::Lake lake(home + "/lake", **store, lepton::Clock::System());
  auto parts = lepton::lake::ParseDatasetName(argv[2]);
  if (!parts.ok()) return 1;
  lepton::lake::ScanOptions o;
  o.columns = {argv[5]};
  o.predicates = {{argv[3], lepton::lake::CompareOp::kLe, {std::atoll(argv[4])}}};
  double sum = 0;
  int64_t rows = 0;
  auto r = lake.Scan(parts->first, parts->second, {}, o, [&](const lepton::lake::RecordBatch& b) {
    const auto& c = b.column(0);
    for (int64_t i = 0; i < b.num_rows(); ++i) {
      if (c.IsNull(i)) continue;
      switch (c.type()) {
        case lepton::lake::DataType::kDouble: sum += c.ValueAt<double>(i); break;
        case lepton::lake::DataType::kInt32: sum += c.ValueAt<int32_t>(i); break;
        case lepton::lake::DataType::kInt64: sum += static_cast<double>(c.ValueAt<int64_t>(i)); break;
        default: break;
      }
    }
    rows += b.num_rows();
    return absl::OkStatus();
  });
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
    return 1;
  }
  std::printf("rows=%lld sum=%.6f\n", static_cast<long long>(rows), sum);
  return 0;
}
