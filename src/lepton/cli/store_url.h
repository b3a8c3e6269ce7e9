#pragma once
// Where the metadata store of a configuration lives.

#include <string>

#include "lepton/base/config.h"

namespace lepton::cli {

// "sqlite" → "sqlite:<home>/meta.db"; other values are returned as they are.
inline std::string StoreUrl(const Config& config) {
  if (config.store == "sqlite") return "sqlite:" + config.home + "/meta.db";
  return config.store;
}

}  // namespace lepton::cli
