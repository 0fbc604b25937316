// CustomerRetention: how long a customer's events are kept (Admin API
// SetCustomerRetention), its stored form, and the pure decision of which
// feed segments a policy drops (docs/retention.md). The enforcement is
// storage/retention_enforcer.h.
#ifndef EVSTORE_STORAGE_CUSTOMER_RETENTION_H_
#define EVSTORE_STORAGE_CUSTOMER_RETENTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace evstore {

// 0 in a field: no limit of that kind; all zero keeps everything.
struct CustomerRetention {
  // Drop segments whose newest event is older than this.
  uint64_t max_age_seconds = 0;
  // Drop the oldest segments while the customer stores more than this
  // (stored bytes as for the max_stored_bytes quota: see stored_bytes.h).
  uint64_t max_bytes = 0;

  bool KeepsEverything() const { return *this == CustomerRetention{}; }
  bool operator==(const CustomerRetention&) const = default;
};

// The largest max_age_seconds (about 35,000 years): the age in
// microseconds stays far from overflow.
inline constexpr uint64_t kMaxRetentionAgeSeconds = uint64_t{1} << 40;

// INVALID_ARGUMENT, naming the field, for an age above the limit.
absl::Status ValidateCustomerRetention(const CustomerRetention& retention);

// The stored value: version u8 (1) | max_age_seconds u64 BE | max_bytes u64
// BE (17 bytes). A longer value of version 1 is accepted (fields appended
// later are ignored by this build).
std::string EncodeCustomerRetention(const CustomerRetention& retention);
std::optional<CustomerRetention> ParseCustomerRetention(std::string_view value);

// What the retention decision knows of one segment (its segment record).
struct SegmentSummary {
  uint64_t segment = 0;
  int64_t max_recorded_at_micros = 0;
  uint64_t bytes = 0;
};

// The segments `retention` drops, oldest first: given the customer's
// segments in ascending order, the segment holding its head (never dropped,
// nor anything after it), the current time and the customer's stored bytes.
// A segment is dropped when its newest event is older than max_age, or
// while the stored bytes (less what the earlier drops free) exceed
// max_bytes. Drops are a prefix of `segments`: a segment is never dropped
// while an older one is kept, so the retained feed stays contiguous.
std::vector<uint64_t> SegmentsToDrop(
    const std::vector<SegmentSummary>& segments, uint64_t head_segment,
    const CustomerRetention& retention, int64_t now_micros,
    uint64_t stored_bytes);

}  // namespace evstore

#endif  // EVSTORE_STORAGE_CUSTOMER_RETENTION_H_
