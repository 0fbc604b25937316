#include "relay/backoff.h"

#include <algorithm>

#include "absl/random/random.h"

namespace evstore::relay {

absl::Duration BackoffWithJitter(int retry, absl::Duration initial,
                                 absl::Duration max) {
  absl::Duration wait = initial;
  for (int i = 1; i < retry && wait < max; ++i) wait *= 2;
  wait = std::min(wait, max);
  thread_local absl::BitGen random;
  return wait * absl::Uniform(random, 0.8, 1.2);
}

}  // namespace evstore::relay
