// SubscriptionReactor: serves one Subscribe call, first from disk (catch-up),
// then from the customer's in-memory FeedTail (live).
//
// Guarantees (see the Subscribe contract in evstore.proto):
// - The start is resolved by the first disk read: the head for "end", or
//   the position of the request's checkpoint (looked up there; a missing one
//   starts at checkpoint_default). A partition is part of the filter, so
//   heartbeats and caught_up carry feed positions like any filter's.
// - Every matching event after the start position is written exactly once,
//   in feed order, whether it comes from disk or from the tail; a subscriber
//   that falls out of the tail's ring is moved back to disk reads.
// - Exactly one message is in flight to the client at any time and nothing
//   else is buffered: a subscriber that stops reading holds at most one batch
//   (<= 128 events, ~512 KiB) and never slows producers or other subscribers.
// - Live events are converted and serialized once per feed, not once per
//   subscriber: subscribers of a customer share the encodings in its
//   EventEncodingCache, and a batch references those bytes (the messages go
//   out as grpc::ByteBuffer in SubscribeResponse's wire form; see
//   subscribe_wire_format.h).
// - `caught_up` is sent exactly once, after the first batch that reached the
//   feed's head; heartbeats carry the position up to which everything that
//   matches has been sent (the head, when live and idle).
// - The call ends with UNAVAILABLE when the event log closes, with the mapped
//   storage error when a read fails, and promptly when the client cancels.
// - Access is re-checked every kAccessCheckInterval (on the housekeeping
//   timer, memory only): the call ends with UNAUTHENTICATED once the
//   subscriber's token is revoked and with NOT_FOUND once the customer is
//   deleted (also at once, when the customer's tail is closed by the
//   delete; the check also sees the closed tail, so a delete counts even
//   if the customer was created again since). A subscriber whose client
//   stopped reading (its one write pending, e.g. held by HTTP/2 flow
//   control) is cancelled instead (TryCancel) once that write is still
//   pending kStalledWriteGrace after the check failed: its client then sees
//   CANCELLED, not the access status.
// - No reaction blocks: disk reads run on the disk pool; the commit thread
//   and the housekeeping timer only flip a flag and queue a fetch.
#ifndef EVSTORE_SERVER_SUBSCRIPTION_REACTOR_H_
#define EVSTORE_SERVER_SUBSCRIPTION_REACTOR_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "server/authorizer.h"
#include "server/event_encoding_cache.h"
#include "server/housekeeping_timer.h"
#include "server/metrics/server_metrics.h"
#include "server/quota_enforcer.h"
#include "server/request_validation.h"
#include "server/worker_pool.h"
#include "storage/event_log.h"

namespace evstore::server {

// What subscriptions run on. Every pointer must outlive every subscription
// (the server stops the pools and the timer only after gRPC has shut down).
struct SubscriptionEnv {
  EventLog* log = nullptr;
  // Runs the catch-up reads from disk.
  WorkerPool* disk_pool = nullptr;
  // Runs the live fetches woken by the commit thread or the timer.
  WorkerPool* live_pool = nullptr;
  // Drives heartbeats.
  HousekeepingTimer* timer = nullptr;
  // Where the subscribers of a feed share its live events' encodings.
  EventEncodingCaches* encodings = nullptr;
  // Used when the request leaves heartbeat_interval_ms at 0.
  absl::Duration default_heartbeat_interval = absl::Seconds(5);
  // Re-checks the subscriber's token.
  const Authorizer* authorizer = nullptr;
  // Counts subscriptions, deliveries and lag; null: no metrics.
  ServerMetrics* metrics = nullptr;
};

// How often a subscription re-checks its token and its customer: a revoked
// token or a deleted customer ends it within this much time plus one
// housekeeping tick.
inline constexpr absl::Duration kAccessCheckInterval = absl::Milliseconds(250);

// How long a write pending when access was lost may take before the call is
// cancelled (TryCancel). Healthy clients complete it well within this and see
// UNAUTHENTICATED / NOT_FOUND; stalled ones never would. Revoke-to-end stays
// under one second: kAccessCheckInterval + kStalledWriteGrace + two ticks.
inline constexpr absl::Duration kStalledWriteGrace = absl::Milliseconds(250);

// The state machine behind a SubscriptionReactor (defined in the .cc file).
// It is owned by shared_ptr so that the FeedTail (weak_ptr), the timer
// (weak_ptr) and queued pool tasks can refer to it safely after the reactor
// is gone.
class Subscription;

// Writes SubscribeResponse messages in their wire form (Subscribe is a raw
// method on the server; the contract and the clients are unchanged).
class SubscriptionReactor final
    : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // Starts the subscription at once, for the caller whose token has the
  // hash `token_hash` (already authorized to subscribe to the customer).
  // `context` is the call's (valid until OnDone, as gRPC guarantees); it is
  // used to cancel a stalled call that lost access. Deletes itself in
  // OnDone, which releases `slot` (the customer's subscription quota) on
  // every way the call ends.
  SubscriptionReactor(grpc::CallbackServerContext* context,
                      const SubscriptionEnv& env, SubscriptionParams params,
                      std::string token_hash, SubscriptionSlot slot);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // Released in OnDone; the Subscription never touches the reactor after it
  // called Finish, and OnDone comes only after that.
  std::shared_ptr<Subscription> subscription_;
  SubscriptionSlot slot_;
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_SUBSCRIPTION_REACTOR_H_
