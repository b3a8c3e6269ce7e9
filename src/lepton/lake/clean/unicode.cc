#include "lepton/lake/clean/unicode.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unicode/ustring.h>

#include "lepton/base/strings.h"

namespace lepton::lake::clean {
namespace {

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> TransformUtf8(std::string_view text, NormalForm form,
                                          CaseMode case_mode) {
  if (IsAscii(text)) {
    // Every normal form of ASCII text is the text itself.
    switch (case_mode) {
      case CaseMode::kNone: return std::string(text);
      case CaseMode::kLower: return AsciiLower(text);
      case CaseMode::kUpper: return AsciiUpper(text);
    }
  }
  // u_strFromUTF8 reports invalid sequences (icu::UnicodeString::fromUTF8 would silently
  // substitute U+FFFD, changing the data).
  UErrorCode err = U_ZERO_ERROR;
  int32_t length = 0;
  const auto size = static_cast<int32_t>(text.size());
  u_strFromUTF8(nullptr, 0, &length, text.data(), size, &err);
  if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err)) {
    return absl::InvalidArgumentError("invalid UTF-8");
  }
  icu::UnicodeString u;
  UChar* buffer = u.getBuffer(length);
  err = U_ZERO_ERROR;
  u_strFromUTF8(buffer, length, &length, text.data(), size, &err);
  u.releaseBuffer(U_SUCCESS(err) ? length : 0);
  if (U_FAILURE(err)) return absl::InvalidArgumentError("invalid UTF-8");

  if (form != NormalForm::kNone) {
    err = U_ZERO_ERROR;
    const icu::Normalizer2* normalizer = nullptr;
    switch (form) {
      case NormalForm::kNfc: normalizer = icu::Normalizer2::getNFCInstance(err); break;
      case NormalForm::kNfd: normalizer = icu::Normalizer2::getNFDInstance(err); break;
      case NormalForm::kNfkc: normalizer = icu::Normalizer2::getNFKCInstance(err); break;
      case NormalForm::kNfkd: normalizer = icu::Normalizer2::getNFKDInstance(err); break;
      case NormalForm::kNone: break;
    }
    if (normalizer == nullptr || U_FAILURE(err)) {
      return absl::InternalError(StrCat("ICU normalizer unavailable: ", u_errorName(err)));
    }
    icu::UnicodeString normalized = normalizer->normalize(u, err);
    if (U_FAILURE(err)) return absl::InternalError(StrCat("ICU normalize: ", u_errorName(err)));
    u = std::move(normalized);
  }
  if (case_mode == CaseMode::kLower) u.toLower(icu::Locale::getRoot());
  if (case_mode == CaseMode::kUpper) u.toUpper(icu::Locale::getRoot());
  std::string out;
  u.toUTF8String(out);
  return out;
}

}  // namespace lepton::lake::clean
