// RetryPolicy (client/retry_policy.h): which failures are transient, the
// backoff's growth, bound, jitter and retry hint, and CallWithRetry's
// attempt count.
#include "client/retry_policy.h"

#include <catch2/catch.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/retry_after.h"

namespace evstore::client {
namespace {

TEST_CASE("transient failures are unavailable deadline and hinted quota") {
  CHECK(IsTransientFailure(absl::UnavailableError("restarting")));
  CHECK(IsTransientFailure(absl::DeadlineExceededError("slow")));
  CHECK(IsTransientFailure(
      WithRetryAfterMs(absl::ResourceExhaustedError("rate"), 250)));
  // A size limit carries no hint: retrying cannot help.
  CHECK_FALSE(IsTransientFailure(absl::ResourceExhaustedError("too big")));
  CHECK_FALSE(IsTransientFailure(absl::InvalidArgumentError("bad")));
  CHECK_FALSE(IsTransientFailure(absl::PermissionDeniedError("no")));
  CHECK_FALSE(IsTransientFailure(absl::FailedPreconditionError("revision")));
  CHECK_FALSE(IsTransientFailure(absl::AlreadyExistsError("mixed ids")));
  CHECK_FALSE(IsTransientFailure(absl::OkStatus()));
}

TEST_CASE("backoff doubles up to its bound within the jitter") {
  const RetryPolicy policy{.max_attempts = 10,
                           .initial_backoff = absl::Milliseconds(100),
                           .max_backoff = absl::Seconds(1),
                           .multiplier = 2.0,
                           .jitter = 0.2};
  const absl::Status unavailable = absl::UnavailableError("down");
  for (int round = 0; round < 50; ++round) {
    const absl::Duration first = RetryBackoff(policy, 1, unavailable);
    CHECK(first >= absl::Milliseconds(80));
    CHECK(first <= absl::Milliseconds(120));
    const absl::Duration third = RetryBackoff(policy, 3, unavailable);
    CHECK(third >= absl::Milliseconds(320));
    CHECK(third <= absl::Milliseconds(480));
    const absl::Duration late = RetryBackoff(policy, 40, unavailable);
    CHECK(late >= absl::Milliseconds(800));
    CHECK(late <= absl::Milliseconds(1200));
  }
  // The server's hint wins when it is longer.
  CHECK(RetryBackoff(policy, 1,
                     WithRetryAfterMs(absl::ResourceExhaustedError("rate"),
                                      5000)) == absl::Seconds(5));
}

TEST_CASE("CallWithRetry stops at success a permanent error or the bound") {
  const RetryPolicy policy{.max_attempts = 4,
                           .initial_backoff = absl::Milliseconds(1),
                           .max_backoff = absl::Milliseconds(1)};
  int attempts = 0;
  absl::StatusOr<int> result = CallWithRetry(policy, [&] {
    ++attempts;
    return attempts < 3 ? absl::StatusOr<int>(absl::UnavailableError("down"))
                        : absl::StatusOr<int>(7);
  });
  CHECK(attempts == 3);
  REQUIRE(result.ok());
  CHECK(*result == 7);

  attempts = 0;
  absl::Status status = CallWithRetry(policy, [&] {
    ++attempts;
    return absl::UnavailableError("down");
  });
  CHECK(attempts == 4);
  CHECK(absl::IsUnavailable(status));

  attempts = 0;
  status = CallWithRetry(policy, [&] {
    ++attempts;
    return absl::InvalidArgumentError("bad");
  });
  CHECK(attempts == 1);

  attempts = 0;
  status = CallWithRetry(RetryPolicy::None(), [&] {
    ++attempts;
    return absl::UnavailableError("down");
  });
  CHECK(attempts == 1);
}

}  // namespace
}  // namespace evstore::client
