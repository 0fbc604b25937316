// Debian's Abseil is built with its own absl::string_view (not an alias of
// std::string_view), so std::string_view does not convert implicitly to what
// absl::StrCat and absl::Status take. AsAbsl makes that conversion explicit.
#ifndef EVSTORE_STORAGE_ABSL_STRING_VIEW_H_
#define EVSTORE_STORAGE_ABSL_STRING_VIEW_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace evstore {

inline absl::string_view AsAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

inline std::string_view AsStd(absl::string_view s) {
  return std::string_view(s.data(), s.size());
}

}  // namespace evstore

#endif  // EVSTORE_STORAGE_ABSL_STRING_VIEW_H_
