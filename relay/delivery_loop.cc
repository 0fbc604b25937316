#include "relay/delivery_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/types/span.h"
#include "client/resuming_subscription.h"
#include "relay/backoff.h"

namespace evstore::relay {
namespace {

// How long one Next() waits when nothing is pending (bounds the reaction to
// `stop`).
constexpr absl::Duration kIdleWait = absl::Milliseconds(200);

double SecondsSinceRecorded(const v1::RecordedEvent& event, absl::Time now) {
  const absl::Time recorded =
      absl::FromUnixSeconds(event.recorded_at().seconds()) +
      absl::Nanoseconds(event.recorded_at().nanos());
  return std::max(0.0, absl::ToDoubleSeconds(now - recorded));
}

}  // namespace

DeliveryLoop::DeliveryLoop(const client::Client& client,
                           DeliveryLoopOptions options,
                           std::unique_ptr<Sink> sink, SinkMetrics metrics)
    : client_(client),
      options_(std::move(options)),
      sink_(std::move(sink)),
      metrics_(metrics) {}

void DeliveryLoop::Acknowledge(client::ResumingSubscription& subscription,
                               std::uint64_t position) {
  if (position <= acknowledged_) return;
  subscription.Ack(position);
  acknowledged_ = position;
  UpdateLag();
}

void DeliveryLoop::SeeHead(std::uint64_t position) {
  head_ = std::max(head_, position);
}

void DeliveryLoop::UpdateLag() {
  const std::uint64_t acknowledged = acknowledged_;
  metrics_.lag.Set(
      static_cast<double>(head_ > acknowledged ? head_ - acknowledged : 0));
}

void DeliveryLoop::MaybePollHead() {
  const absl::Time now = absl::Now();
  if (now < next_head_poll_) return;
  next_head_poll_ = now + options_.head_poll_interval;
  v1::ReadRequest read;
  read.set_customer(options_.customer);
  read.set_direction(v1::READ_DIRECTION_BACKWARDS);
  read.set_max_count(1);
  read.set_include_data(false);
  // A failure leaves the last known head; the feed reports real problems.
  if (absl::StatusOr<std::vector<v1::RecordedEvent>> last =
          client_.ReadAll(read);
      last.ok() && !last->empty()) {
    SeeHead(last->front().position());
  }
  UpdateLag();
}

absl::Status DeliveryLoop::DeliverBatch(
    const std::vector<v1::RecordedEvent>& batch,
    client::ResumingSubscription& subscription,
    const absl::Notification& stop) {
  // The part of the batch not settled yet; only it is delivered again (a
  // Kafka batch settles out of order, so events after a failed one may
  // arrive twice).
  absl::Span<const v1::RecordedEvent> rest(batch);
  for (int attempt = 1;; ++attempt) {
    MaybePollHead();
    DeliveryReport report;
    absl::Status status = sink_->Deliver(rest, report);
    const absl::Time now = absl::Now();
    metrics_.delivered.Increment(static_cast<double>(report.delivered));
    metrics_.dead_letters.Increment(static_cast<double>(report.dead_lettered));
    metrics_.retries.Increment(static_cast<double>(report.retries));
    const std::size_t settled =
        status.ok() ? rest.size()
                    : std::min(report.settled_prefix, rest.size());
    for (std::size_t i = 0; i < settled; ++i) {
      metrics_.latency.Observe(SecondsSinceRecorded(rest[i], now));
    }
    if (settled > 0) Acknowledge(subscription, rest[settled - 1].position());
    if (status.ok()) return status;
    rest.remove_prefix(settled);
    if (rest.empty()) return absl::OkStatus();
    if (status.code() == absl::StatusCode::kCancelled ||
        stop.HasBeenNotified()) {
      return absl::CancelledError("relay stopping");
    }
    spdlog::warn(
        "relay {} -> {}: delivery from position {} failed (attempt {}): {}",
        options_.customer, options_.checkpoint, rest.front().position(),
        attempt, status.ToString());
    metrics_.retries.Increment();
    if (stop.WaitForNotificationWithTimeout(
            BackoffWithJitter(attempt, options_.retry_initial_backoff,
                              options_.retry_max_backoff))) {
      return absl::CancelledError("relay stopping");
    }
  }
}

absl::Status DeliveryLoop::Run(const absl::Notification& stop) {
  client::ResumingSubscriptionOptions subscribe;
  subscribe.customer = options_.customer;
  subscribe.checkpoint = options_.checkpoint;
  subscribe.start = client::SubscriptionStart::FromCheckpoint(
      options_.start_at_end ? v1::SUBSCRIBE_START_END
                            : v1::SUBSCRIBE_START_BEGINNING);
  subscribe.ack_mode = client::AckMode::kExplicit;
  subscribe.auto_commit = {.enabled = true,
                           .every_events = options_.commit_every_events,
                           .every = options_.commit_every};
  const std::unique_ptr<client::ResumingSubscription> subscription =
      client_.SubscribeResuming(subscribe);
  metrics_.running.Set(1);

  std::vector<v1::RecordedEvent> batch;
  while (!stop.HasBeenNotified()) {
    MaybePollHead();
    // Everything already received, up to max_batch events and
    // max_batch_bytes of data, goes into one batch.
    std::uint64_t covered = 0;  // A caught-up/heartbeat position.
    std::uint64_t batch_bytes = 0;
    absl::Status failure;
    while (batch.size() < options_.max_batch &&
           batch_bytes < options_.max_batch_bytes) {
      absl::StatusOr<client::SubscriptionItem> item =
          subscription->Next(batch.empty() ? kIdleWait : absl::ZeroDuration());
      if (!item.ok()) {
        if (item.status().code() != absl::StatusCode::kDeadlineExceeded) {
          failure = item.status();
        }
        break;
      }
      SeeHead(item->position);
      if (item->kind == client::SubscriptionItem::Kind::kEvent) {
        batch_bytes += item->event.data().size();
        batch.push_back(std::move(item->event));
      } else {
        covered = item->position;
        break;
      }
    }
    if (!batch.empty()) {
      const absl::Status delivered = DeliverBatch(batch, *subscription, stop);
      batch.clear();
      if (!delivered.ok()) break;  // Stopping.
    }
    // Nothing matching lies between the batch and a caught-up/heartbeat.
    if (covered > 0) Acknowledge(*subscription, covered);
    if (!failure.ok()) {
      if (failure.code() == absl::StatusCode::kCancelled) break;
      spdlog::error("relay {} -> {}: the feed failed permanently: {}",
                    options_.customer, options_.checkpoint, failure.ToString());
      // Commit what the sink settled so that a restart repeats less; the
      // commit may fail for the same reason, and the feed's error is the
      // one to report.
      subscription->Close().IgnoreError();
      metrics_.running.Set(0);
      return failure;
    }
  }
  return subscription->Close();
}

}  // namespace evstore::relay
