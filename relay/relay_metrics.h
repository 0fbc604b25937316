// RelayMetrics: the relay's Prometheus series (docs/relay.md, "Metrics"),
// labelled by customer and sink.
#ifndef EVSTORE_RELAY_RELAY_METRICS_H_
#define EVSTORE_RELAY_RELAY_METRICS_H_

#include <memory>
#include <string>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace evstore::relay {

// The series of one (customer, sink). The references stay valid as long as
// the RelayMetrics that made them. prometheus-cpp's metrics are thread-safe.
struct SinkMetrics {
  prometheus::Counter& delivered;
  prometheus::Counter& retries;
  prometheus::Counter& dead_letters;
  // recorded_at to the sink's confirmation, seconds.
  prometheus::Histogram& latency;
  // The feed's head minus the acknowledged position (events); the
  // checkpoint follows the acknowledged position within commit_every.
  prometheus::Gauge& lag;
  // 1 while the delivery loop runs, 0 once it stopped on a permanent feed
  // error (e.g. a token that may not read the customer).
  prometheus::Gauge& running;
};

class RelayMetrics {
 public:
  RelayMetrics();
  RelayMetrics(const RelayMetrics&) = delete;
  RelayMetrics& operator=(const RelayMetrics&) = delete;

  // The series of (customer, sink), created on first use. Thread-safe.
  SinkMetrics ForSink(const std::string& customer, const std::string& sink);

  // What the Prometheus endpoint serves.
  const std::shared_ptr<prometheus::Registry>& registry() const {
    return registry_;
  }

 private:
  const std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& delivered_;
  prometheus::Family<prometheus::Counter>& retries_;
  prometheus::Family<prometheus::Counter>& dead_letters_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Gauge>& lag_;
  prometheus::Family<prometheus::Gauge>& running_;
};

}  // namespace evstore::relay

#endif  // EVSTORE_RELAY_RELAY_METRICS_H_
