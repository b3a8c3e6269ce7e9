#include "lepton/lake/sources/batch_source.h"

#include <utility>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::lake::sources {

absl::StatusOr<std::unique_ptr<CsvSource>> CsvSource::Open(const std::string& path,
                                                           ingest::CsvReadOptions options) {
  LEPTON_ASSIGN_OR_RETURN(auto reader, ingest::CsvReader::Open(path, std::move(options)));
  return std::make_unique<CsvSource>(std::move(reader), StrCat("csv: ", path));
}

CsvSource::CsvSource(std::unique_ptr<ingest::CsvReader> reader, std::string description)
    : reader_(std::move(reader)), description_(std::move(description)) {}

}  // namespace lepton::lake::sources
