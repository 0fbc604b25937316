#include "storage/access_token.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/absl_string_view.h"

namespace evstore {
namespace {

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

absl::StatusOr<std::string> GenerateAccessToken() {
  std::array<unsigned char, kAccessTokenRandomBytes> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    return absl::InternalError(
        "cannot create a token: the random number generator failed");
  }
  std::string encoded;
  absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(random.data()),
                        random.size()),
      &encoded);
  return absl::StrCat(AsAbsl(kAccessTokenPrefix), encoded);
}

bool LooksLikeAccessToken(std::string_view text) {
  if (text.size() != kAccessTokenTextSize) return false;
  if (!text.starts_with(kAccessTokenPrefix)) return false;
  for (char c : text.substr(kAccessTokenPrefix.size())) {
    if (!IsBase64UrlChar(c)) return false;
  }
  return true;
}

std::string HashAccessToken(std::string_view token) {
  std::string hash(kAccessTokenHashSize, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(),
         reinterpret_cast<unsigned char*>(hash.data()));
  return hash;
}

std::string AccessTokenId(std::string_view hash) {
  return absl::BytesToHexString(AsAbsl(hash.substr(0, 6)));
}

}  // namespace evstore
