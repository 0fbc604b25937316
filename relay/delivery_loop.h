// DeliveryLoop: moves one customer's feed into one sink, resuming from the
// server-side checkpoint "relay:<sink>" (docs/relay.md, "Delivery
// semantics").
//
// It reads the feed with a ResumingSubscription in AckMode::kExplicit and
// auto-commit, collects the events that are already available (up to
// `max_batch` events and `max_batch_bytes`) and hands them to the sink. Only
// when the sink settled the batch (confirmed or dead-lettered every event) does
// it acknowledge the batch's last position; auto-commit then commits it. A
// failed batch is retried with backoff until it succeeds or the loop is
// stopped, so the checkpoint never passes an unsettled event: a crash
// re-delivers at most the events after the last commit (at-least-once;
// receivers deduplicate by event id).
#ifndef EVSTORE_RELAY_DELIVERY_LOOP_H_
#define EVSTORE_RELAY_DELIVERY_LOOP_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "client/evstore_client.h"
#include "relay/relay_metrics.h"
#include "relay/sink.h"

namespace evstore::relay {

struct DeliveryLoopOptions {
  std::string customer = {};
  // The checkpoint name ("relay:<sink>").
  std::string checkpoint = {};
  // Where a sink without a checkpoint starts.
  bool start_at_end = false;
  // The largest batch handed to the sink: events, and bytes of event data
  // (a batch ends with the event that reaches max_batch_bytes, so one event
  // larger than it is a batch of its own). Together they bound the relay's
  // memory per loop.
  std::size_t max_batch = 500;
  std::uint64_t max_batch_bytes = std::uint64_t{16} << 20;
  // Auto-commit cadence of acknowledged positions.
  std::uint64_t commit_every_events = 100;
  absl::Duration commit_every = absl::Seconds(1);
  // Waits between attempts of a failed batch.
  absl::Duration retry_initial_backoff = absl::Milliseconds(200);
  absl::Duration retry_max_backoff = absl::Seconds(30);
  // How often the feed's head is read (Read backwards, one event without
  // data) for the lag gauge; received positions raise it in between.
  absl::Duration head_poll_interval = absl::Seconds(5);
};

class DeliveryLoop {
 public:
  // `client` (connected with a token allowed to subscribe to and commit
  // checkpoints of the customer) and `metrics` must outlive the loop.
  DeliveryLoop(const client::Client& client, DeliveryLoopOptions options,
               std::unique_ptr<Sink> sink, SinkMetrics metrics);
  DeliveryLoop(const DeliveryLoop&) = delete;
  DeliveryLoop& operator=(const DeliveryLoop&) = delete;

  // Delivers until `stop` is notified (then commits what was acknowledged
  // and returns the commit's status) or the feed fails permanently (returns
  // that error, e.g. PERMISSION_DENIED). Call once.
  absl::Status Run(const absl::Notification& stop);

  // The highest acknowledged (settled) position. Thread-safe.
  std::uint64_t acknowledged_position() const { return acknowledged_; }

 private:
  // Delivers `batch` until the sink settles it (OK) or `stop` (CANCELLED);
  // acknowledges the settled prefix after each attempt.
  absl::Status DeliverBatch(const std::vector<v1::RecordedEvent>& batch,
                            client::ResumingSubscription& subscription,
                            const absl::Notification& stop);
  void Acknowledge(client::ResumingSubscription& subscription,
                   std::uint64_t position);
  // Learns a head position (received, caught-up or heartbeat position).
  void SeeHead(std::uint64_t position);
  // Reads the feed's head when head_poll_interval passed since the last
  // read, and sets the lag gauge.
  void MaybePollHead();
  void UpdateLag();

  const client::Client& client_;
  const DeliveryLoopOptions options_;
  const std::unique_ptr<Sink> sink_;
  const SinkMetrics metrics_;
  std::atomic<std::uint64_t> acknowledged_{0};
  // The highest head position known: received, caught-up and heartbeat
  // positions and the polled head (for the lag gauge).
  std::uint64_t head_ = 0;
  absl::Time next_head_poll_ = absl::InfinitePast();
};

}  // namespace evstore::relay

#endif  // EVSTORE_RELAY_DELIVERY_LOOP_H_
