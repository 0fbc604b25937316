// Access token generation, shape check, hashing and ids.
#include "storage/access_token.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

using namespace evstore;

TEST_CASE("a generated token has the documented shape") {
  absl::StatusOr<std::string> token = GenerateAccessToken();
  REQUIRE(token.ok());
  REQUIRE(token->size() == kAccessTokenTextSize);
  REQUIRE(token->starts_with("evs_"));
  REQUIRE(token->find('=') == std::string::npos);
  REQUIRE(LooksLikeAccessToken(*token));
}

TEST_CASE("generated tokens differ") {
  std::set<std::string> tokens;
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<std::string> token = GenerateAccessToken();
    REQUIRE(token.ok());
    tokens.insert(*token);
  }
  REQUIRE(tokens.size() == 1000);
}

TEST_CASE("text that is not a token is recognised") {
  const std::string token = *GenerateAccessToken();
  REQUIRE_FALSE(LooksLikeAccessToken(""));
  REQUIRE_FALSE(LooksLikeAccessToken(token.substr(1)));
  REQUIRE_FALSE(LooksLikeAccessToken(token + "A"));
  REQUIRE_FALSE(LooksLikeAccessToken("xyz_" + token.substr(4)));
  std::string bad_char = token;
  bad_char[10] = '+';
  REQUIRE_FALSE(LooksLikeAccessToken(bad_char));
}

TEST_CASE("the hash is SHA-256 of the token text") {
  // SHA-256("abc") from FIPS 180-2, appendix B.1.
  const std::string hash = HashAccessToken("abc");
  REQUIRE(hash.size() == kAccessTokenHashSize);
  REQUIRE(AccessTokenId(hash) == "ba7816bf8f01");
  REQUIRE(HashAccessToken("abd") != hash);
}
