#pragma once
// File helpers with crash-safe semantics. Thread-safe (each call works on its own descriptors).

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lepton {

// Writes `data` to `path` so that a reader (or a crash at any point) sees either the old file or
// the whole new one: write to a temporary file in the same folder, fsync it, rename it over
// `path`, fsync the folder. The file gets permission bits `mode`. Errors carry the path and errno.
absl::Status WriteFileAtomically(const std::string& path, std::string_view data, int mode = 0644);

// Reads the whole file. NotFound if it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Creates `path` and its parents (like `mkdir -p`) with `mode`. OK if it already exists.
absl::Status MakeDirs(const std::string& path, int mode = 0755);

// True when `path` names an existing file or folder.
bool PathExists(const std::string& path);

}  // namespace lepton
