#include "server/token_bucket.h"

#include <algorithm>

namespace evstore::server {

TokenBucket::TokenBucket(double rate, double burst, absl::Time now)
    : rate_(rate), burst_(burst), tokens_(burst), last_refill_(now) {}

void TokenBucket::Refill(absl::Time now) {
  if (now <= last_refill_) return;
  const double earned = absl::ToDoubleSeconds(now - last_refill_) * rate_;
  tokens_ = std::min(burst_, tokens_ + earned);
  last_refill_ = now;
}

absl::Duration TokenBucket::TimeUntilAvailable(double amount) const {
  const double needed = std::min(amount, burst_);
  if (tokens_ >= needed) return absl::ZeroDuration();
  return absl::Seconds((needed - tokens_) / rate_);
}

}  // namespace evstore::server
