#include "server/append_session_reactor.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/proto_conversion.h"
#include "server/retry_hint.h"
#include "server/status_mapping.h"

namespace evstore::server {
namespace {

v1::AppendSessionResult ErrorResult(uint64_t correlation_id,
                                    const absl::Status& status) {
  const grpc::Status grpc_status = ToGrpcStatus(status);
  v1::AppendSessionResult result;
  result.set_correlation_id(correlation_id);
  v1::AppendError* error = result.mutable_error();
  error->set_code(static_cast<int32_t>(grpc_status.error_code()));
  error->set_message(grpc_status.error_message());
  if (std::optional<int64_t> retry_after_ms = RetryAfterMs(status)) {
    error->set_retry_after_ms(static_cast<uint64_t>(*retry_after_ms));
  }
  return result;
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

AppendSessionReactor::AppendSessionReactor(
    EventLog* log, const RequestLimits& limits, QuotaEnforcer* quotas,
    AppendSessionRegistry* registry, const Authorizer* authorizer,
    std::string token_hash, ServerMetrics* metrics)
    : log_(log),
      limits_(limits),
      quotas_(quotas),
      registry_(registry),
      authorizer_(authorizer),
      token_hash_(std::move(token_hash)),
      metrics_(metrics) {
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
  const absl::Time received = absl::Now();
  // No read is in flight now, so request_ is free to take.
  v1::AppendSessionRequest request;
  request.Swap(&request_);
  const size_t count = static_cast<size_t>(request.appends_size());
  {
    MutexLock lock(&mu_);
    reading_ = false;
    if (finished_ || broken_) return;  // Nobody would see the reply.
    unanswered_ += count;
    MaybeStartReadLocked();
  }
  if (count == 0) return;
  // The token as it is now: a revoked one fails every later append.
  absl::StatusOr<TokenRecord> caller = authorizer_->Reauthenticate(token_hash_);
  if (!caller.ok()) {
    RejectAll(request, caller.status());
    return;
  }
  if (count > kMaxAppendsPerMessage) {
    RejectAll(request, absl::InvalidArgumentError(absl::StrCat(
                           "appends: an AppendSessionRequest carries at most ",
                           kMaxAppendsPerMessage, " appends; this one carries ",
                           count, " (none of them was processed)")));
    return;
  }

  std::vector<AppendBatch> batches;
  std::vector<uint64_t> correlation_ids;
  std::vector<v1::AppendSessionResult> rejected;
  batches.reserve(count);
  correlation_ids.reserve(count);
  for (v1::SessionAppend& append : *request.mutable_appends()) {
    if (absl::Status allowed = Authorizer::Authorize(
            *caller, Operation::kAppend, append.append().customer());
        !allowed.ok()) {
      rejected.push_back(ErrorResult(append.correlation_id(), allowed));
      continue;
    }
    absl::StatusOr<AppendBatch> batch =
        ToAppendBatch(std::move(*append.mutable_append()), limits_);
    if (batch.ok()) {
      if (absl::Status admitted = quotas_->AdmitAppend(*batch);
          !admitted.ok()) {
        batch = std::move(admitted);
      }
    }
    if (batch.ok()) {
      batches.push_back(*std::move(batch));
      correlation_ids.push_back(append.correlation_id());
    } else {
      rejected.push_back(ErrorResult(append.correlation_id(), batch.status()));
    }
  }
  if (!rejected.empty()) Reply(std::move(rejected));
  if (batches.empty()) return;
  {
    MutexLock lock(&mu_);
    callbacks_outstanding_ += batches.size();
  }
  // The callback may run before AppendMany returns, and concurrently with
  // itself; nothing below touches this.
  log_->AppendMany(std::move(batches),
                   [this, correlation_ids = std::move(correlation_ids),
                    received](std::vector<IndexedAppendResult> outcomes) {
                     OnAppendsDone(correlation_ids, received,
                                   std::move(outcomes));
                   });
}

void AppendSessionReactor::RejectAll(const v1::AppendSessionRequest& request,
                                     const absl::Status& why) {
  std::vector<v1::AppendSessionResult> results;
  results.reserve(static_cast<size_t>(request.appends_size()));
  for (const v1::SessionAppend& append : request.appends()) {
    results.push_back(ErrorResult(append.correlation_id(), why));
  }
  Reply(std::move(results));
}

void AppendSessionReactor::CountResults(
    const std::vector<v1::AppendSessionResult>& results) {
  if (metrics_ == nullptr) return;
  for (const v1::AppendSessionResult& result : results) {
    metrics_->RecordAppendResult(
        result.has_error()
            ? static_cast<grpc::StatusCode>(result.error().code())
            : grpc::StatusCode::OK);
  }
}

void AppendSessionReactor::OnAppendsDone(
    const std::vector<uint64_t>& correlation_ids, absl::Time received,
    std::vector<IndexedAppendResult> outcomes) {
  if (metrics_ != nullptr) {
    metrics_->RecordAppendLatency(absl::Now() - received, outcomes.size());
  }
  std::vector<v1::AppendSessionResult> results;
  results.reserve(outcomes.size());
  for (IndexedAppendResult& outcome : outcomes) {
    const uint64_t correlation_id = correlation_ids[outcome.index];
    if (outcome.result.ok()) {
      v1::AppendSessionResult& result = results.emplace_back();
      result.set_correlation_id(correlation_id);
      ToProto(*outcome.result, result.mutable_success());
    } else {
      results.push_back(ErrorResult(correlation_id, outcome.result.status()));
    }
  }
  CountResults(results);
  bool destroy;
  {
    MutexLock lock(&mu_);
    callbacks_outstanding_ -= results.size();
    if (finished_ || broken_) {
      unanswered_ -= results.size();
    } else {
      for (v1::AppendSessionResult& result : results) {
        *pending_.add_results() = std::move(result);
      }
      MaybeStartWriteLocked();
    }
    destroy = done_ && callbacks_outstanding_ == 0;
  }
  if (destroy) delete this;
}

void AppendSessionReactor::Reply(std::vector<v1::AppendSessionResult> results) {
  CountResults(results);
  MutexLock lock(&mu_);
  if (finished_ || broken_) {
    unanswered_ -= results.size();
    return;
  }
  for (v1::AppendSessionResult& result : results) {
    *pending_.add_results() = std::move(result);
  }
  MaybeStartWriteLocked();
}

void AppendSessionReactor::OnWriteDone(bool ok) {
  MutexLock lock(&mu_);
  writing_ = false;
  unanswered_ -= writing_results_;
  writing_results_ = 0;
  if (!ok) {
    broken_ = true;
    unanswered_ -= static_cast<size_t>(pending_.results_size());
    pending_.Clear();
  }
  MaybeStartWriteLocked();
  MaybeStartReadLocked();
  MaybeFinishLocked();
}

void AppendSessionReactor::OnCancel() {
  MutexLock lock(&mu_);
  broken_ = true;
  unanswered_ -= static_cast<size_t>(pending_.results_size());
  pending_.Clear();
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
  if (writing_ || pending_.results_size() == 0 || finished_ || broken_) {
    return;
  }
  // Everything ready goes in one message; pending_ starts empty again.
  writing_reply_.Clear();
  writing_reply_.Swap(&pending_);
  writing_results_ = static_cast<size_t>(writing_reply_.results_size());
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
