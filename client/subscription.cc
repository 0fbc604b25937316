#include "client/subscription.h"

#include <grpcpp/client_context.h>
#include <grpcpp/support/client_callback.h>

#include <deque>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/mutex.h"
#include "client/authorization.h"
#include "client/status_conversion.h"

namespace evstore::client {

// The reactor behind a Subscription.
//
// Reads are issued both from reactions (OnReadDone starts the next read while
// the queue has room) and from the application's thread (Next() restarts
// reading after it made room in a full queue). Because of the latter, the
// reactor takes one gRPC hold at start; it is removed exactly once, when no
// read is outstanding and none will be started again (the read side ended or
// the application cancelled). Only then can gRPC call OnDone.
//
// Invariant: at most one read is outstanding (read_outstanding_), so
// `incoming_` has a single writer at any time.
class SubscriptionReactor final
    : public grpc::ClientReadReactor<v1::SubscribeResponse> {
 public:
  SubscriptionReactor(std::shared_ptr<grpc::Channel> channel,
                      const v1::SubscribeRequest& request,
                      std::size_t max_queued_messages, const std::string& token)
      : channel_(std::move(channel)),
        stub_(v1::EventStoreService::NewStub(channel_)),
        request_(request),
        max_queued_messages_(max_queued_messages == 0 ? 1
                                                      : max_queued_messages) {
    AddAuthorization(token, context_);
  }

  SubscriptionReactor(const SubscriptionReactor&) = delete;
  SubscriptionReactor& operator=(const SubscriptionReactor&) = delete;

  // Starts the call with the first read outstanding.
  void Start() {
    stub_->async()->Subscribe(&context_, &request_, this);
    AddHold();
    {
      MutexLock lock(&mu_);
      read_outstanding_ = true;
    }
    StartRead(&incoming_);
    StartCall();
  }

  absl::StatusOr<v1::SubscribeResponse> Next(absl::Duration timeout) {
    v1::SubscribeResponse message;
    bool start_read = false;
    {
      MutexLock lock(&mu_);
      if (!mu_.AwaitWithTimeout(
              absl::Condition(this, &SubscriptionReactor::NextIsReady),
              timeout)) {
        return absl::DeadlineExceededError(absl::StrCat(
            "no subscription message within ", absl::FormatDuration(timeout)));
      }
      if (cancelled_ || queue_.empty()) return EndStatus();
      message = std::move(queue_.front());
      queue_.pop_front();
      start_read = ShouldStartRead();
      if (start_read) read_outstanding_ = true;
    }
    if (start_read) StartRead(&incoming_);
    return message;
  }

  void Cancel() {
    bool release_hold = false;
    {
      MutexLock lock(&mu_);
      cancelled_ = true;
      queue_.clear();
      release_hold = TakeHoldRelease();
    }
    context_.TryCancel();
    if (release_hold) RemoveHold();
  }

  void WaitUntilDone() {
    MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
  }

  void OnReadDone(bool ok) override {
    bool start_read = false;
    bool release_hold = false;
    {
      MutexLock lock(&mu_);
      read_outstanding_ = false;
      if (!ok) {
        reads_ended_ = true;
      } else if (!cancelled_) {
        queue_.push_back(std::move(incoming_));
      }
      start_read = ShouldStartRead();
      if (start_read) read_outstanding_ = true;
      release_hold = TakeHoldRelease();
    }
    if (start_read) StartRead(&incoming_);
    if (release_hold) RemoveHold();
  }

  void OnDone(const grpc::Status& status) override {
    // After this lock is released the owner may free the reactor at once,
    // so nothing may touch `this` past the end of this block.
    MutexLock lock(&mu_);
    final_status_ = FromGrpcStatus(status);
    done_ = true;
  }

 private:
  bool NextIsReady() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return done_ || cancelled_ || !queue_.empty();
  }

  bool ShouldStartRead() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !read_outstanding_ && !reads_ended_ && !cancelled_ &&
           queue_.size() < max_queued_messages_;
  }

  // Returns true exactly once: when no read is outstanding and none will be
  // started again. The caller then removes the hold (outside the lock).
  bool TakeHoldRelease() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (hold_released_ || read_outstanding_) return false;
    if (!reads_ended_ && !cancelled_) return false;
    hold_released_ = true;
    return true;
  }

  absl::Status EndStatus() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!done_) {
      // Cancelled by the application; OnDone has not reported yet.
      return absl::CancelledError("subscription cancelled by the client");
    }
    if (final_status_.ok()) {
      return absl::OutOfRangeError(kSubscriptionEndedMessage);
    }
    return final_status_;
  }

  // Constant after construction.
  const std::shared_ptr<grpc::Channel> channel_;  // Outlives the call.
  const std::unique_ptr<v1::EventStoreService::Stub> stub_;
  const v1::SubscribeRequest request_;  // gRPC sends it from here.
  const std::size_t max_queued_messages_;
  grpc::ClientContext context_;

  // Filled by gRPC while a read is outstanding (see class invariant).
  v1::SubscribeResponse incoming_;

  // State below is protected by mu_.
  mutable Mutex mu_;
  std::deque<v1::SubscribeResponse> queue_ ABSL_GUARDED_BY(mu_);
  bool read_outstanding_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_ended_ ABSL_GUARDED_BY(mu_) = false;  // A read returned !ok.
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool hold_released_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;  // OnDone ran.
  absl::Status final_status_ ABSL_GUARDED_BY(mu_);
};

Subscription::Subscription(std::shared_ptr<grpc::Channel> channel,
                           const v1::SubscribeRequest& request,
                           const SubscriptionOptions& options,
                           const std::string& token)
    : reactor_(std::make_unique<SubscriptionReactor>(
          std::move(channel), request, options.max_queued_messages, token)) {
  reactor_->Start();
}

Subscription::~Subscription() {
  reactor_->Cancel();
  reactor_->WaitUntilDone();
}

absl::StatusOr<v1::SubscribeResponse> Subscription::Next(
    absl::Duration timeout) {
  return reactor_->Next(timeout);
}

void Subscription::Cancel() { reactor_->Cancel(); }

}  // namespace evstore::client
