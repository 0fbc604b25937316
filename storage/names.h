// The naming rules for customers and streams. The engine relies on them (a
// stream name never contains 0x00, which terminates it inside keys), and the
// server checks them before anything is queued.
#ifndef EVSTORE_STORAGE_NAMES_H_
#define EVSTORE_STORAGE_NAMES_H_

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace evstore {

inline constexpr size_t kMaxCustomerNameBytes = 64;
inline constexpr size_t kMaxStreamNameBytes = 256;
inline constexpr size_t kMaxEventTypeBytes = 256;

// 1 to 64 characters of [a-z0-9-_.]. The error names `field`.
absl::Status ValidateCustomerName(std::string_view name,
                                  std::string_view field = "customer");

// 1 to 256 bytes of valid UTF-8 without control characters (U+0000-U+001F,
// U+007F-U+009F). The error names `field`.
absl::Status ValidateStreamName(std::string_view name,
                                std::string_view field = "stream");

// 1 to 256 bytes of valid UTF-8 without control characters.
absl::Status ValidateEventType(std::string_view type,
                               std::string_view field = "type");

// Empty, or at most `max_bytes` bytes of valid UTF-8 without control
// characters (free text such as a token's description). The error names
// `field`.
absl::Status ValidateFreeText(std::string_view text, std::string_view field,
                              size_t max_bytes);

}  // namespace evstore

#endif  // EVSTORE_STORAGE_NAMES_H_
