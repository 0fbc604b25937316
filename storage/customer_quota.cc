#include "storage/customer_quota.h"

#include "absl/strings/str_cat.h"
#include "storage/absl_string_view.h"
#include "storage/key_format.h"

namespace evstore {
namespace {

constexpr char kQuotaValueVersion = 1;
constexpr size_t kQuotaValueSize = 1 + 6 * 8;

absl::Status CheckRate(uint64_t rate, uint64_t burst,
                       std::string_view rate_name,
                       std::string_view burst_name) {
  if (rate > kMaxQuotaRate) {
    return absl::InvalidArgumentError(
        absl::StrCat("quota.", AsAbsl(rate_name), ": ", rate,
                     " is above the limit ", kMaxQuotaRate));
  }
  if (burst > kMaxQuotaRate) {
    return absl::InvalidArgumentError(
        absl::StrCat("quota.", AsAbsl(burst_name), ": ", burst,
                     " is above the limit ", kMaxQuotaRate));
  }
  if (rate == 0 && burst != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "quota.", AsAbsl(burst_name), ": a burst needs a rate (quota.",
        AsAbsl(rate_name), " is 0, unlimited)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateCustomerQuota(const CustomerQuota& quota) {
  if (absl::Status s =
          CheckRate(quota.append_events_per_second, quota.append_events_burst,
                    "append_events_per_second", "append_events_burst");
      !s.ok()) {
    return s;
  }
  return CheckRate(quota.append_bytes_per_second, quota.append_bytes_burst,
                   "append_bytes_per_second", "append_bytes_burst");
}

std::string EncodeCustomerQuota(const CustomerQuota& quota) {
  std::string value;
  value.push_back(kQuotaValueVersion);
  for (uint64_t field :
       {quota.append_events_per_second, quota.append_bytes_per_second,
        quota.append_events_burst, quota.append_bytes_burst,
        quota.max_subscriptions, quota.max_stored_bytes}) {
    keys::AppendU64(&value, field);
  }
  return value;
}

std::optional<CustomerQuota> ParseCustomerQuota(std::string_view value) {
  if (value.size() < kQuotaValueSize || value[0] != kQuotaValueVersion) {
    return std::nullopt;
  }
  const char* p = value.data() + 1;
  CustomerQuota quota;
  for (uint64_t* field :
       {&quota.append_events_per_second, &quota.append_bytes_per_second,
        &quota.append_events_burst, &quota.append_bytes_burst,
        &quota.max_subscriptions, &quota.max_stored_bytes}) {
    *field = keys::ReadU64(p);
    p += 8;
  }
  return quota;
}

}  // namespace evstore
