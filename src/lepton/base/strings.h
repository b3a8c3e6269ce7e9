#pragma once
// String concatenation and joining that accept `std::string_view`. Debian 12's Abseil is built
// with its own `absl::string_view` (ABSL_OPTION_USE_STD_STRING_VIEW 0), so `absl::StrCat` rejects
// `std::string_view` and `absl::Status::message()` does not convert to it; use these instead,
// and `ToStd` to view an `absl::string_view` (such as a status message) as a `std::string_view`.

#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace lepton {

inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }

namespace internal {
inline void AppendPiece(std::string& out, std::string_view s) { out.append(s); }
inline void AppendPiece(std::string& out, const std::string& s) { out.append(s); }
inline void AppendPiece(std::string& out, const char* s) { out.append(s); }
inline void AppendPiece(std::string& out, char c) { out.push_back(c); }
inline void AppendPiece(std::string& out, absl::string_view s) { out.append(s.data(), s.size()); }
inline void AppendPiece(std::string& out, bool b) { out.append(b ? "true" : "false"); }
template <typename T>
  requires(std::is_arithmetic_v<T> && !std::same_as<T, bool> && !std::same_as<T, char>)
void AppendPiece(std::string& out, T v) {
  out.append(absl::StrCat(v));
}
}  // namespace internal

// Concatenates strings, string views, characters, booleans and numbers.
template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  (internal::AppendPiece(out, args), ...);
  return out;
}

// Appends to `out` what `StrCat(args...)` would return.
template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  (internal::AppendPiece(*out, args), ...);
}

// Joins the elements of `range` (strings or string views) with `sep`.
template <typename Range>
std::string StrJoin(const Range& range, std::string_view sep) {
  std::string out;
  bool first = true;
  for (const auto& piece : range) {
    if (!first) out.append(sep);
    first = false;
    internal::AppendPiece(out, piece);
  }
  return out;
}

// ASCII helpers on std::string_view (see the file comment for why not absl's).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix);
std::string AsciiLower(std::string_view s);
std::string AsciiUpper(std::string_view s);
std::string_view StripWhitespace(std::string_view s);
// Splits on every `sep`; "" gives one empty piece, like absl::StrSplit.
std::vector<std::string_view> Split(std::string_view s, char sep);
// Parses a whole decimal integer (leading '-' allowed, no spaces). False on anything else.
bool ParseInt(std::string_view s, int64_t* out);

}  // namespace lepton
