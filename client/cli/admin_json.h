// How `evstore customer` and `evstore token` print results: one JSON object
// per line (NDJSON), lowerCamelCase names and RFC 3339 timestamps as in
// event_json.h. Roles are printed as the CLI spells them ("admin",
// "producer", "consumer"). Examples:
//   {"customer":"orsted-dk","headPosition":17,
//    "createdAt":"2026-11-27T05:00:00.123456Z"}
//   {"tokenId":"3f9a0c1b2d4e","role":"consumer","customers":["orsted-dk"],
//    "description":"orsted-dk nominations","createdAt":"..."}
#ifndef EVSTORE_CLIENT_CLI_ADMIN_JSON_H_
#define EVSTORE_CLIENT_CLI_ADMIN_JSON_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "evstore/v1/admin.pb.h"

namespace evstore::cli {

// "admin", "producer", "consumer"; "unspecified" for anything else.
absl::string_view RoleName(v1::Role role);
// The role named `name` as RoleName spells it; nullopt for any other text.
std::optional<v1::Role> ParseRoleName(absl::string_view name);

// A customer without created_at (created by an older evstored) has no
// createdAt member.
std::string CustomerToJson(const v1::Customer& customer);

std::string TokenInfoToJson(const v1::TokenInfo& info);

// TokenInfoToJson with the secret first: {"token":"evs_...","tokenId":...}.
std::string CreatedTokenToJson(const v1::CreateTokenResponse& response);

// {"customer":"orsted-dk","revokedTokens":2}
std::string DeletedCustomerToJson(absl::string_view customer,
                                  std::uint32_t revoked_tokens);

}  // namespace evstore::cli

#endif  // EVSTORE_CLIENT_CLI_ADMIN_JSON_H_
