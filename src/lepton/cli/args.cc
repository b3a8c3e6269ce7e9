#include "lepton/cli/args.h"

#include <iostream>

#include "lepton/base/strings.h"
#include "lepton/cli/commands.h"

#include "absl/strings/str_cat.h"

namespace lepton::cli {

int Fail(const std::string& message, int code) {
  std::cerr << "lepton: error: " << message << std::endl;
  return code;
}

std::optional<std::string> Args::Flag(const std::string& name) const {
  auto it = flags.find(name);
  if (it == flags.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv,
                               const std::set<std::string>& bool_flags,
                               const std::set<std::string>& known) {
  Args out;
  bool only_positional = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (only_positional || a.size() < 3 || !a.starts_with("--")) {
      if (a == "--") only_positional = true;
      else out.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (!known.empty() && !known.contains(name) && !bool_flags.contains(name)) {
      return absl::InvalidArgumentError(lepton::StrCat("unknown flag --", name, " (see --help)"));
    }
    if (bool_flags.contains(name)) {
      out.flags[name] = value.value_or("true");
      continue;
    }
    if (!value) {
      if (i + 1 >= argv.size()) {
        return absl::InvalidArgumentError(lepton::StrCat("flag --", name, " needs a value"));
      }
      value = argv[++i];
    }
    out.flags[name] = *value;
  }
  return out;
}

}  // namespace lepton::cli
