// TokenBucket with an injected clock: no sleeps.
#include "server/token_bucket.h"

#include <catch2/catch.hpp>

using evstore::server::TokenBucket;

namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'000'000);

}  // namespace

TEST_CASE("a full bucket admits the burst and then the rate") {
  TokenBucket bucket(/*rate=*/10, /*burst=*/5, kStart);
  // The burst at once.
  for (int i = 0; i < 5; ++i) {
    REQUIRE(bucket.TimeUntilAvailable(1) == absl::ZeroDuration());
    bucket.Take(1);
  }
  // Empty: the next token comes after 1/rate.
  CHECK(bucket.TimeUntilAvailable(1) == absl::Milliseconds(100));
  bucket.Refill(kStart + absl::Milliseconds(50));
  CHECK(bucket.TimeUntilAvailable(1) == absl::Milliseconds(50));
  bucket.Refill(kStart + absl::Milliseconds(100));
  REQUIRE(bucket.TimeUntilAvailable(1) == absl::ZeroDuration());
  bucket.Take(1);
  // Over one simulated minute, at most rate x time (+ the burst) is taken.
  int taken = 0;
  for (int ms = 101; ms <= 60'100; ++ms) {
    bucket.Refill(kStart + absl::Milliseconds(ms));
    if (bucket.TimeUntilAvailable(1) == absl::ZeroDuration()) {
      bucket.Take(1);
      ++taken;
    }
  }
  CHECK(taken == 600);
}

TEST_CASE("an idle bucket refills only up to the burst") {
  TokenBucket bucket(/*rate=*/100, /*burst=*/20, kStart);
  bucket.Take(20);
  bucket.Refill(kStart + absl::Hours(1));
  CHECK(bucket.tokens() == 20);
  CHECK(bucket.TimeUntilAvailable(20) == absl::ZeroDuration());
  CHECK(bucket.TimeUntilAvailable(21) == absl::ZeroDuration());  // > burst
}

TEST_CASE("time going backwards earns nothing") {
  TokenBucket bucket(/*rate=*/10, /*burst=*/10, kStart);
  bucket.Take(10);
  bucket.Refill(kStart - absl::Seconds(5));
  CHECK(bucket.tokens() == 0);
  bucket.Refill(kStart + absl::Milliseconds(500));
  CHECK(bucket.tokens() == Approx(5));
}

TEST_CASE(
    "a request larger than the burst needs a full bucket and leaves a "
    "debt") {
  TokenBucket bucket(/*rate=*/10, /*burst=*/10, kStart);
  bucket.Take(1);
  // 9 tokens: a request of 30 waits for the bucket to be full (0.1 s)...
  CHECK(bucket.TimeUntilAvailable(30) == absl::Milliseconds(100));
  bucket.Refill(kStart + absl::Milliseconds(100));
  REQUIRE(bucket.TimeUntilAvailable(30) == absl::ZeroDuration());
  bucket.Take(30);
  // ...and then the debt of 20 is paid before one more token is available.
  CHECK(bucket.tokens() == Approx(-20));
  CHECK(bucket.TimeUntilAvailable(1) == absl::Milliseconds(2100));
}
