#include "lepton/lake/ingest/input.h"

#include <cerrno>
#include <cstring>
#include <set>

#include "lepton/base/strings.h"

namespace lepton::lake::ingest {

absl::StatusOr<std::unique_ptr<std::ifstream>> OpenInputFile(const std::string& path) {
  auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!file->is_open()) {
    const int err = errno;
    std::string message = StrCat("cannot open ", path, ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(message);
    if (err == EACCES) return absl::PermissionDeniedError(message);
    return absl::InvalidArgumentError(message);
  }
  return file;
}

std::vector<std::string> UniqueColumnNames(std::vector<std::string> names) {
  std::set<std::string> used;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) names[i] = StrCat("column_", i + 1);
  }
  for (std::string& name : names) {
    if (used.insert(name).second) continue;
    for (int k = 2;; ++k) {
      std::string candidate = StrCat(name, "_", k);
      if (used.insert(candidate).second) {
        name = std::move(candidate);
        break;
      }
    }
  }
  return names;
}

}  // namespace lepton::lake::ingest
