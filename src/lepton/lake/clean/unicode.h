#pragma once
// Unicode text transforms for the `strings` cleaning rule, backed by ICU (libicu, the only file
// of the lake that sees it is unicode.cc). Thread-safe.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lepton/lake/clean/plan.h"

namespace lepton::lake::clean {

// Returns `text` (UTF-8) normalized to `form`, then case-mapped by `case_mode` (full Unicode
// case mapping in the root locale, e.g. "STRASSE" / "straße" -> upper "STRASSE").
// ASCII-only input takes a fast path without ICU. InvalidArgument when `text` is not valid
// UTF-8; Internal when ICU fails (e.g. missing normalization data).
absl::StatusOr<std::string> TransformUtf8(std::string_view text, NormalForm form,
                                          CaseMode case_mode);

}  // namespace lepton::lake::clean
