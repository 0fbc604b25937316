// RetryPolicy: when and how long the evstore client waits before trying a
// call again after a transient failure.
//
// Transient failures are those a later attempt can overcome without any
// change to the request: UNAVAILABLE (server restarting, connection lost),
// DEADLINE_EXCEEDED (the attempt took too long; it may or may not have taken
// effect), and RESOURCE_EXHAUSTED when the server sent a retry hint
// (`retry-after-ms`, a rate quota; see client/retry_after.h). Every other
// code is permanent: retrying cannot help (INVALID_ARGUMENT, NOT_FOUND,
// PERMISSION_DENIED, FAILED_PRECONDITION, ...), and RESOURCE_EXHAUSTED without
// a hint is a size limit.
//
// Retrying is safe only for idempotent calls. Append is idempotent because of
// its event ids: a retry of an append that was recorded returns the original
// result with `duplicate` set. CommitCheckpoint is idempotent (committing the
// same position again is a no-op).
#ifndef EVSTORE_CLIENT_RETRY_POLICY_H_
#define EVSTORE_CLIENT_RETRY_POLICY_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace evstore::client {

// Exponential backoff with jitter, bounded by a number of attempts. The wait
// before attempt k+1 (k >= 1) is min(max_backoff, initial_backoff *
// multiplier^(k-1)), randomized by +-jitter, and at least the server's retry
// hint when there is one.
struct RetryPolicy {
  // Attempts in total, including the first. 1 (or less) never retries.
  int max_attempts = 1;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  double multiplier = 2.0;
  // 0.2 waits between 80% and 120% of the computed backoff.
  double jitter = 0.2;

  // Never retries (the default of ClientOptions::retry).
  static RetryPolicy None() { return RetryPolicy{}; }
  // 10 attempts, 100 ms doubling up to 5 s: rides out a server restart of up
  // to about 20 s.
  static RetryPolicy Standard() { return RetryPolicy{.max_attempts = 10}; }
};

// Whether `status` is a transient failure (see the file comment).
[[nodiscard]] bool IsTransientFailure(const absl::Status& status);

// The wait before the attempt after `failed_attempts` (>= 1) failed attempts
// whose last failure was `status`: the backoff of `policy`, at least the
// server's retry hint of `status`.
[[nodiscard]] absl::Duration RetryBackoff(const RetryPolicy& policy,
                                          int failed_attempts,
                                          const absl::Status& status);

// The status of a result of CallWithRetry's attempt.
inline const absl::Status& StatusOf(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}

// Runs `attempt` (a callable returning absl::Status or absl::StatusOr<T>)
// until it succeeds, fails permanently, or `policy.max_attempts` attempts
// have failed; sleeps RetryBackoff() between attempts. Returns the last
// result.
template <typename Attempt>
auto CallWithRetry(const RetryPolicy& policy, Attempt&& attempt)
    -> decltype(attempt()) {
  for (int failed = 1;; ++failed) {
    auto result = attempt();
    const absl::Status& status = StatusOf(result);
    if (status.ok() || failed >= policy.max_attempts ||
        !IsTransientFailure(status)) {
      return result;
    }
    absl::SleepFor(RetryBackoff(policy, failed, status));
  }
}

}  // namespace evstore::client

#endif  // EVSTORE_CLIENT_RETRY_POLICY_H_
