// What AdminService checks and converts before it touches the event log:
// page sizes and page tokens, token requests, and customers and tokens as
// messages. No gRPC calls, no I/O.
#ifndef EVSTORE_SERVER_ADMIN_REQUESTS_H_
#define EVSTORE_SERVER_ADMIN_REQUESTS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "evstore/v1/admin.pb.h"
#include "storage/event_log.h"
#include "storage/token_store.h"

namespace evstore::server {

// List calls: page_size 0 means kDefaultPageSize; more than kMaxPageSize is
// INVALID_ARGUMENT.
inline constexpr uint32_t kDefaultPageSize = 100;
inline constexpr uint32_t kMaxPageSize = 1000;

// A token's description: at most this many bytes of printable UTF-8.
inline constexpr size_t kMaxTokenDescriptionBytes = 256;

// The number of items a List call returns at most.
absl::StatusOr<size_t> PageSize(uint32_t page_size);

// What a page token continues: a page token of one list is refused by the
// other.
enum class PageKind { kCustomers, kTokens };

// The next_page_token of a page whose last item has the key `last` (a
// customer id or a token id). Opaque to clients: base64url of the kind and
// the key.
std::string EncodePageToken(PageKind kind, std::string_view last);

// The key of the last item of the previous page; empty for an empty token
// (the first page). INVALID_ARGUMENT ("page_token: ...") for anything that
// EncodePageToken(kind, ...) did not make from a valid key.
absl::StatusOr<std::string> DecodePageToken(PageKind kind,
                                            std::string_view page_token);

// A List call's page request: its size (PageSize) and the key after which
// it starts (DecodePageToken); the first error of either.
struct PageRequest {
  size_t size = 0;
  std::string after;
};
absl::StatusOr<PageRequest> ParsePageRequest(PageKind kind, uint32_t page_size,
                                             std::string_view page_token);

// ROLE_ADMIN/PRODUCER/CONSUMER; INVALID_ARGUMENT ("role: ...") for
// ROLE_UNSPECIFIED and unknown values.
absl::StatusOr<TokenRole> FromProto(v1::Role role);
v1::Role ToProto(TokenRole role);

// The record of a new token with `hash`, created at `created_at_micros`, as
// `request` asks: customers sorted. INVALID_ARGUMENT naming the field for
// an unspecified role, an invalid or repeated customer id, customers that
// break the role's rules (ValidateTokenRecord), or a description that is
// longer than kMaxTokenDescriptionBytes, not UTF-8 or has control
// characters. Whether the customers exist is not checked here.
absl::StatusOr<TokenRecord> NewTokenRecord(
    const v1::CreateTokenRequest& request, std::string hash,
    int64_t created_at_micros);

// OK when `token_id` has the shape of an AccessTokenId (12 lowercase hex
// digits); INVALID_ARGUMENT ("token_id: ...") otherwise.
absl::Status ValidateTokenId(std::string_view token_id);

// The quota `quota` asks for; INVALID_ARGUMENT naming the field
// ("quota.append_bytes_burst: ...") for one ValidateCustomerQuota refuses.
absl::StatusOr<CustomerQuota> FromProto(const v1::CustomerQuota& quota);
void ToProto(const CustomerQuota& quota, v1::CustomerQuota* out);

// Fills `out` (which should be empty). A customer without a recorded
// creation time gets no created_at.
void ToProto(const CustomerInfo& customer, v1::Customer* out);
void ToProto(const TokenRecord& token, v1::TokenInfo* out);

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_ADMIN_REQUESTS_H_
