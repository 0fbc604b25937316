// AtomicHistogram: a Prometheus histogram that observes without a lock
// (prometheus::Histogram takes a mutex per observation), for the append and
// subscription paths.
#ifndef EVSTORE_SERVER_METRICS_ATOMIC_HISTOGRAM_H_
#define EVSTORE_SERVER_METRICS_ATOMIC_HISTOGRAM_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "prometheus/client_metric.h"

namespace evstore::server {

// Thread-safe. Observe is wait-free apart from one compare-and-swap loop on
// the sum. A concurrent Collect may see an observation in its bucket but not
// yet in the sum or count (or the reverse); the next scrape is consistent.
class AtomicHistogram {
 public:
  // `upper_bounds` must be strictly increasing; +Inf is implied.
  explicit AtomicHistogram(std::vector<double> upper_bounds);
  AtomicHistogram(const AtomicHistogram&) = delete;
  AtomicHistogram& operator=(const AtomicHistogram&) = delete;

  // Observes `value` `count` times.
  void Observe(double value, uint64_t count = 1);

  // Cumulative buckets (the last is +Inf), the count and the sum.
  prometheus::ClientMetric Collect() const;

  // Bucket bounds for common units.
  // 100 µs .. 10 s, roughly x2.5 per step.
  static std::vector<double> LatencySeconds();
  // 1, 2, 4, ..., 2^max_power.
  static std::vector<double> PowersOfTwo(int max_power);

 private:
  const std::vector<double> upper_bounds_;
  // One per bound plus +Inf; not cumulative.
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0.0};
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_METRICS_ATOMIC_HISTOGRAM_H_
