#include "server/append_session_reactor.h"

#include <string>
#include <utility>

#include "server/proto_conversion.h"
#include "server/status_mapping.h"

namespace evstore::server {
namespace {

v1::AppendSessionResponse ErrorReply(uint64_t correlation_id,
                                     const absl::Status& status) {
  const grpc::Status grpc_status = ToGrpcStatus(status);
  v1::AppendSessionResponse reply;
  reply.set_correlation_id(correlation_id);
  v1::AppendError* error = reply.mutable_error();
  error->set_code(static_cast<int32_t>(grpc_status.error_code()));
  error->set_message(grpc_status.error_message());
  return reply;
}

}  // namespace

bool AppendSessionRegistry::Add(AppendSessionReactor* session) {
  MutexLock lock(&mu_);
  if (shutting_down_) return false;
  sessions_.insert(session);
  return true;
}

void AppendSessionRegistry::Remove(AppendSessionReactor* session) {
  MutexLock lock(&mu_);
  sessions_.erase(session);
}

void AppendSessionRegistry::ShutdownAll() {
  // A session stays registered until its OnDone, which needs mu_ to
  // unregister, so every session seen here is alive.
  MutexLock lock(&mu_);
  shutting_down_ = true;
  for (AppendSessionReactor* session : sessions_) session->BeginShutdown();
}

AppendSessionReactor::AppendSessionReactor(EventLog* log,
                                           const RequestLimits& limits,
                                           AppendSessionRegistry* registry)
    : log_(log), limits_(limits), registry_(registry) {
  const bool registered = registry_->Add(this);
  MutexLock lock(&mu_);
  if (!registered) shutting_down_ = true;
  MaybeStartReadLocked();
  MaybeFinishLocked();
}

void AppendSessionReactor::OnReadDone(bool ok) {
  if (!ok) {
    MutexLock lock(&mu_);
    reading_ = false;
    reads_done_ = true;
    MaybeFinishLocked();
    return;
  }
  // No read is in flight now, so request_ is free to take.
  v1::AppendSessionRequest request;
  request.Swap(&request_);
  {
    MutexLock lock(&mu_);
    reading_ = false;
    if (finished_ || broken_) return;  // Nobody would see the reply.
    ++unanswered_;
    MaybeStartReadLocked();
  }

  const uint64_t correlation_id = request.correlation_id();
  absl::StatusOr<AppendBatch> batch =
      ToAppendBatch(std::move(*request.mutable_append()), limits_);
  if (!batch.ok()) {
    Reply(ErrorReply(correlation_id, batch.status()));
    return;
  }
  {
    MutexLock lock(&mu_);
    ++callbacks_outstanding_;
  }
  // The callback may run before Append returns; nothing below touches this.
  log_->Append(*std::move(batch),
               [this, correlation_id](absl::StatusOr<AppendResult> result) {
                 OnAppendDone(correlation_id, std::move(result));
               });
}

void AppendSessionReactor::OnAppendDone(uint64_t correlation_id,
                                        absl::StatusOr<AppendResult> result) {
  v1::AppendSessionResponse reply;
  if (result.ok()) {
    reply.set_correlation_id(correlation_id);
    ToProto(*result, reply.mutable_success());
  } else {
    reply = ErrorReply(correlation_id, result.status());
  }
  bool destroy;
  {
    MutexLock lock(&mu_);
    --callbacks_outstanding_;
    if (finished_ || broken_) {
      --unanswered_;
    } else {
      pending_.push_back(std::move(reply));
      MaybeStartWriteLocked();
    }
    destroy = done_ && callbacks_outstanding_ == 0;
  }
  if (destroy) delete this;
}

void AppendSessionReactor::Reply(v1::AppendSessionResponse reply) {
  MutexLock lock(&mu_);
  if (finished_ || broken_) {
    --unanswered_;
    return;
  }
  pending_.push_back(std::move(reply));
  MaybeStartWriteLocked();
}

void AppendSessionReactor::OnWriteDone(bool ok) {
  MutexLock lock(&mu_);
  writing_ = false;
  --unanswered_;
  if (!ok) {
    broken_ = true;
    unanswered_ -= pending_.size();
    pending_.clear();
  }
  MaybeStartWriteLocked();
  MaybeStartReadLocked();
  MaybeFinishLocked();
}

void AppendSessionReactor::OnCancel() {
  MutexLock lock(&mu_);
  broken_ = true;
  unanswered_ -= pending_.size();
  pending_.clear();
  MaybeFinishLocked();
}

void AppendSessionReactor::OnDone() {
  registry_->Remove(this);
  bool destroy;
  {
    MutexLock lock(&mu_);
    done_ = true;
    destroy = callbacks_outstanding_ == 0;
  }
  if (destroy) delete this;
}

void AppendSessionReactor::BeginShutdown() {
  MutexLock lock(&mu_);
  shutting_down_ = true;
  MaybeFinishLocked();
}

void AppendSessionReactor::MaybeStartReadLocked() {
  if (reading_ || reads_done_ || finished_ || broken_ || shutting_down_ ||
      unanswered_ >= kMaxUnanswered) {
    return;
  }
  reading_ = true;
  StartRead(&request_);
}

void AppendSessionReactor::MaybeStartWriteLocked() {
  if (writing_ || pending_.empty() || finished_ || broken_) return;
  writing_reply_ = std::move(pending_.front());
  pending_.pop_front();
  writing_ = true;
  StartWrite(&writing_reply_);
}

void AppendSessionReactor::MaybeFinishLocked() {
  if (finished_) return;
  grpc::Status status;
  if (broken_) {
    // The client is gone; a write in flight must complete first so that
    // nothing is started after Finish.
    if (writing_) return;
    status = grpc::Status::CANCELLED;
  } else if (unanswered_ == 0 && reads_done_) {
    status = grpc::Status::OK;
  } else if (unanswered_ == 0 && shutting_down_) {
    // A read may still be in flight; it completes (not ok) after Finish.
    status =
        grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down");
  } else {
    return;  // Replies are still owed, or the client may send more.
  }
  finished_ = true;
  Finish(std::move(status));
}

}  // namespace evstore::server
