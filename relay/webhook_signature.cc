#include "relay/webhook_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace evstore::relay {

std::string WebhookSignature(absl::string_view secret,
                             std::int64_t timestamp_seconds,
                             absl::string_view body) {
  const std::string message = absl::StrCat(timestamp_seconds, ".", body);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
       digest, &digest_length);
  return absl::StrCat(
      "v1=", absl::BytesToHexString(absl::string_view(
                 reinterpret_cast<const char*>(digest), digest_length)));
}

bool VerifyWebhookSignature(absl::string_view secret,
                            std::int64_t timestamp_seconds,
                            absl::string_view body,
                            absl::string_view signature_header) {
  const std::string expected =
      WebhookSignature(secret, timestamp_seconds, body);
  return expected.size() == signature_header.size() &&
         CRYPTO_memcmp(expected.data(), signature_header.data(),
                       expected.size()) == 0;
}

}  // namespace evstore::relay
