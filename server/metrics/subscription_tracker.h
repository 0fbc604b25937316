// SubscriptionTracker: one open subscription as the metrics see it: counted
// among its customer's active subscriptions from construction until End (or
// destruction), with the position it has delivered up to, from which
// scrapes compute its lag.
#ifndef EVSTORE_SERVER_METRICS_SUBSCRIPTION_TRACKER_H_
#define EVSTORE_SERVER_METRICS_SUBSCRIPTION_TRACKER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "server/metrics/atomic_histogram.h"
#include "server/metrics/customer_series.h"

namespace evstore::server {

// Thread-safe. `lag_histogram` must outlive the tracker.
class SubscriptionTracker {
 public:
  SubscriptionTracker(std::shared_ptr<CustomerSeries> series,
                      AtomicHistogram* lag_histogram, uint64_t start_after);
  SubscriptionTracker(const SubscriptionTracker&) = delete;
  SubscriptionTracker& operator=(const SubscriptionTracker&) = delete;
  ~SubscriptionTracker();

  // One fetch advanced the subscription to `delivered` and wrote `events`
  // matching events; `head` is the feed's visible head the fetch saw. Once
  // per batch (not per event): one atomic add, one store, one histogram
  // observation of head - delivered.
  void OnDelivered(size_t events, uint64_t delivered, uint64_t head);

  // The subscription ended: no longer counted as active. Idempotent.
  void End();

  // Every matching event up to this position has been delivered.
  uint64_t delivered() const {
    return delivered_.load(std::memory_order_relaxed);
  }

 private:
  const std::shared_ptr<CustomerSeries> series_;
  AtomicHistogram* const lag_histogram_;
  std::atomic<uint64_t> delivered_;
  std::atomic<bool> ended_{false};
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_METRICS_SUBSCRIPTION_TRACKER_H_
