// QuotaEnforcer: applies the per-customer quotas (storage/customer_quota.h)
// before an append is queued and when a subscription starts.
//
// - Append rate: two token buckets per customer (events/s and bytes/s, the
//   bytes counted as for max_append_bytes: data, type, metadata keys and
//   values). An append takes from both or from neither. Over the rate:
//   RESOURCE_EXHAUSTED naming the quota, with a retry hint (retry_hint.h) of
//   the time until both buckets hold enough.
// - Stored bytes: appends are refused (RESOURCE_EXHAUSTED, no retry hint:
//   waiting does not help) once EventLog::Usage's stored_bytes has reached
//   max_stored_bytes; the append that crosses it is still accepted. Reads
//   and subscriptions are not affected.
// - Subscriptions: at most max_subscriptions concurrent Subscribe calls per
//   customer (RESOURCE_EXHAUSTED, no retry hint); a slot is held by a
//   SubscriptionSlot for the life of the call.
//
// Quotas are read from the EventLog on every check (memory only), so a
// SetCustomerQuota applies to the next append. Memory: buckets exist only
// for existing customers with a rate quota (an append of a customer whose
// quota has no rate, or that does not exist, drops its buckets, and the
// buckets of deleted customers are swept whenever the map has doubled), and
// one counter per customer with open subscriptions. Unknown customers pass: the
// EventLog decides about them.
#ifndef EVSTORE_SERVER_QUOTA_ENFORCER_H_
#define EVSTORE_SERVER_QUOTA_ENFORCER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "server/token_bucket.h"
#include "storage/event_log.h"
#include "storage/records.h"

namespace evstore::server {

class QuotaEnforcer;

// One subscription's slot in its customer's max_subscriptions; released on
// destruction (or when moved from). Move-only.
class SubscriptionSlot {
 public:
  SubscriptionSlot() = default;
  SubscriptionSlot(SubscriptionSlot&& other) noexcept;
  SubscriptionSlot& operator=(SubscriptionSlot&& other) noexcept;
  ~SubscriptionSlot();

 private:
  friend class QuotaEnforcer;
  SubscriptionSlot(QuotaEnforcer* enforcer, std::string customer);
  void Release();

  QuotaEnforcer* enforcer_ = nullptr;
  std::string customer_;
};

// Thread-safe.
class QuotaEnforcer {
 public:
  using Clock = std::function<absl::Time()>;

  // `log` must outlive the enforcer; the enforcer must outlive every slot.
  explicit QuotaEnforcer(EventLog* log, Clock clock = &absl::Now);
  QuotaEnforcer(const QuotaEnforcer&) = delete;
  QuotaEnforcer& operator=(const QuotaEnforcer&) = delete;

  // OK when `batch` (a validated append) may be queued; otherwise
  // RESOURCE_EXHAUSTED as described above. Takes the append's tokens.
  absl::Status AdmitAppend(const AppendBatch& batch);

  // A slot for a new subscription of `customer`, or RESOURCE_EXHAUSTED.
  absl::StatusOr<SubscriptionSlot> AcquireSubscription(
      std::string_view customer);

  // The customer's open subscriptions (for tests and diagnostics).
  uint64_t Subscriptions(std::string_view customer) const;

 private:
  friend class SubscriptionSlot;
  struct Buckets {
    CustomerQuota quota;  // The quota the buckets were made for.
    std::optional<TokenBucket> events;
    std::optional<TokenBucket> bytes;
  };

  void ReleaseSubscription(const std::string& customer);
  absl::Status TakeRate(const std::string& customer, const CustomerQuota& quota,
                        uint64_t events, uint64_t bytes);

  EventLog* const log_;
  const Clock clock_;
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, Buckets> buckets_ ABSL_GUARDED_BY(mu_);
  size_t sweep_buckets_at_ ABSL_GUARDED_BY(mu_) = 64;
  absl::flat_hash_map<std::string, uint64_t> subscriptions_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_QUOTA_ENFORCER_H_
