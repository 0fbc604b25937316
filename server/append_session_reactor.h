// AppendSessionReactor: serves one AppendSession call, a steady flow of
// appends on one bidirectional stream, each answered individually.
#ifndef EVSTORE_SERVER_APPEND_SESSION_REACTOR_H_
#define EVSTORE_SERVER_APPEND_SESSION_REACTOR_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "evstore/v1/evstore.pb.h"
#include "grpcpp/support/server_callback.h"
#include "server/authorizer.h"
#include "server/metrics/server_metrics.h"
#include "server/quota_enforcer.h"
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

// Reads request messages continuously (one read in flight) and hands all the
// appends of one message to EventLog::AppendMany together. Results are
// queued and written in as few messages as possible: one write at a time,
// carrying every result that is ready when the stream becomes free (the
// results of one commit group arrive together), never waiting for more. An
// append that fails validation or append is answered with an AppendError and
// the session goes on.
//
// Access: the session's caller was authenticated when it opened. Each
// message re-checks the token (memory only): once it is revoked, every later
// append is answered UNAUTHENTICATED. Each append is authorized for its
// customer (Operation::kAppend); a denied one is answered PERMISSION_DENIED
// before it is validated.
//
// Limits: a message with more than kMaxAppendsPerMessage appends is not
// processed; each of its appends is answered with INVALID_ARGUMENT naming
// the limit. Memory stays bounded: once kMaxUnanswered appends are read but
// not yet answered on the wire, reading pauses until replies drain (so at
// most kMaxUnanswered + kMaxAppendsPerMessage - 1 are unanswered).
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
  // The most appends one AppendSessionRequest may carry (see the proto).
  static constexpr size_t kMaxAppendsPerMessage = 256;

  // Starts reading at once, for the caller whose token has the hash
  // `token_hash`. `log`, `quotas`, `registry`, `authorizer` and `metrics`
  // (null: no metrics) must outlive the reactor. Each append is authorized,
  // validated, then admitted by `quotas`, then queued; a rejected one is
  // answered with its error (and, over a rate quota,
  // AppendError.retry_after_ms).
  AppendSessionReactor(EventLog* log, const RequestLimits& limits,
                       QuotaEnforcer* quotas, AppendSessionRegistry* registry,
                       const Authorizer* authorizer, std::string token_hash,
                       ServerMetrics* metrics);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  // See AppendSessionRegistry::ShutdownAll. Called with the registry locked.
  void BeginShutdown();

 private:
  ~AppendSessionReactor() override = default;

  // Answers the appends of one message whose outcomes arrived together;
  // `correlation_ids` maps an outcome's index to its append.
  // `received`: when the message carrying them was read.
  void OnAppendsDone(const std::vector<uint64_t>& correlation_ids,
                     absl::Time received,
                     std::vector<IndexedAppendResult> outcomes);
  // Counts each result's code in metrics_ (when set).
  void CountResults(const std::vector<v1::AppendSessionResult>& results);
  // Queues results and writes them when the stream is free.
  void Reply(std::vector<v1::AppendSessionResult> results);
  // Answers every append of `request` with `why`.
  void RejectAll(const v1::AppendSessionRequest& request,
                 const absl::Status& why);

  void MaybeStartReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeStartWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  EventLog* const log_;
  const RequestLimits limits_;
  QuotaEnforcer* const quotas_;
  AppendSessionRegistry* const registry_;
  const Authorizer* const authorizer_;
  const std::string token_hash_;
  ServerMetrics* const metrics_;

  // The buffer of the read in flight; touched only by the read's owner.
  v1::AppendSessionRequest request_;

  Mutex mu_;
  // The message being written (valid while writing_) and the number of
  // results it carries.
  v1::AppendSessionResponse writing_reply_ ABSL_GUARDED_BY(mu_);
  size_t writing_results_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  // Results waiting for the stream: the next message to write.
  v1::AppendSessionResponse pending_ ABSL_GUARDED_BY(mu_);
  // Appends read whose result is not yet written (in validation, in the
  // event log, queued or being written).
  size_t unanswered_ ABSL_GUARDED_BY(mu_) = 0;
  // Appends handed to the event log whose outcome callback has not returned
  // yet.
  size_t callbacks_outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;  // Half-closed or broken.
  bool broken_ ABSL_GUARDED_BY(mu_) = false;      // Cancelled or write failed.
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;  // Finish was called.
  bool done_ ABSL_GUARDED_BY(mu_) = false;      // OnDone has run.
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_APPEND_SESSION_REACTOR_H_
