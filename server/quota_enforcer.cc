#include "server/quota_enforcer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/retry_hint.h"
#include "storage/absl_string_view.h"

namespace evstore::server {
namespace {

// The bucket of one rate quota, or nullopt when the rate is unlimited.
std::optional<TokenBucket> MakeBucket(uint64_t rate, uint64_t burst,
                                      absl::Time now) {
  if (rate == 0) return std::nullopt;
  // Default burst: one second's worth.
  const uint64_t size = burst == 0 ? rate : burst;
  return TokenBucket(static_cast<double>(rate), static_cast<double>(size), now);
}

bool HasRate(const CustomerQuota& quota) {
  return quota.append_events_per_second != 0 ||
         quota.append_bytes_per_second != 0;
}

}  // namespace

SubscriptionSlot::SubscriptionSlot(QuotaEnforcer* enforcer,
                                   std::string customer)
    : enforcer_(enforcer), customer_(std::move(customer)) {}

SubscriptionSlot::SubscriptionSlot(SubscriptionSlot&& other) noexcept
    : enforcer_(std::exchange(other.enforcer_, nullptr)),
      customer_(std::move(other.customer_)) {}

SubscriptionSlot& SubscriptionSlot::operator=(
    SubscriptionSlot&& other) noexcept {
  if (this != &other) {
    Release();
    enforcer_ = std::exchange(other.enforcer_, nullptr);
    customer_ = std::move(other.customer_);
  }
  return *this;
}

SubscriptionSlot::~SubscriptionSlot() { Release(); }

void SubscriptionSlot::Release() {
  if (enforcer_ == nullptr) return;
  std::exchange(enforcer_, nullptr)->ReleaseSubscription(customer_);
}

QuotaEnforcer::QuotaEnforcer(EventLog* log, Clock clock)
    : log_(log), clock_(std::move(clock)) {}

absl::Status QuotaEnforcer::AdmitAppend(const AppendBatch& batch) {
  absl::StatusOr<CustomerUsage> usage = log_->Usage(batch.customer);
  if (!usage.ok()) {  // Unknown (or deleted): the log decides.
    MutexLock lock(&mu_);
    buckets_.erase(batch.customer);
    return absl::OkStatus();
  }
  const CustomerQuota& quota = usage->quota;
  if (quota.max_stored_bytes != 0 &&
      usage->stored_bytes >= quota.max_stored_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("quota max_stored_bytes of customer \"", batch.customer,
                     "\": it stores ", usage->stored_bytes,
                     " bytes of events; the quota is ", quota.max_stored_bytes,
                     " (appends are refused until data is deleted "
                     "or the quota raised); nothing was written"));
  }
  if (!HasRate(quota)) {
    MutexLock lock(&mu_);
    buckets_.erase(batch.customer);
    return absl::OkStatus();
  }
  uint64_t events = 0;
  uint64_t bytes = 0;
  for (const StreamWrite& write : batch.writes) {
    events += write.events.size();
    for (const ProposedEvent& event : write.events) {
      bytes += event.data.size() + event.type.size();
      for (const auto& [key, value] : event.metadata) {
        bytes += key.size() + value.size();
      }
    }
  }
  return TakeRate(batch.customer, quota, events, bytes);
}

absl::Status QuotaEnforcer::TakeRate(const std::string& customer,
                                     const CustomerQuota& quota,
                                     uint64_t events, uint64_t bytes) {
  const absl::Time now = clock_();
  MutexLock lock(&mu_);
  if (!buckets_.contains(customer) && buckets_.size() >= sweep_buckets_at_) {
    // Drops the buckets of deleted customers, so that they stay one pair per
    // existing customer with a rate quota (amortised O(1) per new bucket).
    absl::erase_if(buckets_, [this](const auto& entry) {
      return !log_->Usage(entry.first).ok();
    });
    sweep_buckets_at_ = std::max<size_t>(64, 2 * buckets_.size());
  }
  Buckets& buckets = buckets_[customer];
  if (!(buckets.quota == quota) || (!buckets.events && !buckets.bytes)) {
    buckets.quota = quota;
    buckets.events = MakeBucket(quota.append_events_per_second,
                                quota.append_events_burst, now);
    buckets.bytes = MakeBucket(quota.append_bytes_per_second,
                               quota.append_bytes_burst, now);
  }
  absl::Duration wait = absl::ZeroDuration();
  const char* exceeded = nullptr;
  uint64_t rate = 0;
  if (buckets.events) {
    buckets.events->Refill(now);
    const absl::Duration w =
        buckets.events->TimeUntilAvailable(static_cast<double>(events));
    if (w > wait) {
      wait = w;
      exceeded = "append_events_per_second";
      rate = quota.append_events_per_second;
    }
  }
  if (buckets.bytes) {
    buckets.bytes->Refill(now);
    const absl::Duration w =
        buckets.bytes->TimeUntilAvailable(static_cast<double>(bytes));
    if (w > wait) {
      wait = w;
      exceeded = "append_bytes_per_second";
      rate = quota.append_bytes_per_second;
    }
  }
  if (exceeded == nullptr) {
    if (buckets.events) buckets.events->Take(static_cast<double>(events));
    if (buckets.bytes) buckets.bytes->Take(static_cast<double>(bytes));
    return absl::OkStatus();
  }
  return WithRetryAfter(
      absl::ResourceExhaustedError(absl::StrCat(
          "quota ", exceeded, " of customer \"", customer, "\" (", rate,
          ") exceeded; retry after ",
          absl::FormatDuration(absl::Ceil(wait, absl::Milliseconds(1))),
          " (trailing metadata ", kRetryAfterMetadataKey,
          "); nothing was written")),
      wait);
}

absl::StatusOr<SubscriptionSlot> QuotaEnforcer::AcquireSubscription(
    std::string_view customer) {
  absl::StatusOr<CustomerUsage> usage = log_->Usage(customer);
  const uint64_t max = usage.ok() ? usage->quota.max_subscriptions : 0;
  MutexLock lock(&mu_);
  uint64_t& open = subscriptions_[AsAbsl(customer)];
  if (max != 0 && open >= max) {
    if (open == 0) subscriptions_.erase(AsAbsl(customer));
    return absl::ResourceExhaustedError(absl::StrCat(
        "quota max_subscriptions of customer \"", AsAbsl(customer), "\" (", max,
        ") reached: ", open, " subscriptions are open; close one first"));
  }
  ++open;
  return SubscriptionSlot(this, std::string(customer));
}

uint64_t QuotaEnforcer::Subscriptions(std::string_view customer) const {
  MutexLock lock(&mu_);
  auto it = subscriptions_.find(AsAbsl(customer));
  return it == subscriptions_.end() ? 0 : it->second;
}

void QuotaEnforcer::ReleaseSubscription(const std::string& customer) {
  MutexLock lock(&mu_);
  auto it = subscriptions_.find(customer);
  if (it == subscriptions_.end()) return;
  if (--it->second == 0) subscriptions_.erase(it);
}

}  // namespace evstore::server
