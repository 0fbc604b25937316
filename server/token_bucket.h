// TokenBucket: a rate limit with bursts. The bucket holds up to `burst`
// tokens and refills at `rate` tokens per second; taking N tokens needs N in
// the bucket. Time is passed in by the caller (no clock inside), so tests
// drive it without sleeping.
#ifndef EVSTORE_SERVER_TOKEN_BUCKET_H_
#define EVSTORE_SERVER_TOKEN_BUCKET_H_

#include "absl/time/time.h"

namespace evstore::server {

// Not thread-safe: the owner serialises calls.
class TokenBucket {
 public:
  // Starts full at `now`. `rate` > 0 and `burst` > 0.
  TokenBucket(double rate, double burst, absl::Time now);

  // Adds the tokens earned since the last call (capped at the burst). Time
  // going backwards earns nothing.
  void Refill(absl::Time now);

  // How long until `amount` could be taken (zero: now), given the tokens
  // after the last Refill. A request larger than the burst needs a full
  // bucket (it could never be satisfied otherwise) and then drives the
  // bucket below zero, so the debt is paid by later requests.
  absl::Duration TimeUntilAvailable(double amount) const;

  // Removes `amount` tokens (after TimeUntilAvailable said zero).
  void Take(double amount) { tokens_ -= amount; }

  double tokens() const { return tokens_; }
  double rate() const { return rate_; }
  double burst() const { return burst_; }

 private:
  double rate_;
  double burst_;
  double tokens_;
  absl::Time last_refill_;
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_TOKEN_BUCKET_H_
