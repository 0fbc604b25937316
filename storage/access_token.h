// Access tokens: the secrets that authenticate API calls. A token is shown
// once, when it is created; only its SHA-256 hash is ever stored, and calls
// are authenticated by looking that hash up.
#ifndef EVSTORE_STORAGE_ACCESS_TOKEN_H_
#define EVSTORE_STORAGE_ACCESS_TOKEN_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace evstore {

// Every token starts with this, so that a leaked one is easy to recognise
// (and to scan for in logs and repositories).
inline constexpr std::string_view kAccessTokenPrefix = "evs_";
// 256 random bits, as 43 characters of unpadded base64url.
inline constexpr size_t kAccessTokenRandomBytes = 32;
inline constexpr size_t kAccessTokenTextSize = 4 + 43;
// The size of HashAccessToken's result.
inline constexpr size_t kAccessTokenHashSize = 32;

// A new token: kAccessTokenPrefix followed by kAccessTokenRandomBytes from
// OpenSSL's CSPRNG (RAND_bytes) in unpadded base64url. Fails with INTERNAL
// when the CSPRNG fails (never returns a weak token).
absl::StatusOr<std::string> GenerateAccessToken();

// True when `text` has the shape of a token (prefix, size, alphabet); says
// nothing about whether it exists.
bool LooksLikeAccessToken(std::string_view text);

// The SHA-256 of the token's text, kAccessTokenHashSize raw bytes: what is
// stored and looked up.
//
// A fast hash is right here, unlike for passwords: a token carries 256 bits
// of entropy, so even a stolen hash cannot be inverted by guessing, however
// many guesses per second an attacker makes. Slow hashes (bcrypt, Argon2)
// protect low-entropy secrets only, and would cost every call the server
// authenticates.
std::string HashAccessToken(std::string_view token);

// The public id of a token, shown by ListTokens and used by RevokeToken:
// the first 12 hex digits of its hash. `hash` is a HashAccessToken result.
std::string AccessTokenId(std::string_view hash);

}  // namespace evstore

#endif  // EVSTORE_STORAGE_ACCESS_TOKEN_H_
