// Sink: where the relay delivers a customer's events (a Kafka topic, a
// webhook). The delivery loop (relay/delivery_loop.h) hands it batches in
// feed order and moves the checkpoint only past a batch the sink confirmed.
#ifndef EVSTORE_RELAY_SINK_H_
#define EVSTORE_RELAY_SINK_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "evstore/v1/evstore.pb.h"

namespace evstore::relay {

// What a sink did with a batch, for metrics.
struct DeliveryReport {
  // Events the destination confirmed.
  std::uint64_t delivered = 0;
  // Events given up on and recorded as dead letters instead.
  std::uint64_t dead_lettered = 0;
  // Re-sent requests (webhook) inside this Deliver().
  std::uint64_t retries = 0;
  // How many events at the start of the batch are settled (all of them
  // after OK): after an error the delivery loop may acknowledge these.
  std::size_t settled_prefix = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;

  // Delivers `events` (ascending feed positions; one customer) and returns
  // OK only when every one of them is settled: confirmed by the destination
  // (durably, as far as the destination promises) or dead-lettered. Per
  // stream, an event is not sent before the previous event of that stream
  // in the batch is settled. An error means the batch must be delivered
  // again (parts of it may have arrived: at-least-once). `report` is filled
  // in also on error. Called from one thread at a time.
  [[nodiscard]] virtual absl::Status Deliver(
      absl::Span<const v1::RecordedEvent> events, DeliveryReport& report) = 0;
};

}  // namespace evstore::relay

#endif  // EVSTORE_RELAY_SINK_H_
