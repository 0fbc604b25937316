// CustomerSeries: the per-customer measurements behind the series labelled
// `customer`. Held by shared_ptr: ServerMetrics drops a deleted customer's
// entry (its series disappear), while the subscriptions still running hold
// theirs until they end.
#ifndef EVSTORE_SERVER_METRICS_CUSTOMER_SERIES_H_
#define EVSTORE_SERVER_METRICS_CUSTOMER_SERIES_H_

#include <atomic>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "base/mutex.h"

namespace evstore::server {

class SubscriptionTracker;

struct CustomerSeries {
  // Durable events and their data bytes (counters).
  std::atomic<uint64_t> appended_events{0};
  std::atomic<uint64_t> appended_bytes{0};
  // Events written to subscribers (counter).
  std::atomic<uint64_t> delivered_events{0};
  // Feed segments and their events dropped by retention (counters).
  std::atomic<uint64_t> retention_dropped_segments{0};
  std::atomic<uint64_t> retention_dropped_events{0};

  // The open subscriptions; registered and removed once each, read by scrapes.
  Mutex mu;
  absl::flat_hash_set<const SubscriptionTracker*> subscriptions
      ABSL_GUARDED_BY(mu);
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_METRICS_CUSTOMER_SERIES_H_
