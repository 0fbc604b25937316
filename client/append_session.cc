#include "client/append_session.h"

#include <grpcpp/client_context.h>
#include <grpcpp/support/client_callback.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/mutex.h"
#include "client/authorization.h"
#include "client/status_conversion.h"

namespace evstore::client {
namespace {

// Coalescing bounds of one request message (see AppendSessionRequest in the
// proto): the server's limit on appends per message, and a size that stays
// under every server's receive limit. A single append is always sent, however
// large; the server judges it as it would on Append.
constexpr int kMaxAppendsPerMessage = 256;
constexpr size_t kMaxCoalescedBytes = size_t{1} << 20;

absl::StatusOr<v1::AppendResponse> ToOutcome(v1::AppendSessionResult result) {
  switch (result.result_case()) {
    case v1::AppendSessionResult::kSuccess:
      return std::move(*result.mutable_success());
    case v1::AppendSessionResult::kError:
      return FromAppendError(result.error());
    case v1::AppendSessionResult::RESULT_NOT_SET:
      break;
  }
  return absl::UnknownError(absl::StrCat("server answered correlation id ",
                                         result.correlation_id(),
                                         " with neither success nor error"));
}

}  // namespace

// The reactor behind an AppendSession.
//
// Reads run inside reactions only: one read is started with the call and each
// OnReadDone(ok) starts the next, until the read side ends. Writes are
// started from application threads (AppendAsync, Close) and from OnWriteDone,
// one at a time: `current_write_` is the message gRPC is sending, the rest
// wait in `write_queue_`. Because writes start outside reactions, the reactor
// holds one gRPC hold until no write is in flight and none will follow (the
// stream was half-closed, a write failed, the read side ended or the
// application cancelled); only then can gRPC call OnDone.
//
// Coalescing (Nagle-free): an append made while no write is in flight is
// sent at once, alone. Appends made while a write is in flight, or while
// OnReadDone is handing replies to their callbacks, are added to the last
// queued message until it reaches kMaxAppendsPerMessage appends or
// kMaxCoalescedBytes; OnWriteDone, or OnReadDone once the callbacks have
// returned, sends the next queued message at once. Nothing ever waits for a
// timer.
//
// Every accepted request has an entry in `pending_` until its reply arrives
// or OnDone fails it with the stream's status, so each callback runs exactly
// once.
class AppendSessionReactor final
    : public grpc::ClientBidiReactor<v1::AppendSessionRequest,
                                     v1::AppendSessionResponse> {
 public:
  using AppendCallback = AppendSession::AppendCallback;

  AppendSessionReactor(std::shared_ptr<grpc::Channel> channel,
                       const std::string& token)
      : channel_(std::move(channel)),
        stub_(v1::EventStoreService::NewStub(channel_)) {
    AddAuthorization(token, context_);
  }

  AppendSessionReactor(const AppendSessionReactor&) = delete;
  AppendSessionReactor& operator=(const AppendSessionReactor&) = delete;

  void Start() {
    stub_->async()->AppendSession(&context_, this);
    AddHold();  // For writes started outside reactions.
    StartRead(&incoming_);
    StartCall();
  }

  void AppendAsync(v1::AppendRequest request, AppendCallback done) {
    absl::Status rejection;
    AppendCallback rejected;  // Takes `done` when the request is rejected.
    bool start_write = false;
    {
      MutexLock lock(&mu_);
      if (closing_) {
        rejection = absl::FailedPreconditionError("append session is closed");
        rejected = std::move(done);
      } else if (finished_) {
        rejection = OutstandingFailure();
        rejected = std::move(done);
      } else {
        const std::uint64_t correlation_id = next_correlation_id_++;
        pending_.emplace(correlation_id, std::move(done));
        // When the stream can no longer carry writes, the request stays
        // pending and OnDone fails it with the stream's status.
        if (CanWrite()) {
          if (write_in_flight_ || dispatching_replies_) {
            Enqueue(correlation_id, std::move(request));
          } else {
            current_write_.Clear();
            v1::SessionAppend* append = current_write_.add_appends();
            append->set_correlation_id(correlation_id);
            *append->mutable_append() = std::move(request);
            write_in_flight_ = true;
            start_write = true;
          }
        }
      }
    }
    if (!rejection.ok()) {
      rejected(std::move(rejection));
      return;
    }
    if (start_write) StartWrite(&current_write_);
  }

  absl::Status Close(absl::Duration timeout) {
    bool start_write = false;
    bool writes_done = false;
    bool release_hold = false;
    {
      MutexLock lock(&mu_);
      closing_ = true;
      if (!write_in_flight_ && CanWrite()) {
        // Appends queued while replies were being handed out go first.
        start_write = StartNextQueuedWriteLocked();
        if (!start_write) {
          writes_done_started_ = true;
          writes_done = true;
        }
      }
      // Otherwise OnWriteDone half-closes after the last queued write.
      release_hold = TakeHoldRelease();
    }
    if (start_write) StartWrite(&current_write_);
    if (writes_done) StartWritesDone();
    if (release_hold) RemoveHold();
    {
      MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&done_), timeout)) {
        return final_status_;
      }
    }
    Cancel();
    WaitUntilDone();
    return absl::DeadlineExceededError(
        absl::StrCat("append session did not end within ",
                     absl::FormatDuration(timeout), "; cancelled it"));
  }

  void Cancel() {
    bool release_hold = false;
    {
      MutexLock lock(&mu_);
      cancelled_ = true;
      release_hold = TakeHoldRelease();
    }
    context_.TryCancel();
    if (release_hold) RemoveHold();
  }

  void WaitUntilDone() {
    MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
  }

  void OnWriteDone(bool ok) override {
    bool start_write = false;
    bool writes_done = false;
    bool release_hold = false;
    {
      MutexLock lock(&mu_);
      write_in_flight_ = false;
      if (!ok) write_failed_ = true;
      if (CanWrite()) {
        if (StartNextQueuedWriteLocked()) {
          start_write = true;
        } else if (closing_ && !writes_done_started_) {
          writes_done_started_ = true;
          writes_done = true;
        }
      }
      release_hold = TakeHoldRelease();
    }
    if (start_write) StartWrite(&current_write_);
    if (writes_done) StartWritesDone();
    if (release_hold) RemoveHold();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      bool release_hold = false;
      {
        MutexLock lock(&mu_);
        reads_ended_ = true;
        release_hold = TakeHoldRelease();
      }
      if (release_hold) RemoveHold();
      return;
    }
    v1::AppendSessionResponse reply = std::move(incoming_);
    StartRead(&incoming_);
    std::vector<std::pair<AppendCallback, v1::AppendSessionResult*>> answered;
    answered.reserve(static_cast<size_t>(reply.results_size()));
    {
      MutexLock lock(&mu_);
      dispatching_replies_ = true;
      for (v1::AppendSessionResult& result : *reply.mutable_results()) {
        auto it = pending_.find(result.correlation_id());
        // A result for an id that is not pending (never sent, or answered
        // already) is a server bug that no caller waits for; it is
        // deliberately dropped.
        if (it == pending_.end()) continue;
        answered.emplace_back(std::move(it->second), &result);
        pending_.erase(it);
      }
    }
    for (auto& [done, result] : answered) done(ToOutcome(std::move(*result)));
    // The appends the callbacks made (a producer sending its next append
    // from the reply callback) go out together, now.
    bool start_write = false;
    {
      MutexLock lock(&mu_);
      dispatching_replies_ = false;
      if (!write_in_flight_ && CanWrite()) {
        start_write = StartNextQueuedWriteLocked();
      }
    }
    if (start_write) StartWrite(&current_write_);
  }

  void OnDone(const grpc::Status& status) override {
    std::vector<std::pair<std::uint64_t, AppendCallback>> orphans;
    absl::Status failure;
    {
      MutexLock lock(&mu_);
      final_status_ = FromGrpcStatus(status);
      finished_ = true;
      write_queue_.clear();
      orphans.assign(std::make_move_iterator(pending_.begin()),
                     std::make_move_iterator(pending_.end()));
      pending_.clear();
      failure = OutstandingFailure();
    }
    // Fail the orphans in the order they were sent.
    std::sort(orphans.begin(), orphans.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [correlation_id, done] : orphans) done(failure);
    // After this lock is released the owner may free the reactor at once,
    // so nothing may touch `this` past the end of this block.
    MutexLock lock(&mu_);
    done_ = true;
  }

 private:
  // A request message waiting for the stream, with the serialized size of
  // its appends.
  struct QueuedMessage {
    v1::AppendSessionRequest message;
    size_t bytes = 0;
  };

  // Adds an append to the last queued message, or starts a new one when that
  // message is full.
  void Enqueue(std::uint64_t correlation_id, v1::AppendRequest request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const size_t bytes = request.ByteSizeLong();
    if (write_queue_.empty() ||
        write_queue_.back().message.appends_size() >= kMaxAppendsPerMessage ||
        write_queue_.back().bytes + bytes > kMaxCoalescedBytes) {
      write_queue_.emplace_back();
    }
    QueuedMessage& queued = write_queue_.back();
    v1::SessionAppend* append = queued.message.add_appends();
    append->set_correlation_id(correlation_id);
    *append->mutable_append() = std::move(request);
    queued.bytes += bytes;
  }

  // Makes the first queued message the current write; returns false when
  // none is queued. The caller then starts it (outside the lock).
  bool StartNextQueuedWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (write_queue_.empty()) return false;
    current_write_ = std::move(write_queue_.front().message);
    write_queue_.pop_front();
    write_in_flight_ = true;
    return true;
  }

  bool CanWrite() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !write_failed_ && !reads_ended_ && !cancelled_ && !finished_ &&
           !writes_done_started_;
  }

  // Returns true exactly once: when no write is in flight and none will be
  // started again. The caller then removes the hold (outside the lock).
  bool TakeHoldRelease() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (hold_released_ || write_in_flight_) return false;
    if (CanWrite()) return false;
    hold_released_ = true;
    return true;
  }

  // The outcome of an append the stream ended without answering.
  absl::Status OutstandingFailure() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!final_status_.ok()) return final_status_;
    return absl::UnavailableError(
        "append session ended before the server answered; the append may or "
        "may not be recorded, retrying with the same event ids is safe");
  }

  // Constant after construction.
  const std::shared_ptr<grpc::Channel> channel_;  // Outlives the call.
  const std::unique_ptr<v1::EventStoreService::Stub> stub_;
  grpc::ClientContext context_;

  // Filled by gRPC while the (single) read is outstanding; touched only by
  // Start() and OnReadDone().
  v1::AppendSessionResponse incoming_;

  // State below is protected by mu_.
  mutable Mutex mu_;
  // Being sent by gRPC while write_in_flight_.
  v1::AppendSessionRequest current_write_ ABSL_GUARDED_BY(mu_);
  std::deque<QueuedMessage> write_queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::uint64_t, AppendCallback> pending_
      ABSL_GUARDED_BY(mu_);
  std::uint64_t next_correlation_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  // OnReadDone is running reply callbacks: appends wait in write_queue_ and
  // go out together when it is done.
  bool dispatching_replies_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool writes_done_started_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_ended_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;    // Close() was called.
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;  // Cancel() was called.
  bool hold_released_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;  // OnDone has the status.
  bool done_ ABSL_GUARDED_BY(mu_) = false;      // OnDone has returned.
  absl::Status final_status_ ABSL_GUARDED_BY(mu_);
};

AppendSession::AppendSession(std::shared_ptr<grpc::Channel> channel,
                             const std::string& token)
    : reactor_(
          std::make_unique<AppendSessionReactor>(std::move(channel), token)) {
  reactor_->Start();
}

AppendSession::~AppendSession() {
  reactor_->Cancel();  // Harmless when the stream has ended already.
  reactor_->WaitUntilDone();
}

void AppendSession::AppendAsync(v1::AppendRequest request,
                                AppendCallback done) {
  reactor_->AppendAsync(std::move(request), std::move(done));
}

std::future<absl::StatusOr<v1::AppendResponse>> AppendSession::Append(
    v1::AppendRequest request) {
  auto promise =
      std::make_shared<std::promise<absl::StatusOr<v1::AppendResponse>>>();
  std::future<absl::StatusOr<v1::AppendResponse>> outcome =
      promise->get_future();
  reactor_->AppendAsync(std::move(request),
                        [promise](absl::StatusOr<v1::AppendResponse> result) {
                          promise->set_value(std::move(result));
                        });
  return outcome;
}

absl::Status AppendSession::Close(absl::Duration timeout) {
  return reactor_->Close(timeout);
}

void AppendSession::Cancel() { reactor_->Cancel(); }

}  // namespace evstore::client
