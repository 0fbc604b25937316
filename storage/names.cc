#include "storage/names.h"

#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/absl_string_view.h"

namespace evstore {
namespace {

// Decodes one UTF-8 code point starting at text[i]; advances i. Returns -1
// for malformed or overlong sequences and surrogates.
int32_t DecodeCodePoint(std::string_view text, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t b0 = byte(i);
  size_t len = 0;
  int32_t cp = 0;
  int32_t min = 0;
  if (b0 < 0x80) {
    ++i;
    return b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  if (i + len > text.size()) return -1;
  for (size_t k = 1; k < len; ++k) {
    const uint8_t b = byte(i + k);
    if ((b & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  i += len;
  return cp;
}

absl::Status ValidateText(std::string_view text, std::string_view field,
                          size_t max_bytes) {
  if (text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), " is empty"));
  }
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), " is ", text.size(),
                     " bytes long; at most ", max_bytes, " are allowed"));
  }
  for (size_t i = 0; i < text.size();) {
    const size_t at = i;
    const int32_t cp = DecodeCodePoint(text, i);
    if (cp < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          AsAbsl(field), " is not valid UTF-8 (at byte ", at, ")"));
    }
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
      return absl::InvalidArgumentError(absl::StrCat(
          AsAbsl(field), " contains a control character (at byte ", at, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateCustomerName(std::string_view name,
                                  std::string_view field) {
  if (name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), " is empty"));
  }
  if (name.size() > kMaxCustomerNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        AsAbsl(field), " is ", name.size(), " characters long; at most ",
        kMaxCustomerNameBytes, " are allowed"));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) {
      // Escaped: the name is untrusted request bytes, and the message
      // reaches logs and clients.
      return absl::InvalidArgumentError(absl::StrCat(
          AsAbsl(field), " \"",
          absl::CHexEscape(AsAbsl(name.substr(0, kMaxCustomerNameBytes))),
          "\" has an invalid character at index ", i,
          "; allowed are lowercase letters, digits, '-', '_' and '.'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateStreamName(std::string_view name, std::string_view field) {
  return ValidateText(name, field, kMaxStreamNameBytes);
}

absl::Status ValidateEventType(std::string_view type, std::string_view field) {
  return ValidateText(type, field, kMaxEventTypeBytes);
}

absl::Status ValidateFreeText(std::string_view text, std::string_view field,
                              size_t max_bytes) {
  if (text.empty()) return absl::OkStatus();
  return ValidateText(text, field, max_bytes);
}

}  // namespace evstore
