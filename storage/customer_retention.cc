#include "storage/customer_retention.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "storage/key_format.h"

namespace evstore {
namespace {

constexpr char kRetentionValueVersion = 1;
constexpr size_t kRetentionValueSize = 1 + 2 * 8;

}  // namespace

absl::Status ValidateCustomerRetention(const CustomerRetention& retention) {
  if (retention.max_age_seconds > kMaxRetentionAgeSeconds) {
    return absl::InvalidArgumentError(
        absl::StrCat("retention.max_age_seconds: ", retention.max_age_seconds,
                     " is above the limit ", kMaxRetentionAgeSeconds));
  }
  return absl::OkStatus();
}

std::string EncodeCustomerRetention(const CustomerRetention& retention) {
  std::string value;
  value.push_back(kRetentionValueVersion);
  keys::AppendU64(&value, retention.max_age_seconds);
  keys::AppendU64(&value, retention.max_bytes);
  return value;
}

std::optional<CustomerRetention> ParseCustomerRetention(
    std::string_view value) {
  if (value.size() < kRetentionValueSize ||
      value[0] != kRetentionValueVersion) {
    return std::nullopt;
  }
  return CustomerRetention{keys::ReadU64(value.data() + 1),
                           keys::ReadU64(value.data() + 9)};
}

std::vector<uint64_t> SegmentsToDrop(
    const std::vector<SegmentSummary>& segments, uint64_t head_segment,
    const CustomerRetention& retention, int64_t now_micros,
    uint64_t stored_bytes) {
  std::vector<uint64_t> drop;
  if (retention.KeepsEverything()) return drop;
  // Writes are validated against kMaxRetentionAgeSeconds, but a stored
  // record is read back unchecked: a larger age (a corrupt record) would
  // overflow below and, wrapped negative, drop every segment. Any age above
  // the limit keeps events for as long as the limit does.
  const int64_t max_age_micros =
      static_cast<int64_t>(
          std::min(retention.max_age_seconds, kMaxRetentionAgeSeconds)) *
      1'000'000;
  uint64_t remaining = stored_bytes;
  for (const SegmentSummary& s : segments) {
    if (s.segment >= head_segment) break;
    const bool too_old = retention.max_age_seconds > 0 &&
                         s.max_recorded_at_micros < now_micros - max_age_micros;
    const bool too_big =
        retention.max_bytes > 0 && remaining > retention.max_bytes;
    if (!too_old && !too_big) break;
    drop.push_back(s.segment);
    remaining -= std::min(remaining, s.bytes);
  }
  return drop;
}

}  // namespace evstore
