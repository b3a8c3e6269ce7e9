#pragma once
// Command-line parsing for `lepton` subcommands: positional words and flags written
// `--name value`, `--name=value` or, for declared boolean flags, `--name` alone.
// Not thread-safe; used once per process.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lepton::cli {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;  // names without dashes

  std::optional<std::string> Flag(const std::string& name) const;
  bool Has(const std::string& name) const { return flags.contains(name); }
};

// Parses `argv` (without the program and subcommand words). `bool_flags` take no value.
// InvalidArgument for a flag missing its value, or one not in `known` (when `known` is not empty).
absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv,
                               const std::set<std::string>& bool_flags,
                               const std::set<std::string>& known);

}  // namespace lepton::cli
