#include "bench/ceiling_bidi_stream.h"

#include <grpcpp/client_context.h>
#include <grpcpp/support/client_callback.h>

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "base/mutex.h"
#include "bench/proto/ceiling.grpc.pb.h"
#include "client/status_conversion.h"

namespace evstore::bench {

using Outcome = absl::StatusOr<v1::CeilingResponse>;
using Callback = CeilingBidiStream::Callback;

// The reactor behind a CeilingBidiStream. Reads run inside reactions only;
// writes start from Send() and OnWriteDone(), one at a time. The hold taken
// at the start is released once no write is in flight and none will follow,
// so that gRPC can call OnDone.
class CeilingBidiReactor final
    : public grpc::ClientBidiReactor<v1::CeilingRequest, v1::CeilingResponse> {
 public:
  explicit CeilingBidiReactor(std::shared_ptr<grpc::Channel> channel)
      : channel_(std::move(channel)),
        stub_(v1::CeilingService::NewStub(channel_)) {}

  void Start() {
    stub_->async()->Bidi(&context_, this);
    AddHold();
    StartRead(&incoming_);
    StartCall();
  }

  void SendAsync(v1::CeilingRequest request, Callback done) {
    absl::Status refusal;
    Callback refused;  // Takes `done` when the request is refused.
    bool start_write = false;
    {
      MutexLock lock(&mu_);
      if (closing_ || finished_) {
        refusal = finished_ ? StreamEndedStatus()
                            : absl::FailedPreconditionError("stream is closed");
        refused = std::move(done);
      } else {
        pending_.push_back({request.correlation_id(), std::move(done)});
        start_write = StartOrQueueWriteLocked(std::move(request));
      }
    }
    if (refused) {
      refused(std::move(refusal));
      return;
    }
    if (start_write) StartWrite(&current_write_);
  }

  // Queues `request`, or makes it the current write: then returns true and
  // the caller starts it (outside the lock). When the stream can no longer
  // carry writes, drops it: OnDone fails its pending entry.
  bool StartOrQueueWriteLocked(v1::CeilingRequest request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!CanWrite()) return false;
    if (write_in_flight_) {
      write_queue_.push_back(std::move(request));
      return false;
    }
    current_write_ = std::move(request);
    write_in_flight_ = true;
    return true;
  }

  absl::Status Close(absl::Duration timeout) {
    bool writes_done = false;
    bool release_hold = false;
    {
      MutexLock lock(&mu_);
      closing_ = true;
      if (!write_in_flight_ && CanWrite()) {
        writes_done_started_ = true;
        writes_done = true;
      }
      release_hold = TakeHoldRelease();
    }
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
        absl::StrCat("stream did not end within ",
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
      if (CanWrite() && !write_queue_.empty()) {
        current_write_ = std::move(write_queue_.front());
        write_queue_.pop_front();
        write_in_flight_ = true;
        start_write = true;
      } else if (CanWrite() && closing_) {
        writes_done_started_ = true;
        writes_done = true;
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
    v1::CeilingResponse reply = std::move(incoming_);
    Pending oldest;
    bool matched = false;
    {
      MutexLock lock(&mu_);
      // A reply without a request is a server bug nobody waits for; dropped.
      if (!pending_.empty()) {
        oldest = std::move(pending_.front());
        pending_.pop_front();
        matched = true;
      }
    }
    // Only now: the next reply's OnReadDone may run on another thread as
    // soon as the read starts, and must find this one's request gone.
    StartRead(&incoming_);
    if (!matched) return;
    if (reply.correlation_id() != oldest.correlation_id) {
      oldest.done(absl::InternalError(
          absl::StrCat("reply for correlation id ", reply.correlation_id(),
                       " to request ", oldest.correlation_id)));
      return;
    }
    oldest.done(std::move(reply));
  }

  void OnDone(const grpc::Status& status) override {
    std::deque<Pending> orphans;
    absl::Status failure;
    {
      MutexLock lock(&mu_);
      final_status_ = client::FromGrpcStatus(status);
      finished_ = true;
      write_queue_.clear();
      orphans.swap(pending_);
      failure = StreamEndedStatus();
    }
    for (Pending& orphan : orphans) orphan.done(failure);
    // Past this block the owner may free the reactor at once.
    MutexLock lock(&mu_);
    done_ = true;
  }

 private:
  struct Pending {
    std::uint64_t correlation_id = 0;
    Callback done;
  };

  bool CanWrite() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !write_failed_ && !reads_ended_ && !cancelled_ && !finished_ &&
           !writes_done_started_;
  }

  // True exactly once: when no write is in flight and none will start again.
  bool TakeHoldRelease() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (hold_released_ || write_in_flight_ || CanWrite()) return false;
    hold_released_ = true;
    return true;
  }

  absl::Status StreamEndedStatus() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!final_status_.ok()) return final_status_;
    return absl::UnavailableError("stream ended before the reply");
  }

  // Constant after construction.
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<v1::CeilingService::Stub> stub_;
  grpc::ClientContext context_;

  // Filled by gRPC while the (single) read is in flight.
  v1::CeilingResponse incoming_;

  // State below is protected by mu_.
  mutable Mutex mu_;
  v1::CeilingRequest current_write_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::CeilingRequest> write_queue_ ABSL_GUARDED_BY(mu_);
  std::deque<Pending> pending_ ABSL_GUARDED_BY(mu_);  // In send order.
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool writes_done_started_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_ended_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool hold_released_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;  // OnDone has the status.
  bool done_ ABSL_GUARDED_BY(mu_) = false;      // OnDone has returned.
  absl::Status final_status_ ABSL_GUARDED_BY(mu_);
};

CeilingBidiStream::CeilingBidiStream(std::shared_ptr<grpc::Channel> channel)
    : reactor_(std::make_unique<CeilingBidiReactor>(std::move(channel))) {
  reactor_->Start();
}

CeilingBidiStream::~CeilingBidiStream() {
  reactor_->Cancel();
  reactor_->WaitUntilDone();
}

void CeilingBidiStream::SendAsync(v1::CeilingRequest request, Callback done) {
  reactor_->SendAsync(std::move(request), std::move(done));
}

std::future<Outcome> CeilingBidiStream::Send(v1::CeilingRequest request) {
  auto promise = std::make_shared<std::promise<Outcome>>();
  std::future<Outcome> outcome = promise->get_future();
  reactor_->SendAsync(std::move(request), [promise](Outcome result) {
    promise->set_value(std::move(result));
  });
  return outcome;
}

absl::Status CeilingBidiStream::Close(absl::Duration timeout) {
  return reactor_->Close(timeout);
}

}  // namespace evstore::bench
