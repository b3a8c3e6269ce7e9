#pragma once
// Small pieces every ingest source shares: opening an input file with a status that says why it
// failed, and turning raw column names into a unique, non-empty set. Thread-safe.

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lepton::lake::ingest {

// Opens `path` for binary reading. NotFound when it does not exist, PermissionDenied when it
// cannot be read, InvalidArgument otherwise; messages carry the path and the reason.
absl::StatusOr<std::unique_ptr<std::ifstream>> OpenInputFile(const std::string& path);

// Empty names become column_<i> (1-based position); repeats get _2, _3, ….
std::vector<std::string> UniqueColumnNames(std::vector<std::string> names);

}  // namespace lepton::lake::ingest
