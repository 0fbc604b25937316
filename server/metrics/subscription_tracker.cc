#include "server/metrics/subscription_tracker.h"

#include <utility>

namespace evstore::server {

SubscriptionTracker::SubscriptionTracker(std::shared_ptr<CustomerSeries> series,
                                         AtomicHistogram* lag_histogram,
                                         uint64_t start_after)
    : series_(std::move(series)),
      lag_histogram_(lag_histogram),
      delivered_(start_after) {
  MutexLock lock(&series_->mu);
  series_->subscriptions.insert(this);
}

SubscriptionTracker::~SubscriptionTracker() { End(); }

void SubscriptionTracker::OnDelivered(size_t events, uint64_t delivered,
                                      uint64_t head) {
  if (events > 0) {
    series_->delivered_events.fetch_add(events, std::memory_order_relaxed);
  }
  delivered_.store(delivered, std::memory_order_relaxed);
  lag_histogram_->Observe(
      head > delivered ? static_cast<double>(head - delivered) : 0.0);
}

void SubscriptionTracker::End() {
  if (ended_.exchange(true)) return;
  MutexLock lock(&series_->mu);
  series_->subscriptions.erase(this);
}

}  // namespace evstore::server
