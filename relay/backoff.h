// Exponential backoff with jitter for the relay's retries.
#ifndef EVSTORE_RELAY_BACKOFF_H_
#define EVSTORE_RELAY_BACKOFF_H_

#include "absl/time/time.h"

namespace evstore::relay {

// The wait before retry number `retry` (1 for the first retry):
// initial * 2^(retry-1), capped at `max`, then scaled by a random factor in
// [0.8, 1.2). Thread-safe.
absl::Duration BackoffWithJitter(int retry, absl::Duration initial,
                                 absl::Duration max);

}  // namespace evstore::relay

#endif  // EVSTORE_RELAY_BACKOFF_H_
