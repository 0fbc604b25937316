#include "server/subscription_reactor.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "base/mutex.h"
#include "grpcpp/server_context.h"
#include "server/proto_conversion.h"
#include "server/retention_floor.h"
#include "server/status_mapping.h"
#include "server/subscribe_wire_format.h"
#include "spdlog/spdlog.h"
#include "storage/feed_tail.h"

namespace evstore::server {
namespace {

// One EventBatch holds at most this many events and stops after the event
// that reaches this many bytes of data.
//
// A subscriber that stops reading pins its last batch (its encoded bytes,
// referenced by the pending write; until the shared encodings, it pinned the
// batch twice: the message and gRPC's serialized copy) for as long as it
// stalls, so the caps bound the server's memory per stalled subscriber, and
// larger batches make catch-up cheaper per event (one disk read and one
// gRPC write per batch). Measured with evstore-stalled-bench (BENCHMARKS.md,
// 2,000 stalled subscribers of 256-byte events, server peak RSS; catch-up of
// two subscribers from disk): 256 / 1 MiB: 994 MiB, 350,000-383,000
// events/s; 128 / 512 KiB: 621 MiB, 206,000-376,000 events/s (noisy
// machine); 64 / 256 KiB: 528 MiB, 234,000-236,000 events/s (all measured
// before the shared encodings).
constexpr size_t kBatchEvents = 128;
constexpr size_t kBatchBytes = size_t{512} << 10;

// How a subscription ends when its tail is closed.
grpc::Status ClosedTailStatus(const FeedTail& tail,
                              const std::string& customer) {
  if (tail.close_reason() == FeedTail::CloseReason::kCustomerDeleted) {
    return grpc::Status(
        grpc::StatusCode::NOT_FOUND,
        absl::StrCat("customer \"", customer, "\" was deleted"));
  }
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down");
}

}  // namespace

// The subscription's state machine.
//
// Flow token: at any moment exactly one party "holds the token" and is the
// only one allowed to decide the next step, build the messages, or call
// StartWrite / Finish on the reactor. `step_` names the holder:
//
//   kDiskRead   a catch-up read is queued on or running in the disk pool
//   kLiveFetch  a fetch from the FeedTail is queued or running
//   kWriting    gRPC holds it: one message is being written
//   kWaiting    nobody: live and idle, registered with the tail. The first of
//               OnFeedAdvanced (new events or tail closed), OnTick (heartbeat
//               due) and OnCancel to see kWaiting under mu_ takes the token.
//   kFinished   Finish was called; nothing happens any more.
//
// Transitions:
//   start -> kDiskRead (resolve the start position, read a chunk from disk)
//   kDiskRead -> kWriting (matching events, caught_up or heartbeat to send)
//             -> kDiskRead (nothing to send, not at the head yet)
//             -> live: kLiveFetch (the read reached the visible head)
//   kLiveFetch -> kWriting | kLiveFetch (more to fetch) | kWaiting (at head)
//              -> kDiskRead (the next position left the ring: catch up again)
//   kWriting -> kWriting (caught_up after the batch that reached the head)
//            -> kDiskRead | kLiveFetch (continue)
//   any -> kFinished (cancelled, write failed, read error, tail closed,
//          token revoked, customer deleted)
//
// Because the token is unique, at most one write is ever in flight and
// Finish is called exactly once, by the holder, after which the reactor is
// never touched again (OnDone, which deletes it, can only follow Finish).
//
// A write stalled by a client that stopped reading may never complete, so
// once access is lost and the write is still pending after
// kStalledWriteGrace, the timer cancels the call (TryCancel; the write then
// completes with ok=false). The call context is valid only until OnDone,
// which follows Finish, so the cancel is decided under mu_ while step_ is
// kWriting (Finish cannot have been called yet), and while it runs
// (cancel_in_flight_) a Finish decided by another thread is stashed in
// deferred_finish_ instead of executed; the timer thread executes it after
// TryCancel has returned. TryCancel runs without mu_: gRPC may call
// OnCancel (which takes mu_) inline.
class Subscription final : public TailWaiter,
                           public HousekeepingTimer::Client,
                           public std::enable_shared_from_this<Subscription> {
 public:
  // `context` is the call's; it must stay valid until the reactor's OnDone.
  Subscription(SubscriptionReactor* reactor,
               grpc::CallbackServerContext* context, const SubscriptionEnv& env,
               SubscriptionParams params, std::string token_hash);

  // Registers with the timer and queues the first disk read. Call once,
  // right after construction (it needs shared_from_this).
  void Start();

  // Reactions forwarded by the reactor.
  void OnWriteDone(bool ok);
  void OnCancel();

  // TailWaiter: called on the commit thread (or the closing thread).
  void OnFeedAdvanced() override;

  // HousekeepingTimer::Client: called on the timer thread.
  void OnTick(absl::Time now) override;

  // The call is over (the reactor's OnDone): no longer an active
  // subscription in the metrics, even while queued tasks still hold this.
  void StopTracking() {
    if (tracker_ != nullptr) tracker_->End();
  }

 private:
  enum class Step { kDiskRead, kLiveFetch, kWriting, kWaiting, kFinished };

  // What the token holder does next; decided under mu_, done without it.
  struct Next {
    enum class Kind { kNone, kDiskRead, kLiveFetch, kWrite, kFinish };
    static Next Of(Kind kind, SubscriptionReactor* reactor = nullptr,
                   grpc::Status status = grpc::Status::OK,
                   const grpc::ByteBuffer* message = nullptr) {
      Next next;
      next.kind = kind;
      next.reactor = reactor;
      next.status = std::move(status);
      next.message = message;
      return next;
    }
    Kind kind = Kind::kNone;
    SubscriptionReactor* reactor = nullptr;     // kWrite, kFinish
    grpc::Status status;                        // kFinish
    const grpc::ByteBuffer* message = nullptr;  // kWrite
  };

  // Does `next` (and whatever follows synchronously). Holds the token.
  void Do(Next next);
  // Reads the next chunk of the feed from disk. Runs on the disk pool.
  Next ReadFromDisk();
  // Takes the events after delivered_ from the tail. Memory only.
  Next FetchFromTail();
  // Queues a live fetch on the live pool (from the commit or timer thread).
  void QueueLiveFetch();

  // After a read or fetch that left any matching events in outgoing_ (when
  // `has_events`) and advanced delivered_: decides what to write or do next.
  // `reached_head` means delivered_ is at least the head seen before it.
  Next AfterFetchLocked(bool has_events, bool reached_head)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Registers with the tail, or goes on fetching if events came meanwhile.
  Next WaitLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes the batch in outgoing_, or (when `events` is false) makes
  // outgoing_ caught_up and writes that.
  Next WriteLocked(bool events) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes outgoing_ the batch of entries_ and empties entries_.
  void EncodeBatch();
  // Makes outgoing_ control_message_.
  void EncodeControlMessage();
  // Ends the subscription; returns the Finish to do, or nothing while a
  // cancel is in flight (then it is stashed in deferred_finish_).
  Next FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Cancels the call if access is lost and a write has been pending for
  // longer than kStalledWriteGrace. Timer thread; takes mu_.
  void CancelStalledWrite(absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  Next StepLocked(Step step) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Why the subscription must end at the next step (cancelled, token
  // revoked, customer deleted), if it must.
  std::optional<grpc::Status> EndingLocked() const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // OK while the token is live, the customer exists and `tail` (the
  // subscription's, null before the first read) is open; otherwise the
  // status the subscription ends with. The tail catches a delete even when
  // the customer was created again since. Memory only.
  grpc::Status CheckAccess(const FeedTail* tail) const;
  bool HeartbeatDueLocked(absl::Time now) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return now - last_write_ >= heartbeat_interval_;
  }

  // Constant after construction.
  const SubscriptionEnv env_;
  const std::string customer_;
  const EventFilter filter_;
  const bool include_data_;
  const absl::Duration heartbeat_interval_;
  const bool start_at_end_;
  // Start after this checkpoint's position instead (looked up by the first
  // disk read); where a missing one starts.
  const std::optional<CheckpointId> checkpoint_;
  const bool checkpoint_default_at_end_;
  const bool start_at_oldest_retained_;
  const std::shared_ptr<EventEncodingCache> encodings_;
  const std::string token_hash_;
  // The call's context: only touched by CancelStalledWrite (see the class
  // comment for why it is still valid then) and by the token holder before
  // Finish (the retention trailer).
  grpc::CallbackServerContext* const context_;
  // Null without metrics.
  const std::shared_ptr<SubscriptionTracker> tracker_;

  // The message being built or written, and what it is built from. Only the
  // token holder touches them (and gRPC, while step_ == kWriting), so they
  // need no lock. outgoing_ is emptied when its write completes, so an idle
  // subscriber holds no event bytes.
  v1::RecordedEvent disk_event_;           // One event read from disk.
  std::vector<grpc::Slice> entries_;       // The batch's encoded events.
  v1::SubscribeResponse control_message_;  // caught_up or a heartbeat.
  grpc::ByteBuffer outgoing_;

  mutable Mutex mu_;
  Step step_ ABSL_GUARDED_BY(mu_) = Step::kDiskRead;
  // Null once Finish was called.
  SubscriptionReactor* reactor_ ABSL_GUARDED_BY(mu_);
  // Set by the first disk read, which resolves the start.
  std::shared_ptr<FeedTail> tail_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  // False while catching up from disk, true while serving from the tail.
  bool live_ ABSL_GUARDED_BY(mu_) = false;
  // Every matching event at or before this position has been written (or is
  // in the message being written); everything else there was filtered out.
  FeedPosition delivered_ ABSL_GUARDED_BY(mu_);
  // caught_up goes out after the write in flight / was sent.
  bool caught_up_due_ ABSL_GUARDED_BY(mu_) = false;
  bool caught_up_sent_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  // Set when the access check failed (or found the tail closed): the status
  // to end with.
  std::optional<grpc::Status> access_lost_ ABSL_GUARDED_BY(mu_);
  // When the timer checks access next.
  absl::Time next_access_check_ ABSL_GUARDED_BY(mu_);
  // When the timer cancels the call if the write pending when access was
  // lost has not completed by then.
  absl::Time stalled_write_deadline_ ABSL_GUARDED_BY(mu_);
  // CancelStalledWrite decided to cancel the call (it does so only once).
  bool cancel_requested_ ABSL_GUARDED_BY(mu_) = false;
  // TryCancel is running: Finish must wait (see the class comment).
  bool cancel_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  // The Finish decided while cancel_in_flight_.
  std::optional<Next> deferred_finish_ ABSL_GUARDED_BY(mu_);
  // An AwaitAfter registration is pending in the tail. Kept so that waiting
  // again (after a heartbeat) does not pile up registrations.
  bool waiter_registered_ ABSL_GUARDED_BY(mu_) = false;
  // When the last write completed (or the subscription started).
  absl::Time last_write_ ABSL_GUARDED_BY(mu_);
};

Subscription::Subscription(SubscriptionReactor* reactor,
                           grpc::CallbackServerContext* context,
                           const SubscriptionEnv& env,
                           SubscriptionParams params, std::string token_hash)
    : env_(env),
      customer_(std::move(params.customer)),
      filter_(std::move(params.filter)),
      include_data_(params.include_data),
      heartbeat_interval_(params.heartbeat_interval > absl::ZeroDuration()
                              ? params.heartbeat_interval
                              : env.default_heartbeat_interval),
      start_at_end_(params.start_at_end),
      checkpoint_(std::move(params.checkpoint)),
      checkpoint_default_at_end_(params.checkpoint_default_at_end),
      start_at_oldest_retained_(params.start_at_oldest_retained),
      encodings_(env.encodings->ForCustomer(customer_)),
      token_hash_(std::move(token_hash)),
      context_(context),
      tracker_(env.metrics != nullptr
                   ? env.metrics->TrackSubscription(customer_,
                                                    params.start_after.value())
                   : nullptr),
      reactor_(reactor),
      delivered_(params.start_after),
      next_access_check_(absl::Now() + kAccessCheckInterval),
      last_write_(absl::Now()) {}

void Subscription::Start() {
  env_.timer->Register(weak_from_this());
  Do(Next::Of(Next::Kind::kDiskRead));  // step_ starts as kDiskRead.
}

void Subscription::Do(Next next) {
  while (true) {
    switch (next.kind) {
      case Next::Kind::kNone:
        return;
      case Next::Kind::kLiveFetch:
        next = FetchFromTail();
        continue;
      case Next::Kind::kDiskRead: {
        const bool queued = env_.disk_pool->Schedule(
            [self = shared_from_this()] { self->Do(self->ReadFromDisk()); });
        if (queued) return;
        MutexLock lock(&mu_);
        next = FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                         "server shutting down"));
        continue;
      }
      case Next::Kind::kWrite:
        next.reactor->StartWrite(next.message);
        return;
      case Next::Kind::kFinish:
        next.reactor->Finish(std::move(next.status));
        return;
    }
  }
}

Subscription::Next Subscription::ReadFromDisk() {
  bool started;
  {
    MutexLock lock(&mu_);
    if (auto ending = EndingLocked()) return FinishLocked(*std::move(ending));
    started = started_;
  }
  if (!started) {
    bool start_at_end = start_at_end_;
    std::optional<FeedPosition> checkpoint_position;
    if (checkpoint_) {
      absl::StatusOr<Checkpoint> stored =
          env_.log->checkpoints().Get(customer_, *checkpoint_);
      if (stored.ok()) {
        checkpoint_position = stored->position;
      } else if (absl::IsNotFound(stored.status())) {
        start_at_end = checkpoint_default_at_end_;
      } else {
        spdlog::warn("subscription of {} cannot read checkpoint {}: {}",
                     customer_, DescribeCheckpoint(*checkpoint_),
                     stored.status().ToString());
        MutexLock lock(&mu_);
        return FinishLocked(ToGrpcStatus(stored.status()));
      }
    }
    std::shared_ptr<FeedTail> tail = env_.log->Tail(customer_);
    const FeedPosition head = tail->head();
    MutexLock lock(&mu_);
    tail_ = std::move(tail);
    if (checkpoint_position) delivered_ = *checkpoint_position;
    if (start_at_end) {
      delivered_ = head;
    } else if (delivered_ > head) {
      // A consumer cannot have seen a position beyond the visible head: its
      // position belongs to other data (e.g. a restored backup). Resuming
      // would silently skip the events that take those positions next.
      const std::string start =
          checkpoint_position
              ? absl::StrCat("checkpoint ", DescribeCheckpoint(*checkpoint_),
                             " at position ", delivered_.value())
              : absl::StrCat("after_position ", delivered_.value());
      return FinishLocked(grpc::Status(
          grpc::StatusCode::OUT_OF_RANGE,
          absl::StrCat(start, " is beyond the head of the feed of ", customer_,
                       " (", head.value(),
                       "); the consumer's position does not belong to this "
                       "feed")));
    }
    started_ = true;
  }

  std::shared_ptr<FeedTail> tail;
  FeedPosition after;
  {
    MutexLock lock(&mu_);
    if (tail_->closed()) {
      return FinishLocked(ClosedTailStatus(*tail_, customer_));
    }
    tail = tail_;
    after = delivered_;
  }

  // Retention may have dropped what this subscriber has still to read.
  FeedPosition floor = env_.log->FirstRetained(customer_);
  if (after.Next() < floor) {
    if (!start_at_oldest_retained_) {
      MutexLock lock(&mu_);
      return FinishLocked(BelowRetentionFloor(
          context_, customer_,
          absl::StrCat("the subscriber's next position ", after.Next().value()),
          floor));
    }
    after = floor.Prev();  // It opted to skip what was dropped.
  }
  const FeedPosition head_before = tail->head();
  const ReadLimits limits{.max_events = kBatchEvents,
                          .max_bytes = kBatchBytes,
                          .include_data = include_data_};
  absl::StatusOr<FeedReadResult> result = env_.log->ReadFeed(
      customer_, after.Next(), ReadDirection::kForwards, limits, filter_);
  floor = env_.log->FirstRetained(customer_);
  if (result.ok() && after.Next() < floor && !start_at_oldest_retained_ &&
      (result->events.empty() ||
       result->events.front().position != after.Next())) {
    // A drop raced the read: the events after `after` may be gone.
    MutexLock lock(&mu_);
    return FinishLocked(BelowRetentionFloor(
        context_, customer_,
        absl::StrCat("the subscriber's next position ", after.Next().value()),
        floor));
  }
  if (!result.ok()) {
    spdlog::warn("subscription of {} failed reading the feed after {}: {}",
                 customer_, after.value(), result.status().ToString());
    MutexLock lock(&mu_);
    return FinishLocked(ToGrpcStatus(result.status()));
  }
  if (!result->end && result->last_scanned <= after) {
    // A read that neither ends nor advances would loop forever.
    spdlog::error("subscription of {}: feed read after {} made no progress",
                  customer_, after.value());
    MutexLock lock(&mu_);
    return FinishLocked(grpc::Status(grpc::StatusCode::INTERNAL,
                                     "the feed read made no progress"));
  }

  const bool has_events = !result->events.empty();
  if (has_events) {
    // Catch-up reads differ per subscriber: nothing to share.
    for (RecordedEvent& event : result->events) {
      ToProto(std::move(event), &disk_event_);
      entries_.push_back(EncodeEventEntry(disk_event_));
    }
    EncodeBatch();
  }

  MutexLock lock(&mu_);
  if (auto ending = EndingLocked()) return FinishLocked(*std::move(ending));
  delivered_ = std::max(delivered_, result->last_scanned);
  if (tracker_ != nullptr) {
    tracker_->OnDelivered(result->events.size(), delivered_.value(),
                          head_before.value());
  }
  // At the visible head: from here on the tail serves the events (or sends
  // this subscriber back to disk if it has evicted them already).
  if (result->end) live_ = true;
  return AfterFetchLocked(has_events, result->end && delivered_ >= head_before);
}

Subscription::Next Subscription::FetchFromTail() {
  std::shared_ptr<FeedTail> tail;
  FeedPosition after;
  {
    MutexLock lock(&mu_);
    if (auto ending = EndingLocked()) return FinishLocked(*std::move(ending));
    tail = tail_;
    after = delivered_;
  }

  const FeedPosition head_before = tail->head();
  std::vector<std::shared_ptr<const RecordedEvent>> fetched;
  if (tail->ReadAfter(after, kBatchEvents, kBatchBytes, &fetched) ==
      FeedTail::ReadOutcome::kEvicted) {
    spdlog::debug(
        "subscriber of {} fell out of the live tail after {}; "
        "catching up from disk",
        customer_, after.value());
    MutexLock lock(&mu_);
    live_ = false;
    return StepLocked(Step::kDiskRead);
  }
  const bool closed = fetched.empty() && tail->closed();
  // Every fetched position counts as delivered, matching or not.
  const FeedPosition last_fetched =
      fetched.empty() ? after : fetched.back()->position;

  if (!filter_.MatchesAll()) {
    std::erase_if(fetched,
                  [this](const std::shared_ptr<const RecordedEvent>& event) {
                    return !filter_.Matches(event->stream, event->type);
                  });
  }
  const bool has_events = !fetched.empty();
  if (has_events) {
    for (const std::shared_ptr<const RecordedEvent>& event : fetched) {
      entries_.push_back(encodings_->Entry(*event, include_data_));
    }
    EncodeBatch();
  }

  MutexLock lock(&mu_);
  if (auto ending = EndingLocked()) return FinishLocked(*std::move(ending));
  if (closed) return FinishLocked(ClosedTailStatus(*tail, customer_));
  delivered_ = std::max(delivered_, last_fetched);
  if (tracker_ != nullptr) {
    tracker_->OnDelivered(fetched.size(), delivered_.value(),
                          head_before.value());
  }
  return AfterFetchLocked(has_events, delivered_ >= head_before);
}

Subscription::Next Subscription::AfterFetchLocked(bool has_events,
                                                  bool reached_head) {
  if (reached_head && !caught_up_sent_) caught_up_due_ = true;
  if (has_events) return WriteLocked(/*events=*/true);
  if (caught_up_due_) return WriteLocked(/*events=*/false);
  if (HeartbeatDueLocked(absl::Now())) {
    control_message_.mutable_heartbeat()->set_position(delivered_.value());
    EncodeControlMessage();
    step_ = Step::kWriting;
    return Next::Of(Next::Kind::kWrite, reactor_, grpc::Status::OK, &outgoing_);
  }
  if (!live_) return StepLocked(Step::kDiskRead);
  if (!reached_head) return StepLocked(Step::kLiveFetch);
  return WaitLocked();
}

Subscription::Next Subscription::WaitLocked() {
  // Lock order mu_ -> FeedTail's lock is safe: the tail never calls a waiter
  // while holding its lock.
  if (!waiter_registered_) {
    if (tail_->AwaitAfter(delivered_, weak_from_this())) {
      return StepLocked(Step::kLiveFetch);
    }
    waiter_registered_ = true;
  } else if (tail_->head() > delivered_ || tail_->closed()) {
    // The earlier registration is still pending and will fire on the next
    // publish, but something is there already.
    return StepLocked(Step::kLiveFetch);
  }
  step_ = Step::kWaiting;
  return Next{};
}

Subscription::Next Subscription::WriteLocked(bool events) {
  if (!events) {
    control_message_.mutable_caught_up()->set_position(delivered_.value());
    EncodeControlMessage();
    caught_up_due_ = false;
    caught_up_sent_ = true;
  }
  step_ = Step::kWriting;
  return Next::Of(Next::Kind::kWrite, reactor_, grpc::Status::OK, &outgoing_);
}

void Subscription::EncodeBatch() {
  EncodeEventBatch(entries_, &outgoing_);
  entries_.clear();
}

void Subscription::EncodeControlMessage() {
  EncodeResponse(control_message_, &outgoing_);
}

Subscription::Next Subscription::FinishLocked(grpc::Status status) {
  step_ = Step::kFinished;
  Next finish = Next::Of(Next::Kind::kFinish, std::exchange(reactor_, nullptr),
                         std::move(status));
  if (!cancel_in_flight_) return finish;
  deferred_finish_ = std::move(finish);
  return Next{};
}

std::optional<grpc::Status> Subscription::EndingLocked() const {
  if (cancelled_) return grpc::Status::CANCELLED;
  return access_lost_;
}

grpc::Status Subscription::CheckAccess(const FeedTail* tail) const {
  if (tail != nullptr && tail->closed()) {
    return ClosedTailStatus(*tail, customer_);
  }
  if (absl::Status exists = env_.log->CheckCustomerExists(customer_);
      !exists.ok()) {
    return ToGrpcStatus(exists);
  }
  if (absl::StatusOr<TokenRecord> caller =
          env_.authorizer->Reauthenticate(token_hash_);
      !caller.ok()) {
    return ToGrpcStatus(caller.status());
  }
  return grpc::Status::OK;
}

Subscription::Next Subscription::StepLocked(Step step) {
  step_ = step;
  return Next::Of(step == Step::kDiskRead ? Next::Kind::kDiskRead
                                          : Next::Kind::kLiveFetch);
}

void Subscription::OnWriteDone(bool ok) {
  // gRPC handed the token back: the written bytes are no longer needed.
  outgoing_.Clear();
  Next next;
  {
    MutexLock lock(&mu_);
    if (!ok || cancelled_) {
      next = FinishLocked(grpc::Status::CANCELLED);
    } else if (access_lost_) {
      next = FinishLocked(*access_lost_);
    } else {
      last_write_ = absl::Now();
      if (caught_up_due_) {
        next = WriteLocked(/*events=*/false);
      } else {
        next = StepLocked(live_ ? Step::kLiveFetch : Step::kDiskRead);
      }
    }
  }
  Do(std::move(next));
}

void Subscription::OnCancel() {
  Next next;
  {
    MutexLock lock(&mu_);
    cancelled_ = true;
    // Any other holder of the token sees cancelled_ at its next step.
    if (step_ != Step::kWaiting) return;
    next = FinishLocked(grpc::Status::CANCELLED);
  }
  Do(std::move(next));
}

void Subscription::OnFeedAdvanced() {
  {
    MutexLock lock(&mu_);
    waiter_registered_ = false;
    if (step_ != Step::kWaiting) return;
    step_ = Step::kLiveFetch;
  }
  // The commit thread must return quickly: fetch on the live pool.
  QueueLiveFetch();
}

void Subscription::OnTick(absl::Time now) {
  CancelStalledWrite(now);
  bool check_access;
  std::shared_ptr<FeedTail> tail;
  {
    MutexLock lock(&mu_);
    check_access =
        !access_lost_ && step_ != Step::kFinished && now >= next_access_check_;
    if (check_access) {
      next_access_check_ = now + kAccessCheckInterval;
      tail = tail_;
    }
  }
  if (check_access) {
    grpc::Status access = CheckAccess(tail.get());
    if (!access.ok()) {
      Next next;
      {
        MutexLock lock(&mu_);
        access_lost_ = std::move(access);
        // Any other holder of the token sees access_lost_ at its next step;
        // a pending write gets kStalledWriteGrace to complete.
        stalled_write_deadline_ = now + kStalledWriteGrace;
        if (step_ != Step::kWaiting) return;
        next = FinishLocked(*access_lost_);
      }
      Do(std::move(next));
      return;
    }
  }
  {
    MutexLock lock(&mu_);
    if (step_ != Step::kWaiting || !HeartbeatDueLocked(now)) return;
    step_ = Step::kLiveFetch;
  }
  // The fetch first skips what the filter does not want, so the heartbeat
  // carries the head.
  QueueLiveFetch();
}

void Subscription::CancelStalledWrite(absl::Time now) {
  {
    MutexLock lock(&mu_);
    if (!access_lost_ || step_ != Step::kWriting || cancel_requested_ ||
        now < stalled_write_deadline_) {
      return;
    }
    // gRPC holds the token, so Finish has not been called and the context
    // is valid; until cancel_in_flight_ is cleared, no Finish runs.
    cancel_requested_ = true;
    cancel_in_flight_ = true;
  }
  spdlog::debug(
      "subscription of {} lost access while a write is stalled; cancelling "
      "the call",
      customer_);
  context_->TryCancel();
  Next next;
  {
    MutexLock lock(&mu_);
    cancel_in_flight_ = false;
    if (deferred_finish_) {
      next = *std::move(deferred_finish_);
      deferred_finish_.reset();
    }
  }
  Do(std::move(next));
}

void Subscription::QueueLiveFetch() {
  const bool queued = env_.live_pool->Schedule([self = shared_from_this()] {
    self->Do(Next::Of(Next::Kind::kLiveFetch));
  });
  if (queued) return;
  Next next;
  {
    MutexLock lock(&mu_);
    next = FinishLocked(
        grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down"));
  }
  Do(std::move(next));
}

SubscriptionReactor::SubscriptionReactor(grpc::CallbackServerContext* context,
                                         const SubscriptionEnv& env,
                                         SubscriptionParams params,
                                         std::string token_hash,
                                         SubscriptionSlot slot)
    : subscription_(std::make_shared<Subscription>(
          this, context, env, std::move(params), std::move(token_hash))),
      slot_(std::move(slot)) {
  subscription_->Start();
}

void SubscriptionReactor::OnWriteDone(bool ok) {
  // A local reference: the reaction may lead to Finish, and OnDone (on
  // another thread) may then destroy this reactor and its member.
  std::shared_ptr<Subscription> subscription = subscription_;
  subscription->OnWriteDone(ok);
}

void SubscriptionReactor::OnCancel() {
  std::shared_ptr<Subscription> subscription = subscription_;
  subscription->OnCancel();
}

void SubscriptionReactor::OnDone() {
  subscription_->StopTracking();
  delete this;
}

}  // namespace evstore::server
