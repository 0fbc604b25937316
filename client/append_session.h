// AppendSession: many appends in flight on one open AppendSession stream.
//
// An AppendSession carries appends with exactly the semantics of
// Client::Append (see EventStoreService.AppendSession in
// proto/evstore/v1/evstore.proto) but without a round trip per call: requests
// are written one after another on a single bidirectional stream and the
// server answers each one individually, possibly out of order. The session
// assigns every request a correlation id and hands each reply to the caller
// that sent the request.
//
// Coalescing: an append made while the stream is idle is sent at once, in a
// message of its own. Appends made while a message is being written, or
// while replies are being handed to their callbacks (e.g. a producer sending
// its next append from the callback), are gathered and sent together in the
// next message (up to 256 appends or about 1 MiB per message), as soon as
// that write completes or those callbacks return; the session never waits on
// a timer. Each append in a message is still its own atomic
// append with its own outcome. The server likewise answers with every result
// that is ready in one message.
//
// Outcomes of one append:
// - the AppendResponse (also for an idempotent duplicate, see `duplicate`);
// - the error the server reported for it (AppendError), with the code and
//   message Append would have failed with: FAILED_PRECONDITION for a wrong
//   expected revision, INVALID_ARGUMENT, ALREADY_EXISTS, ... A failed append
//   does not end the session.
// - when the stream itself ends before the reply arrives, the stream's status
//   (UNAVAILABLE when the server went away or shuts down, CANCELLED after
//   Cancel(), ...). If the server ends the stream cleanly without answering,
//   the append fails with UNAVAILABLE. In these cases the append may or may
//   not have been recorded; retrying it with the same event ids is safe
//   (idempotent append).
//
// Ordering: requests are written in the order AppendAsync() accepted them
// (for calls from different threads, the order in which they took the
// session's lock). The server may commit and answer them in another order; a
// producer that needs one append to land before another must wait for the
// first reply.
//
// Memory: requests not yet written wait in an unbounded queue. Callers bound
// it by bounding their own number of appends in flight (e.g. a producer that
// waits for each future before sending the next holds at most one).
#ifndef EVSTORE_CLIENT_APPEND_SESSION_H_
#define EVSTORE_CLIENT_APPEND_SESSION_H_

#include <grpcpp/channel.h>

#include <functional>
#include <future>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "evstore/v1/evstore.grpc.pb.h"

namespace evstore::client {

class AppendSessionReactor;  // Defined in append_session.cc.

// Thread-safety: Append(), AppendAsync(), Close() and Cancel() may be called
// concurrently from any number of threads. The session may outlive the Client
// that opened it (it keeps the channel alive).
class AppendSession {
 public:
  // Receives the outcome of one append. Runs exactly once, either on the
  // thread that called AppendAsync() (when the session rejects the request
  // at once) or on a gRPC thread. It must not block for long (it delays
  // replies to other requests of the session) and must not call Close() or
  // destroy the session; it may call AppendAsync() again.
  using AppendCallback =
      std::function<void(absl::StatusOr<v1::AppendResponse>)>;

  // Opens the AppendSession call on `channel`. The stream is being set up
  // when the constructor returns; a server that cannot be reached shows up as
  // UNAVAILABLE outcomes of the appends. `token`: see ClientOptions::token.
  // Use Client::OpenAppendSession() instead.
  AppendSession(std::shared_ptr<grpc::Channel> channel,
                const std::string& token = {});

  // Cancels the stream if it is still open (appends without a reply fail
  // with CANCELLED) and waits until gRPC has released it. Call Close() first
  // to end the session gracefully.
  ~AppendSession();

  AppendSession(const AppendSession&) = delete;
  AppendSession& operator=(const AppendSession&) = delete;

  // Sends `request` and calls `done` with its outcome (see the file comment).
  // After Close() has been called, `done` receives FAILED_PRECONDITION at
  // once; after the stream has ended, the stream's status.
  void AppendAsync(v1::AppendRequest request, AppendCallback done);

  // Like AppendAsync(), returning the outcome as a future.
  [[nodiscard]] std::future<absl::StatusOr<v1::AppendResponse>> Append(
      v1::AppendRequest request);

  // Ends the session gracefully: stops accepting appends, sends the requests
  // already accepted, half-closes the stream and waits until the server has
  // answered them all and ended the stream. Returns OK when the server ended
  // the session cleanly, otherwise the stream's status. If that takes longer
  // than `timeout`, cancels the stream (appends still without a reply fail
  // with CANCELLED) and returns DEADLINE_EXCEEDED. May be called more than
  // once; later calls wait for the same end.
  absl::Status Close(absl::Duration timeout = absl::InfiniteDuration());

  // Ends the session at once: cancels the stream; every append without a
  // reply fails with CANCELLED. Does not block.
  void Cancel();

 private:
  // Owned; its gRPC-facing lifetime ends with OnDone, which the destructor
  // awaits before freeing it.
  std::unique_ptr<AppendSessionReactor> reactor_;
};

}  // namespace evstore::client

#endif  // EVSTORE_CLIENT_APPEND_SESSION_H_
