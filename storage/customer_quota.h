// CustomerQuota: the per-customer limits an administrator sets (Admin API
// SetCustomerQuota), and their stored form. Zero in a field means
// "unlimited"; a customer without a quota record has every field zero.
// Enforcement is the server's (server/quota_enforcer.h); storage only keeps
// the values and the stored-bytes figure they are compared with.
#ifndef EVSTORE_STORAGE_CUSTOMER_QUOTA_H_
#define EVSTORE_STORAGE_CUSTOMER_QUOTA_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace evstore {

struct CustomerQuota {
  // Sustained append rate: events and bytes (data, type and metadata keys
  // and values, as counted by the server's max_append_bytes) per second.
  uint64_t append_events_per_second = 0;
  uint64_t append_bytes_per_second = 0;
  // Token bucket sizes: how far an idle customer may burst above the rate.
  // 0 = one second's worth of the rate. Must be 0 when the rate is 0.
  uint64_t append_events_burst = 0;
  uint64_t append_bytes_burst = 0;
  // Concurrent Subscribe calls of the customer.
  uint64_t max_subscriptions = 0;
  // Stored bytes (see EventLog::Usage) at which appends are refused.
  uint64_t max_stored_bytes = 0;

  bool IsUnlimited() const { return *this == CustomerQuota{}; }
  bool operator==(const CustomerQuota&) const = default;
};

// The largest value a rate or burst may have: counts stay exact in a double
// (the token bucket's arithmetic).
inline constexpr uint64_t kMaxQuotaRate = uint64_t{1} << 50;

// INVALID_ARGUMENT, naming the field, for a burst without a rate or a rate
// or burst above kMaxQuotaRate.
absl::Status ValidateCustomerQuota(const CustomerQuota& quota);

// The stored value: version u8 (1) | the six fields in declaration order,
// each u64 BE (49 bytes). A longer value with version 1 is accepted (fields
// appended later are ignored by this build).
std::string EncodeCustomerQuota(const CustomerQuota& quota);
std::optional<CustomerQuota> ParseCustomerQuota(std::string_view value);

}  // namespace evstore

#endif  // EVSTORE_STORAGE_CUSTOMER_QUOTA_H_
