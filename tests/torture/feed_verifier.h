// Verification of one customer's feed after a restart, against the
// CustomerModel and the customer's FeedSubscriber:
// 1. the whole feed (Read): positions exactly 1..head, no id twice, each
//    stream's revisions 1, 2, 3, ... in feed order;
// 2. every acknowledged event at its acknowledged position and revision
//    (lost otherwise); every event in the feed belongs to an acknowledged or
//    an unknown-outcome append (never to a conflicted one, never a phantom);
// 3. GetEvents by id for a sample of acknowledged events;
// 4. each unknown-outcome append exists completely (consecutive positions and
//    revisions) or not at all, and its retry gives exactly-once: the original
//    result with duplicate=true if it had been applied, a fresh append (or a
//    conflict) otherwise;
// 5. a sample of acknowledged appends re-sent over an AppendSession returns
//    the original result with duplicate=true;
// 6. the subscriber reaches the head and its deliveries over all cycles are
//    exactly the feed's ids at positions 1..head.
#ifndef EVSTORE_TESTS_TORTURE_FEED_VERIFIER_H_
#define EVSTORE_TESTS_TORTURE_FEED_VERIFIER_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/evstore_client.h"
#include "tests/torture/customer_model.h"
#include "tests/torture/feed_subscriber.h"

namespace evstore::torture {

struct VerifyOptions {
  // Acknowledged appends re-sent per customer and verification; 0 re-sends
  // all of them.
  int retry_sample = 200;
  // Acknowledged ids fetched with GetEvents per customer and verification
  // (the most recent ones and as many random older ones); 0 fetches all.
  int get_sample = 1000;
  absl::Duration subscriber_timeout = absl::Seconds(60);
};

struct VerifyCounts {
  uint64_t feed_head = 0;
  uint64_t events_verified = 0;
  uint64_t get_events_checked = 0;
  uint64_t retries_checked = 0;
  uint64_t unknown_resolved = 0;
  uint64_t unknown_applied = 0;
  uint64_t unknown_retried_fresh = 0;
  uint64_t unknown_conflicts = 0;
  uint64_t lost = 0;
  uint64_t duplicated = 0;
  // Where the verification's time went.
  absl::Duration read_time;        // reading the whole feed
  absl::Duration check_time;       // comparing it with the model
  absl::Duration get_events_time;  // GetEvents by id
  absl::Duration retry_time;       // unknown-outcome and acknowledged retries
  absl::Duration subscriber_time;  // waiting for the subscriber to catch up
};

// Runs all checks for `customer` and appends one line per violation to
// `violations`. Resolves the model's unknown appends (they become acked or
// conflicted). The server must be running and idle apart from `subscriber`.
VerifyCounts VerifyCustomer(const client::Client& client, int customer,
                            const VerifyOptions& options, std::mt19937_64& rng,
                            CustomerModel& model, FeedSubscriber& subscriber,
                            std::vector<std::string>* violations);

}  // namespace evstore::torture

#endif  // EVSTORE_TESTS_TORTURE_FEED_VERIFIER_H_
