#include "relay/relay_metrics.h"

#include <memory>
#include <string>

namespace evstore::relay {

RelayMetrics::RelayMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      delivered_(prometheus::BuildCounter()
                     .Name("evstore_relay_delivered_events_total")
                     .Help("Events the sink confirmed")
                     .Register(*registry_)),
      retries_(prometheus::BuildCounter()
                   .Name("evstore_relay_retries_total")
                   .Help("Deliveries sent again after a failure")
                   .Register(*registry_)),
      dead_letters_(prometheus::BuildCounter()
                        .Name("evstore_relay_dead_letters_total")
                        .Help("Events given up on and dead-lettered")
                        .Register(*registry_)),
      latency_(prometheus::BuildHistogram()
                   .Name("evstore_relay_delivery_latency_seconds")
                   .Help("From the event's recorded_at to the sink's "
                         "confirmation")
                   .Register(*registry_)),
      lag_(prometheus::BuildGauge()
               .Name("evstore_relay_lag_events")
               .Help("The feed's head minus the acknowledged position")
               .Register(*registry_)),
      running_(prometheus::BuildGauge()
                   .Name("evstore_relay_loop_running")
                   .Help("1 while the delivery loop runs, 0 after it failed "
                         "permanently")
                   .Register(*registry_)) {}

SinkMetrics RelayMetrics::ForSink(const std::string& customer,
                                  const std::string& sink) {
  const prometheus::Labels labels = {{"customer", customer}, {"sink", sink}};
  return {
      .delivered = delivered_.Add(labels),
      .retries = retries_.Add(labels),
      .dead_letters = dead_letters_.Add(labels),
      .latency = latency_.Add(labels,
                              prometheus::Histogram::BucketBoundaries{
                                  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                  0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}),
      .lag = lag_.Add(labels),
      .running = running_.Add(labels),
  };
}

}  // namespace evstore::relay
