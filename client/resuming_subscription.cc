#include "client/resuming_subscription.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/retry_policy.h"

namespace evstore::client {
namespace {

// Whether a failed subscription stream may be opened again with success.
bool IsTransientStreamFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kInternal:
    // Not ours (Cancel() is checked first): the server cancelled the call.
    case absl::StatusCode::kCancelled:
      return true;
    case absl::StatusCode::kOutOfRange:
      // A stream the server closed cleanly, not a start out of range.
      return status.message() == kSubscriptionEndedMessage;
    default:
      return false;
  }
}

absl::Duration Jittered(absl::Duration duration) {
  return RetryBackoff(
      RetryPolicy{.initial_backoff = duration, .max_backoff = duration}, 1,
      absl::OkStatus());
}

}  // namespace

ResumingSubscription::ResumingSubscription(const Client& client,
                                           ResumingSubscriptionOptions options)
    : client_(client),
      options_(std::move(options)),
      options_status_(ValidateOptions()),
      last_commit_time_(absl::Now()),
      backoff_(options_.reconnect_initial_backoff),
      last_progress_(absl::Now()) {
  if (options_status_.ok()) Connect();
}

ResumingSubscription::~ResumingSubscription() { Cancel(); }

absl::Status ResumingSubscription::ValidateOptions() const {
  if (options_.customer.empty()) {
    return absl::InvalidArgumentError(
        "resuming subscription: customer is empty");
  }
  if (options_.checkpoint.empty() &&
      (options_.auto_commit.enabled ||
       options_.start.kind == SubscriptionStart::Kind::kCheckpoint)) {
    return absl::InvalidArgumentError(
        "resuming subscription: a checkpoint start and auto-commit need a "
        "checkpoint name");
  }
  return absl::OkStatus();
}

v1::SubscribeRequest ResumingSubscription::NextRequest() const {
  v1::SubscribeRequest request;
  request.set_customer(options_.customer);
  for (const std::string& prefix : options_.stream_prefixes) {
    request.add_stream_prefixes(prefix);
  }
  for (const std::string& type : options_.event_types) {
    request.add_event_types(type);
  }
  if (!options_.include_data) request.set_include_data(false);
  request.set_heartbeat_interval_ms(options_.heartbeat_interval_ms);
  if (options_.partition.has_value()) {
    *request.mutable_partition() = *options_.partition;
  }
  request.set_start_at_oldest_retained(options_.start_at_oldest_retained);
  if (anything_delivered_) {
    request.set_after_position(delivered_);
    return request;
  }
  switch (options_.start.kind) {
    case SubscriptionStart::Kind::kBeginning:
      request.set_origin(v1::SUBSCRIBE_START_BEGINNING);
      break;
    case SubscriptionStart::Kind::kEnd:
      request.set_origin(v1::SUBSCRIBE_START_END);
      break;
    case SubscriptionStart::Kind::kAfterPosition:
      request.set_after_position(options_.start.after_position);
      break;
    case SubscriptionStart::Kind::kCheckpoint:
      request.set_checkpoint(options_.checkpoint);
      request.set_checkpoint_default(options_.start.checkpoint_default);
      break;
  }
  return request;
}

void ResumingSubscription::Connect() {
  std::unique_ptr<Subscription> next =
      client_.Subscribe(NextRequest(), options_.subscription);
  pending_.clear();
  received_through_ = delivered_;
  std::unique_ptr<Subscription> previous;
  {
    MutexLock lock(&mu_);
    if (cancelled_) next->Cancel();
    previous = std::exchange(subscription_, std::move(next));
  }
  // Destroyed outside the lock: it waits for gRPC to release the call.
}

absl::Status ResumingSubscription::OnStreamFailed(const absl::Status& status) {
  {
    MutexLock lock(&mu_);
    if (cancelled_) return absl::CancelledError("subscription cancelled");
  }
  if (!IsTransientStreamFailure(status)) return status;
  last_transient_error_ = status;
  ++reconnects_;
  reconnect_at_ = absl::Now() + Jittered(backoff_);
  backoff_ = std::min(backoff_ * 2, options_.reconnect_max_backoff);
  std::unique_ptr<Subscription> failed;
  {
    MutexLock lock(&mu_);
    failed = std::move(subscription_);
  }
  return absl::OkStatus();
}

void ResumingSubscription::Receive(v1::SubscribeResponse message) {
  switch (message.message_case()) {
    case v1::SubscribeResponse::kEvents:
      for (v1::RecordedEvent& event :
           *message.mutable_events()->mutable_events()) {
        // The server never repeats an event; this guards the promise anyway.
        if (event.position() <= received_through_) continue;
        received_through_ = event.position();
        SubscriptionItem item;
        item.kind = SubscriptionItem::Kind::kEvent;
        item.position = event.position();
        item.event = std::move(event);
        pending_.push_back(std::move(item));
      }
      break;
    case v1::SubscribeResponse::kCaughtUp:
    case v1::SubscribeResponse::kHeartbeat: {
      const bool caught_up =
          message.message_case() == v1::SubscribeResponse::kCaughtUp;
      SubscriptionItem item;
      item.kind = caught_up ? SubscriptionItem::Kind::kCaughtUp
                            : SubscriptionItem::Kind::kHeartbeat;
      item.position = caught_up ? message.caught_up().position()
                                : message.heartbeat().position();
      received_through_ = std::max(received_through_, item.position);
      pending_.push_back(std::move(item));
      break;
    }
    case v1::SubscribeResponse::MESSAGE_NOT_SET:
      break;  // A message kind newer than this client.
  }
}

SubscriptionItem ResumingSubscription::HandOut() {
  SubscriptionItem item = std::move(pending_.front());
  pending_.pop_front();
  anything_delivered_ = true;
  // Heartbeats never move backwards, but keep the position monotonic.
  delivered_ = std::max<std::uint64_t>(delivered_, item.position);
  if (item.kind == SubscriptionItem::Kind::kEvent) {
    last_event_position_ = item.position;
    unprocessed_events_.push_back(item.position);
  } else if (unprocessed_events_.empty()) {
    // Nothing matching lies between the last processed event and here.
    processed_ = delivered_.load();
  }
  return item;
}

void ResumingSubscription::MarkProcessedThrough(std::uint64_t position) {
  position = std::min<std::uint64_t>(position, delivered_);
  while (!unprocessed_events_.empty() &&
         unprocessed_events_.front() <= position) {
    unprocessed_events_.pop_front();
    ++processed_since_commit_;
  }
  if (unprocessed_events_.empty()) {
    processed_ = delivered_.load();
  } else {
    processed_ = std::max<std::uint64_t>(processed_, position);
  }
}

void ResumingSubscription::Ack(std::uint64_t position) {
  MarkProcessedThrough(position);
}

absl::Duration ResumingSubscription::UntilCommitDue() const {
  const AutoCommit& auto_commit = options_.auto_commit;
  if (!auto_commit.enabled || auto_commit.every == absl::InfiniteDuration() ||
      processed_ <= committed_) {
    return absl::InfiniteDuration();
  }
  const absl::Time due =
      std::max(last_commit_time_ + auto_commit.every, next_commit_attempt_);
  return std::max(due - absl::Now(), absl::ZeroDuration());
}

absl::Status ResumingSubscription::MaybeCommit(bool force) {
  const AutoCommit& auto_commit = options_.auto_commit;
  if (!auto_commit.enabled || processed_ <= committed_) return absl::OkStatus();
  const absl::Time now = absl::Now();
  if (!force) {
    if (now < next_commit_attempt_) return absl::OkStatus();
    const bool by_count = auto_commit.every_events != 0 &&
                          processed_since_commit_ >= auto_commit.every_events;
    const bool by_time = auto_commit.every != absl::InfiniteDuration() &&
                         now - last_commit_time_ >= auto_commit.every;
    if (!by_count && !by_time) return absl::OkStatus();
  }
  v1::CommitCheckpointRequest request;
  request.set_customer(options_.customer);
  request.set_name(options_.checkpoint);
  if (options_.partition.has_value()) {
    *request.mutable_partition() = *options_.partition;
  }
  const std::uint64_t position = processed_;
  request.set_position(position);
  absl::StatusOr<v1::CommitCheckpointResponse> committed =
      client_.CommitCheckpoint(request);
  if (!committed.ok()) {
    if (IsTransientFailure(committed.status()) && !force) {
      next_commit_attempt_ = now + absl::Seconds(1);
      return absl::OkStatus();
    }
    return absl::Status(
        committed.status().code(),
        absl::StrCat("committing checkpoint \"", options_.checkpoint,
                     "\" at position ", position, ": ",
                     committed.status().message()));
  }
  committed_ = position;
  processed_since_commit_ = 0;
  last_commit_time_ = absl::Now();
  return absl::OkStatus();
}

absl::StatusOr<SubscriptionItem> ResumingSubscription::Next(
    absl::Duration timeout) {
  if (!options_status_.ok()) return options_status_;
  if (!final_status_.ok()) return final_status_;
  if (closed_) return absl::CancelledError("subscription closed");
  const absl::Time deadline = absl::Now() + timeout;
  if (options_.ack_mode == AckMode::kOnNext) {
    MarkProcessedThrough(last_event_position_);
  }
  while (true) {
    if (absl::Status commit = MaybeCommit(/*force=*/false); !commit.ok()) {
      final_status_ = commit;
      return final_status_;
    }
    {
      MutexLock lock(&mu_);
      if (cancelled_) return absl::CancelledError("subscription cancelled");
    }
    if (!pending_.empty()) return HandOut();
    const absl::Time now = absl::Now();
    if (subscription_ == nullptr) {
      if (now - last_progress_ > options_.give_up_after) {
        final_status_ = last_transient_error_;
        return final_status_;
      }
      if (now < reconnect_at_) {
        if (now >= deadline) {
          return absl::DeadlineExceededError("reconnecting: no message yet");
        }
        MutexLock lock(&mu_);
        mu_.AwaitWithTimeout(absl::Condition(&cancelled_),
                             std::min(reconnect_at_, deadline) - now);
        continue;
      }
      Connect();
    }
    const absl::Duration wait = std::max(
        std::min(deadline - now, UntilCommitDue()), absl::ZeroDuration());
    absl::StatusOr<v1::SubscribeResponse> message = subscription_->Next(wait);
    if (message.ok()) {
      last_progress_ = absl::Now();
      backoff_ = options_.reconnect_initial_backoff;
      Receive(*std::move(message));
      continue;
    }
    if (absl::IsDeadlineExceeded(message.status())) {
      // Nothing arrived within `wait` (a subscription has no deadline).
      if (absl::Now() >= deadline) return message.status();
      continue;
    }
    if (absl::Status failed = OnStreamFailed(message.status()); !failed.ok()) {
      if (!absl::IsCancelled(failed)) final_status_ = failed;
      return failed;
    }
  }
}

absl::Status ResumingSubscription::Close() {
  if (closed_) return close_status_;
  if (options_.ack_mode == AckMode::kOnNext) {
    MarkProcessedThrough(last_event_position_);
  }
  if (options_status_.ok()) close_status_ = MaybeCommit(/*force=*/true);
  closed_ = true;
  Cancel();
  return close_status_;
}

void ResumingSubscription::Cancel() {
  MutexLock lock(&mu_);
  cancelled_ = true;
  if (subscription_ != nullptr) subscription_->Cancel();
}

}  // namespace evstore::client
