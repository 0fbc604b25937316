// AppendSessionReactor: serves one AppendSession call, a steady flow of
// appends on one bidirectional stream, each answered individually.
#ifndef EVSTORE_SERVER_APPEND_SESSION_REACTOR_H_
#define EVSTORE_SERVER_APPEND_SESSION_REACTOR_H_

#include <cstddef>
#include <deque>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "base/mutex.h"
#include "evstore/v1/evstore.pb.h"
#include "grpcpp/support/server_callback.h"
#include "server/request_validation.h"
#include "storage/event_log.h"

namespace evstore::server {

class AppendSessionReactor;

// The open sessions of a server, so that shutting down can end them
// (AppendSession otherwise only ends when the client half-closes).
// Thread-safe.
class AppendSessionRegistry {
 public:
  AppendSessionRegistry() = default;
  AppendSessionRegistry(const AppendSessionRegistry&) = delete;
  AppendSessionRegistry& operator=(const AppendSessionRegistry&) = delete;

  // Returns false once ShutdownAll has begun: the session must end at once.
  bool Add(AppendSessionReactor* session);
  void Remove(AppendSessionReactor* session);

  // Tells every session, present and future, to stop reading and to finish
  // with UNAVAILABLE once its accepted requests are answered.
  void ShutdownAll();

 private:
  // Lock order: this mu_ before a session's mu_ (ShutdownAll calls into the
  // sessions with it held; sessions call Add and Remove without their own).
  Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<AppendSessionReactor*> sessions_ ABSL_GUARDED_BY(mu_);
};

// Reads requests continuously (one read in flight) and hands each to
// EventLog::Append; replies are queued and written one at a time, in the
// order the appends complete. A request that fails validation or append is
// answered with an AppendError and the session goes on.
//
// Memory stays bounded: once kMaxUnanswered requests are read but not yet
// answered on the wire, reading pauses until replies drain.
//
// Ends with OK when the client half-closed and every reply is written; with
// UNAVAILABLE ("server shutting down") after AppendSessionRegistry::
// ShutdownAll once every accepted request is answered; with CANCELLED at once
// when the client cancels or a write fails.
//
// Lifetime: deletes itself when OnDone has run *and* every storage callback
// has returned (a callback may fire after the client cancelled). gRPC
// operations (StartRead/StartWrite/Finish) are started with mu_ held: they
// only queue work and never run a reaction inline, and holding mu_ makes
// "decide, then start" atomic, so that Finish is never followed by another
// operation.
class AppendSessionReactor final
    : public grpc::ServerBidiReactor<v1::AppendSessionRequest,
                                     v1::AppendSessionResponse> {
 public:
  static constexpr size_t kMaxUnanswered = 1024;

  // Starts reading at once. `log` and `registry` must outlive the reactor.
  AppendSessionReactor(EventLog* log, const RequestLimits& limits,
                       AppendSessionRegistry* registry);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  // See AppendSessionRegistry::ShutdownAll. Called with the registry locked.
  void BeginShutdown();

 private:
  ~AppendSessionReactor() override = default;

  void OnAppendDone(uint64_t correlation_id,
                    absl::StatusOr<AppendResult> result);
  // Queues a reply and writes it when the stream is free.
  void Reply(v1::AppendSessionResponse reply);

  void MaybeStartReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeStartWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  EventLog* const log_;
  const RequestLimits limits_;
  AppendSessionRegistry* const registry_;

  // The buffer of the read in flight; touched only by the read's owner.
  v1::AppendSessionRequest request_;

  Mutex mu_;
  // The reply being written (valid while writing_).
  v1::AppendSessionResponse writing_reply_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  // Replies waiting for the stream.
  std::deque<v1::AppendSessionResponse> pending_ ABSL_GUARDED_BY(mu_);
  // Requests read whose reply is not yet written (in validation, in the
  // event log, queued or being written).
  size_t unanswered_ ABSL_GUARDED_BY(mu_) = 0;
  // Storage callbacks that have not returned yet.
  size_t callbacks_outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;  // Half-closed or broken.
  bool broken_ ABSL_GUARDED_BY(mu_) = false;      // Cancelled or write failed.
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;  // Finish was called.
  bool done_ ABSL_GUARDED_BY(mu_) = false;      // OnDone has run.
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_APPEND_SESSION_REACTOR_H_
