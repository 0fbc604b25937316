#include "client/retry_policy.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

#include "client/retry_after.h"

namespace evstore::client {

bool IsTransientFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return true;
    case absl::StatusCode::kResourceExhausted:
      return RetryAfter(status).has_value();
    default:
      return false;
  }
}

absl::Duration RetryBackoff(const RetryPolicy& policy, int failed_attempts,
                            const absl::Status& status) {
  const double exponent = std::max(0, failed_attempts - 1);
  absl::Duration backoff =
      policy.initial_backoff *
      std::pow(std::max(1.0, policy.multiplier), std::min(exponent, 60.0));
  backoff = std::min(backoff, policy.max_backoff);
  if (policy.jitter > 0) {
    thread_local std::minstd_rand random{std::random_device{}()};
    std::uniform_real_distribution<double> factor(1.0 - policy.jitter,
                                                  1.0 + policy.jitter);
    backoff = backoff * factor(random);
  }
  if (std::optional<absl::Duration> hint = RetryAfter(status)) {
    backoff = std::max(backoff, *hint);
  }
  return std::max(backoff, absl::ZeroDuration());
}

}  // namespace evstore::client
