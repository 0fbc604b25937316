#include "server/admin_requests.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/proto_conversion.h"
#include "storage/absl_string_view.h"
#include "storage/access_token.h"
#include "storage/names.h"

namespace evstore::server {
namespace {

// The first bytes of a decoded page token: which list it continues.
std::string_view PagePrefix(PageKind kind) {
  switch (kind) {
    case PageKind::kCustomers:
      return "customers:";
    case PageKind::kTokens:
      return "tokens:";
  }
  return "?";
}

absl::Status BadPageToken(PageKind kind) {
  return absl::InvalidArgumentError(absl::StrCat(
      "page_token: not a next_page_token of a previous ",
      kind == PageKind::kCustomers ? "ListCustomers" : "ListTokens",
      " response"));
}

}  // namespace

absl::StatusOr<size_t> PageSize(uint32_t page_size) {
  if (page_size == 0) return kDefaultPageSize;
  if (page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size: ", page_size, " is more than the maximum ", kMaxPageSize));
  }
  return page_size;
}

std::string EncodePageToken(PageKind kind, std::string_view last) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(AsAbsl(PagePrefix(kind)), AsAbsl(last)));
}

absl::StatusOr<std::string> DecodePageToken(PageKind kind,
                                            std::string_view page_token) {
  if (page_token.empty()) return std::string();
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(AsAbsl(page_token), &decoded)) {
    return BadPageToken(kind);
  }
  const std::string_view prefix = PagePrefix(kind);
  if (!std::string_view(decoded).starts_with(prefix)) {
    return BadPageToken(kind);
  }
  std::string last = decoded.substr(prefix.size());
  const bool valid = kind == PageKind::kCustomers
                         ? ValidateCustomerName(last).ok()
                         : ValidateTokenId(last).ok();
  if (!valid) return BadPageToken(kind);
  return last;
}

absl::StatusOr<PageRequest> ParsePageRequest(PageKind kind, uint32_t page_size,
                                             std::string_view page_token) {
  absl::StatusOr<size_t> size = PageSize(page_size);
  if (!size.ok()) return size.status();
  absl::StatusOr<std::string> after = DecodePageToken(kind, page_token);
  if (!after.ok()) return after.status();
  return PageRequest{.size = *size, .after = *std::move(after)};
}

absl::StatusOr<TokenRole> FromProto(v1::Role role) {
  switch (role) {
    case v1::ROLE_ADMIN:
      return TokenRole::kAdmin;
    case v1::ROLE_PRODUCER:
      return TokenRole::kProducer;
    case v1::ROLE_CONSUMER:
      return TokenRole::kConsumer;
    default:
      return absl::InvalidArgumentError(
          "role: required (ROLE_ADMIN, ROLE_PRODUCER or ROLE_CONSUMER)");
  }
}

v1::Role ToProto(TokenRole role) {
  switch (role) {
    case TokenRole::kAdmin:
      return v1::ROLE_ADMIN;
    case TokenRole::kProducer:
      return v1::ROLE_PRODUCER;
    case TokenRole::kConsumer:
      return v1::ROLE_CONSUMER;
  }
  return v1::ROLE_UNSPECIFIED;
}

absl::StatusOr<TokenRecord> NewTokenRecord(
    const v1::CreateTokenRequest& request, std::string hash,
    int64_t created_at_micros) {
  absl::StatusOr<TokenRole> role = FromProto(request.role());
  if (!role.ok()) return role.status();
  TokenRecord record;
  record.hash = std::move(hash);
  record.role = *role;
  record.created_at_micros = created_at_micros;
  for (int i = 0; i < request.customers_size(); ++i) {
    const std::string& customer = request.customers(i);
    const std::string field = absl::StrCat("customers[", i, "]");
    if (absl::Status s = ValidateCustomerName(customer, field); !s.ok()) {
      return s;
    }
    if (std::find(record.customers.begin(), record.customers.end(), customer) !=
        record.customers.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": \"", customer, "\" appears more than once"));
    }
    record.customers.push_back(customer);
  }
  std::sort(record.customers.begin(), record.customers.end());
  if (absl::Status s = ValidateFreeText(request.description(), "description",
                                        kMaxTokenDescriptionBytes);
      !s.ok()) {
    return s;
  }
  record.description = request.description();
  if (absl::Status s = ValidateTokenRecord(record); !s.ok()) return s;
  return record;
}

absl::Status ValidateTokenId(std::string_view token_id) {
  const bool hex = std::all_of(token_id.begin(), token_id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if (token_id.empty()) {
    return absl::InvalidArgumentError("token_id: required");
  }
  if (token_id.size() != 12 || !hex) {
    return absl::InvalidArgumentError(
        "token_id: must be 12 lowercase hex digits, as ListTokens shows it");
  }
  return absl::OkStatus();
}

absl::StatusOr<CustomerQuota> FromProto(const v1::CustomerQuota& quota) {
  CustomerQuota out;
  out.append_events_per_second = quota.append_events_per_second();
  out.append_bytes_per_second = quota.append_bytes_per_second();
  out.append_events_burst = quota.append_events_burst();
  out.append_bytes_burst = quota.append_bytes_burst();
  out.max_subscriptions = quota.max_subscriptions();
  out.max_stored_bytes = quota.max_stored_bytes();
  if (absl::Status s = ValidateCustomerQuota(out); !s.ok()) return s;
  return out;
}

void ToProto(const CustomerQuota& quota, v1::CustomerQuota* out) {
  out->set_append_events_per_second(quota.append_events_per_second);
  out->set_append_bytes_per_second(quota.append_bytes_per_second);
  out->set_append_events_burst(quota.append_events_burst);
  out->set_append_bytes_burst(quota.append_bytes_burst);
  out->set_max_subscriptions(quota.max_subscriptions);
  out->set_max_stored_bytes(quota.max_stored_bytes);
}

void ToProto(const CustomerInfo& customer, v1::Customer* out) {
  out->set_customer(customer.name);
  out->set_head_position(customer.head.value());
  if (customer.created_at_micros.has_value()) {
    MicrosToTimestamp(*customer.created_at_micros, out->mutable_created_at());
  }
  ToProto(customer.quota, out->mutable_quota());
  out->mutable_retention()->set_max_age_seconds(
      customer.retention.max_age_seconds);
  out->mutable_retention()->set_max_bytes(customer.retention.max_bytes);
  out->set_first_retained_position(customer.first_retained.value());
}

void ToProto(const TokenRecord& token, v1::TokenInfo* out) {
  out->set_token_id(AccessTokenId(token.hash));
  out->set_role(ToProto(token.role));
  for (const std::string& customer : token.customers) {
    out->add_customers(customer);
  }
  out->set_description(token.description);
  MicrosToTimestamp(token.created_at_micros, out->mutable_created_at());
}

}  // namespace evstore::server
