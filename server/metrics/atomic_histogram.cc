#include "server/metrics/atomic_histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace evstore::server {

AtomicHistogram::AtomicHistogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) counts_[i] = 0;
}

void AtomicHistogram::Observe(double value, uint64_t count) {
  if (count == 0) return;
  // Prometheus buckets are "less than or equal": the first bound >= value.
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) -
      upper_bounds_.begin());
  counts_[bucket].fetch_add(count, std::memory_order_relaxed);
  const double added = value * static_cast<double>(count);
  double sum = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(sum, sum + added,
                                     std::memory_order_relaxed)) {
  }
}

prometheus::ClientMetric AtomicHistogram::Collect() const {
  prometheus::ClientMetric metric;
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    metric.histogram.bucket.push_back(prometheus::ClientMetric::Bucket{
        .cumulative_count = cumulative,
        .upper_bound = i < upper_bounds_.size()
                           ? upper_bounds_[i]
                           : std::numeric_limits<double>::infinity()});
  }
  metric.histogram.sample_count = cumulative;
  metric.histogram.sample_sum = sum_.load(std::memory_order_relaxed);
  return metric;
}

std::vector<double> AtomicHistogram::LatencySeconds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

std::vector<double> AtomicHistogram::PowersOfTwo(int max_power) {
  std::vector<double> bounds;
  for (int power = 0; power <= max_power; ++power) {
    bounds.push_back(std::ldexp(1.0, power));
  }
  return bounds;
}

}  // namespace evstore::server
