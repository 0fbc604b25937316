#include "client/cli/admin_json.h"

#include <utility>

#include "client/cli/json_object.h"
#include "client/cli/json_text.h"

namespace evstore::cli {
namespace {

void AddTokenInfo(const v1::TokenInfo& info, JsonObject& object) {
  std::string customers = "[";
  for (const std::string& customer : info.customers()) {
    if (customers.size() > 1) customers += ',';
    AppendJsonString(customers, customer);
  }
  customers += ']';
  object.String("tokenId", info.token_id())
      .String("role", RoleName(info.role()))
      .Raw("customers", customers)
      .String("description", info.description());
  if (info.has_created_at()) {
    object.String("createdAt", TimestampText(info.created_at()));
  }
}

}  // namespace

absl::string_view RoleName(v1::Role role) {
  switch (role) {
    case v1::ROLE_ADMIN:
      return "admin";
    case v1::ROLE_PRODUCER:
      return "producer";
    case v1::ROLE_CONSUMER:
      return "consumer";
    default:
      return "unspecified";
  }
}

std::optional<v1::Role> ParseRoleName(absl::string_view name) {
  for (v1::Role role : {v1::ROLE_ADMIN, v1::ROLE_PRODUCER, v1::ROLE_CONSUMER}) {
    if (name == RoleName(role)) return role;
  }
  return std::nullopt;
}

std::string CustomerToJson(const v1::Customer& customer) {
  JsonObject object;
  object.String("customer", customer.customer())
      .Number("headPosition", customer.head_position());
  if (customer.has_created_at()) {
    object.String("createdAt", TimestampText(customer.created_at()));
  }
  return std::move(object).Finish();
}

std::string TokenInfoToJson(const v1::TokenInfo& info) {
  JsonObject object;
  AddTokenInfo(info, object);
  return std::move(object).Finish();
}

std::string CreatedTokenToJson(const v1::CreateTokenResponse& response) {
  JsonObject object;
  object.String("token", response.token());
  AddTokenInfo(response.info(), object);
  return std::move(object).Finish();
}

std::string DeletedCustomerToJson(absl::string_view customer,
                                  std::uint32_t revoked_tokens) {
  JsonObject object;
  object.String("customer", customer).Number("revokedTokens", revoked_tokens);
  return std::move(object).Finish();
}

}  // namespace evstore::cli
