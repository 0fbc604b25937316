// KafkaSink: publishes events to a Kafka topic (also Azure Event Hubs'
// Kafka endpoint, Redpanda, ...) with librdkafka's idempotent producer and
// acks=all. Record layout: docs/relay.md, "Kafka / Event Hubs sink".
#ifndef EVSTORE_RELAY_KAFKA_SINK_H_
#define EVSTORE_RELAY_KAFKA_SINK_H_

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "relay/sink.h"

namespace evstore::relay {

struct KafkaSinkOptions {
  std::string topic = {};
  // The CloudEvents source header.
  std::string source = {};
  std::uint64_t claim_check_bytes = 900'000;
  // librdkafka properties, secrets already resolved. enable.idempotence and
  // acks=all are set by the sink.
  std::vector<std::pair<std::string, std::string>> properties = {};
};

class KafkaSink final : public Sink {
 public:
  // Creates the producer. INVALID_ARGUMENT names a property librdkafka
  // rejects (not its value: it may be a secret). `stop` (may be null) makes
  // a Deliver() that waits for delivery reports purge what is queued and in
  // flight and return CANCELLED, instead of waiting up to
  // message.timeout.ms (300 s by default) for an unreachable cluster.
  static absl::StatusOr<std::unique_ptr<KafkaSink>> Create(
      KafkaSinkOptions options, const absl::Notification* stop = nullptr);
  // Waits up to 10 s for messages still queued, then destroys the producer.
  ~KafkaSink() override;
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;

  // Produces every event (key = stream, value = data or nothing for a claim
  // check, CloudEvents headers) and returns when librdkafka reported the
  // delivery of each: OK when all were acknowledged by all in-sync
  // replicas, otherwise the first delivery error (UNAVAILABLE), or
  // CANCELLED (stop). After a fatal producer error the producer is
  // re-created by the next call.
  absl::Status Deliver(absl::Span<const v1::RecordedEvent> events,
                       DeliveryReport& report) override;

 private:
  KafkaSink(KafkaSinkOptions options, const absl::Notification* stop);
  // Makes the producer (producer_ must be null).
  absl::Status MakeProducer();
  // Queues one event; its delivery report writes `*result`.
  absl::Status Produce(const v1::RecordedEvent& event,
                       rd_kafka_resp_err_t* result);
  // librdkafka's delivery report callback (runs inside rd_kafka_poll on the
  // delivering thread).
  static void OnDelivery(rd_kafka_t* producer,
                         const rd_kafka_message_t* message, void* opaque);

  const KafkaSinkOptions options_;
  const absl::Notification* const stop_;
  rd_kafka_t* producer_ = nullptr;
  // Messages of the current Deliver() without a delivery report yet.
  std::uint64_t outstanding_ = 0;
};

}  // namespace evstore::relay

#endif  // EVSTORE_RELAY_KAFKA_SINK_H_
