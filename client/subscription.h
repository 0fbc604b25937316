// Subscription: a pull-style handle on one Subscribe stream.
//
// A Subscription tails one customer's feed (see EventStoreService.Subscribe in
// proto/evstore/v1/evstore.proto): recorded events from the chosen start, one
// `caught_up` message, then live events and heartbeats. The application pulls
// messages with Next(), at its own pace.
//
// Flow control: the client keeps at most `SubscriptionOptions::
// max_queued_messages` received messages in its queue plus one message being
// received. While the queue is full it does not ask gRPC for the next message,
// so an application that stops calling Next() makes the client stop reading
// from the network: the HTTP/2 flow-control window fills up and the server
// sees a stalled reader whose writes do not complete. A test that wants to
// simulate a slow or stuck consumer therefore only has to stop calling Next().
// The server notices the stall only once the HTTP/2 windows are full, and
// gRPC's bandwidth probing can grow those to a few MiB per connection (with
// 20 KB messages on loopback, about 330 messages got out before the sender
// blocked). Memory held by a Subscription is bounded by the queue plus those
// windows, however far behind the application falls.
//
// A Subscription has no deadline: it runs until the server ends it, the
// connection breaks, or the application calls Cancel() or destroys it.
#ifndef EVSTORE_CLIENT_SUBSCRIPTION_H_
#define EVSTORE_CLIENT_SUBSCRIPTION_H_

#include <grpcpp/channel.h>

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "evstore/v1/evstore.grpc.pb.h"

namespace evstore::client {

// The message of the OUT_OF_RANGE status Next() returns after the server
// ended the stream with OK (e.g. while shutting down).
inline constexpr char kSubscriptionEndedMessage[] =
    "subscription ended: the server closed the stream";

struct SubscriptionOptions {
  // The most received messages the client buffers before it stops reading
  // from the network. At least 1 (0 is treated as 1).
  std::size_t max_queued_messages = 64;
};

class SubscriptionReactor;  // Defined in subscription.cc.

// Thread-safety: Next() and Cancel() may be called concurrently from any
// threads; messages are handed out in stream order, each to exactly one
// caller. The Subscription may outlive the Client that created it (it keeps
// the channel alive). Destroying it cancels the stream and waits (briefly)
// until gRPC has released it; do not destroy it while another thread is
// inside Next().
class Subscription {
 public:
  // Starts the Subscribe call on `channel`. The call is under way when the
  // constructor returns; errors (e.g. an unreachable server or an invalid
  // request) surface through Next(). `token`: see ClientOptions::token. Use
  // Client::Subscribe() instead.
  Subscription(std::shared_ptr<grpc::Channel> channel,
               const v1::SubscribeRequest& request,
               const SubscriptionOptions& options,
               const std::string& token = {});
  ~Subscription();

  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // Returns the next message of the stream, waiting up to `timeout` for one
  // (absl::InfiniteDuration() waits without limit, absl::ZeroDuration() only
  // polls). Possible results:
  // - a SubscribeResponse (events, caught_up or heartbeat), in stream order;
  // - DEADLINE_EXCEEDED: nothing arrived within `timeout`. The subscription is
  //   unaffected; call Next() again.
  // - any other error: the stream has ended and every later call returns the
  //   same status. It is the stream's gRPC status (CANCELLED after Cancel(),
  //   UNAVAILABLE when the server went away or shuts down, INVALID_ARGUMENT
  //   for a bad request, ...), except that a stream the server ended with OK
  //   is reported as OUT_OF_RANGE "subscription ended", so that OK always
  //   means "here is a message".
  [[nodiscard]] absl::StatusOr<v1::SubscribeResponse> Next(
      absl::Duration timeout);

  // Ends the subscription: cancels the gRPC call and discards messages still
  // queued. Next() then returns CANCELLED (or the status the stream had
  // already ended with). Idempotent; does not block.
  void Cancel();

 private:
  // Owned; its gRPC-facing lifetime ends with OnDone, which the destructor
  // awaits before freeing it.
  std::unique_ptr<SubscriptionReactor> reactor_;
};

}  // namespace evstore::client

#endif  // EVSTORE_CLIENT_SUBSCRIPTION_H_
