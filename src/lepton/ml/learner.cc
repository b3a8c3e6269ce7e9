#include "lepton/ml/learner.h"

#include "lepton/base/strings.h"

namespace lepton::ml {

std::string_view TaskName(Task task) {
  switch (task) {
    case Task::kBinary: return "binary";
    case Task::kMulticlass: return "multiclass";
    case Task::kRegression: return "regression";
  }
  return "binary";
}

absl::StatusOr<Task> ParseTask(std::string_view name) {
  if (name == "binary") return Task::kBinary;
  if (name == "multiclass") return Task::kMulticlass;
  if (name == "regression") return Task::kRegression;
  return absl::InvalidArgumentError(
      StrCat("unknown task \"", name, "\" (expected binary, multiclass or regression)"));
}

}  // namespace lepton::ml
