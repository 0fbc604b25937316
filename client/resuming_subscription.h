// ResumingSubscription: a subscription to one customer's feed that survives
// server restarts and lost connections, and can commit a named checkpoint
// by itself. Built on Subscription (client/subscription.h) and the
// checkpoint calls of Client.
//
// Delivery contract: the application sees every event of its selection
// (partition, stream prefixes, event types) exactly once and in feed order,
// also when the server restarts underneath it. The subscription remembers
// the last position it handed to the application (an event's position, or
// the position a caught-up or heartbeat message covers). When the stream
// fails with a transient error (UNAVAILABLE, DEADLINE_EXCEEDED,
// RESOURCE_EXHAUSTED, ABORTED, UNKNOWN, INTERNAL, a stream the server closed
// cleanly or cancelled) it waits (exponential backoff with jitter) and
// subscribes again after that position. What was received but not yet
// handed out is dropped and received again; an event at or below the last
// handed-out position is never handed out twice (the server guarantees it,
// and the subscription also filters defensively). Permanent errors end it and
// are returned by Next(): UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND (the
// customer), INVALID_ARGUMENT, OUT_OF_RANGE (a start below the oldest
// retained position, or after a position beyond the head: the store lost
// events, e.g. restored from an older backup), FAILED_PRECONDITION,
// UNIMPLEMENTED.
//
// Start: the first connection starts as `start` says; every reconnection
// after something was handed out starts after the last handed-out position.
// A reconnection before anything was handed out starts as the first one did
// (a checkpoint start reads the checkpoint again). With Start::End(), the
// first caught-up message fixes the start position: handing it out (Next()
// returns it first) makes later reconnections start there.
//
// Processing contract (what auto-commit commits): an event counts as
// processed
// - with AckMode::kOnNext (the default): when the application calls Next()
//   again, or Close(). So an application that handles each event completely
//   before asking for the next one never has an unprocessed event committed.
// - with AckMode::kExplicit: when the application calls Ack() with its
//   position or a later one.
// A caught-up or heartbeat message handed out once every earlier event is
// processed also counts as processed up to its position (nothing matching
// the selection lies in between), so a checkpoint of a sparse selection moves
// on too. The checkpoint is committed for (checkpoint name, partition) with
// the highest processed position, never above it, and never backwards (a
// commit that would move it back is not made).
//
// Auto-commit (AutoCommit::enabled, needs a checkpoint name): inside Next(),
// whenever `every_events` events have been processed since the last commit
// or `every` has passed since it with something new processed, and in
// Close(). A commit that fails transiently is retried at the next
// opportunity; a permanent failure (e.g. PERMISSION_DENIED: the token is not
// the customer's consumer) is returned by Next(). A crash between commits
// means the next consumer from the checkpoint sees the events after the last
// commit again (at-least-once across consumer crashes; exactly-once across
// server restarts and clean closes).
//
// Thread-safety: Next(), Ack() and Close() must be called from one thread
// at a time (the consuming thread). Cancel() may be called from any thread
// at any time, e.g. to stop a Next() that waits.
#ifndef EVSTORE_CLIENT_RESUMING_SUBSCRIPTION_H_
#define EVSTORE_CLIENT_RESUMING_SUBSCRIPTION_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "client/evstore_client.h"
#include "client/subscription.h"
#include "evstore/v1/evstore.pb.h"

namespace evstore::client {

// Where a ResumingSubscription starts.
struct SubscriptionStart {
  enum class Kind { kBeginning, kEnd, kAfterPosition, kCheckpoint };
  Kind kind = Kind::kBeginning;
  std::uint64_t after_position = 0;  // kAfterPosition.
  // kCheckpoint: where to start when the checkpoint does not exist yet.
  v1::SubscribeStart checkpoint_default = v1::SUBSCRIBE_START_BEGINNING;

  static SubscriptionStart Beginning() { return {}; }
  static SubscriptionStart End() { return {.kind = Kind::kEnd}; }
  // The first event handed out is the first one after `position`.
  static SubscriptionStart After(std::uint64_t position) {
    return {.kind = Kind::kAfterPosition, .after_position = position};
  }
  // After the position of ResumingSubscriptionOptions::checkpoint (for the
  // partition), or at `if_missing` when it was never committed.
  static SubscriptionStart FromCheckpoint(
      v1::SubscribeStart if_missing = v1::SUBSCRIBE_START_BEGINNING) {
    return {.kind = Kind::kCheckpoint, .checkpoint_default = if_missing};
  }
};

enum class AckMode {
  // An event is processed when the application asks for the next message.
  kOnNext,
  // An event is processed when the application acknowledges it (Ack()).
  kExplicit,
};

struct AutoCommit {
  bool enabled = false;
  // Commit after this many processed events (0: not by count).
  std::uint64_t every_events = 100;
  // Commit when this has passed since the last commit and something new was
  // processed (absl::InfiniteDuration(): not by time).
  absl::Duration every = absl::Seconds(1);
};

struct ResumingSubscriptionOptions {
  // Required: the customer id.
  std::string customer;
  SubscriptionStart start = SubscriptionStart::Beginning();
  // The checkpoint name: where Start::FromCheckpoint() starts and what
  // auto-commit commits. Empty: none (then neither may be used).
  std::string checkpoint = {};
  // Only this partition of the feed (index of count); nullopt: the whole
  // feed. Checkpoints are per (name, partition).
  std::optional<v1::Partition> partition = std::nullopt;
  // Filters and payloads, as in SubscribeRequest.
  std::vector<std::string> stream_prefixes = {};
  std::vector<std::string> event_types = {};
  bool include_data = true;
  // 0: the server's default (5 s).
  std::uint32_t heartbeat_interval_ms = 0;
  // Start at the oldest retained event instead of failing with OUT_OF_RANGE
  // when retention dropped the start (the skipped events are lost to this
  // consumer).
  bool start_at_oldest_retained = false;
  AckMode ack_mode = AckMode::kOnNext;
  AutoCommit auto_commit = {};
  // Waits between reconnection attempts: exponential from initial to max,
  // with +-20% jitter; reset after a connection delivered something.
  absl::Duration reconnect_initial_backoff = absl::Milliseconds(100);
  absl::Duration reconnect_max_backoff = absl::Seconds(2);
  // Give up (Next() returns the last transient error) after failing to get
  // anything from the server for this long; absl::InfiniteDuration(): never.
  absl::Duration give_up_after = absl::InfiniteDuration();
  // Passed to every underlying Subscription.
  SubscriptionOptions subscription = {};
};

// One message handed to the application.
struct SubscriptionItem {
  enum class Kind {
    kEvent,
    // The subscription is live (after every (re)connection's catch-up).
    kCaughtUp,
    // Nothing new for a while.
    kHeartbeat,
  };
  Kind kind = Kind::kEvent;
  // kEvent: the event.
  v1::RecordedEvent event = {};
  // The feed position this item covers: the event's position, or everything
  // matching up to and including it was handed out (kCaughtUp, kHeartbeat).
  std::uint64_t position = 0;
};

class ResumingSubscription {
 public:
  // Starts subscribing at once. Use Client::SubscribeResuming(). `client`
  // must outlive the ResumingSubscription. Invalid options (no customer, a
  // checkpoint start or auto-commit without a checkpoint name) are reported
  // by the first Next() as INVALID_ARGUMENT.
  ResumingSubscription(const Client& client,
                       ResumingSubscriptionOptions options);
  // Cancels without committing (see Close()).
  ~ResumingSubscription();

  ResumingSubscription(const ResumingSubscription&) = delete;
  ResumingSubscription& operator=(const ResumingSubscription&) = delete;

  // The next item, waiting up to `timeout` (reconnecting as needed).
  // DEADLINE_EXCEEDED: nothing within `timeout`; call again. CANCELLED after
  // Cancel() or Close(). Any other error is permanent (see the file comment)
  // and returned again by every later call. With AckMode::kOnNext, calling
  // Next() marks the previously returned event as processed.
  [[nodiscard]] absl::StatusOr<SubscriptionItem> Next(absl::Duration timeout);

  // AckMode::kExplicit: every event up to and including `position` is
  // processed. Positions beyond the last handed-out item are capped to it;
  // lower ones than an earlier Ack() are ignored.
  void Ack(std::uint64_t position);

  // Ends the subscription cleanly: with AckMode::kOnNext the last returned
  // event counts as processed; with auto-commit the processed position is
  // committed (retried as for the client's ClientOptions::retry). Returns
  // the commit's status (OK without auto-commit). Idempotent.
  absl::Status Close();

  // Stops the subscription from any thread; a waiting Next() returns
  // CANCELLED. Commits nothing.
  void Cancel();

  // The last position handed out to the application (0: none).
  std::uint64_t delivered_position() const { return delivered_; }
  // The highest processed position (see the processing contract).
  std::uint64_t processed_position() const { return processed_; }
  // The highest position committed by this object (0: none yet).
  std::uint64_t committed_position() const { return committed_; }
  // How many times the subscription reconnected after a transient failure.
  std::uint64_t reconnects() const { return reconnects_; }

 private:
  // Checks the options once; INVALID_ARGUMENT names what is wrong.
  absl::Status ValidateOptions() const;
  // The Subscribe request of the next connection.
  v1::SubscribeRequest NextRequest() const;
  // Opens a new underlying subscription.
  void Connect();
  // Handles a failed stream: permanent errors are returned; transient ones
  // start the backoff before the next connection.
  absl::Status OnStreamFailed(const absl::Status& status);
  // Marks every handed-out event up to `position` as processed.
  void MarkProcessedThrough(std::uint64_t position);
  // Hands out the first pending item.
  SubscriptionItem HandOut();
  // Queues the items of one received message (dropping duplicates).
  void Receive(v1::SubscribeResponse message);
  // Commits when a commit is due (or `force`); a permanent failure is
  // returned.
  absl::Status MaybeCommit(bool force);
  // How long Next() may wait before the time-based commit is due.
  absl::Duration UntilCommitDue() const;

  // Constant after construction.
  const Client& client_;
  const ResumingSubscriptionOptions options_;
  const absl::Status options_status_;

  // Guards the swap of the underlying subscription against Cancel().
  Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  // Replaced only by the consuming thread, under mu_; the consuming thread
  // reads it without the lock.
  std::unique_ptr<Subscription> subscription_;

  // Only the consuming thread writes the state below (see class comment);
  // the counters are atomic so that other threads may read them.
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> processed_{0};
  std::atomic<std::uint64_t> committed_{0};
  std::atomic<std::uint64_t> reconnects_{0};
  // Received from the current connection, not yet handed out.
  std::deque<SubscriptionItem> pending_;
  // The highest position in pending_ or handed out (the duplicate filter).
  std::uint64_t received_through_ = 0;
  // Positions of events handed out and not yet processed, ascending.
  std::deque<std::uint64_t> unprocessed_events_;
  // The position of the last event handed out (0: none).
  std::uint64_t last_event_position_ = 0;
  bool anything_delivered_ = false;
  std::uint64_t processed_since_commit_ = 0;
  absl::Time last_commit_time_;
  // No commit attempt before this (after a transient commit failure).
  absl::Time next_commit_attempt_ = absl::InfinitePast();
  // Reconnection: when the next attempt may be made and the current backoff.
  absl::Time reconnect_at_ = absl::InfinitePast();
  absl::Duration backoff_;
  // When the server last gave us something (for give_up_after).
  absl::Time last_progress_;
  absl::Status last_transient_error_;
  absl::Status final_status_;  // Permanent error, once there is one.
  bool closed_ = false;
  absl::Status close_status_;
};

}  // namespace evstore::client

#endif  // EVSTORE_CLIENT_RESUMING_SUBSCRIPTION_H_
