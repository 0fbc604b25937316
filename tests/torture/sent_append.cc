#include "tests/torture/sent_append.h"

#include <utility>

namespace evstore::torture {

const char* ChannelName(AppendChannel channel) {
  switch (channel) {
    case AppendChannel::kUnarySingle:
      return "unary";
    case AppendChannel::kSessionSingle:
      return "session";
    case AppendChannel::kUnaryBatch:
      return "batch";
    case AppendChannel::kRetry:
      return "retry";
  }
  return "?";
}

int EventCount(const v1::AppendRequest& request) {
  int events = 0;
  for (const v1::StreamWrite& write : request.writes()) {
    events += write.events_size();
  }
  return events;
}

OutcomeKind ClassifyFailure(const absl::Status& status) {
  return absl::IsFailedPrecondition(status) ? OutcomeKind::kConflict
                                            : OutcomeKind::kUnknown;
}

bool IsTransportFailure(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsCancelled(status) ||
         absl::IsDeadlineExceeded(status);
}

void OutcomeLog::Add(AppendOutcome outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  outcomes_.push_back(std::move(outcome));
}

std::vector<AppendOutcome> OutcomeLog::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(outcomes_, {});
}

}  // namespace evstore::torture
