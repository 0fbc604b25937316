// Re-driving dead letters: `evstore-relay redrive` re-posts the dead-lettered
// records of one webhook sink (docs/relay.md, "Dead letters").
//
// Each record's CloudEvent is POSTed unchanged, signed afresh, with the
// sink's url, secret, timeout and retry policy (max_attempts, backoff with
// jitter; only transport errors, timeouts, 408, 429 and 5xx are retried), one
// record at a time in file order. A record that fails again is appended back
// to the live dead-letter file (DeadLetterFile::Append) with its attempts
// increased and its new last error. The files are taken with
// DeadLetterClaim (relay/dead_letter_claim.h), so a relay may keep appending
// meanwhile and a redrive that dies midway loses nothing.
//
// Order: a re-posted event reaches the receiver after later events of its
// stream (the relay moved on when it dead-lettered it); receivers
// deduplicate by the CloudEvents id anyway (at-least-once).
#ifndef EVSTORE_RELAY_DEAD_LETTER_REDRIVE_H_
#define EVSTORE_RELAY_DEAD_LETTER_REDRIVE_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "relay/dead_letter_listing.h"
#include "relay/webhook_request.h"

namespace evstore::relay {

struct RedriveOptions {
  // Only records of this customer and sink are re-posted; others (a file
  // shared by sinks) are appended back unchanged.
  std::string customer = {};
  std::string sink_name = {};
  WebhookTarget target = {};
  int max_attempts = 8;
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(30);
  std::string dead_letter_file = {};
  // Reads the live file and any leftovers and reports what would be
  // re-posted; changes no file and posts nothing.
  bool dry_run = false;
};

// What became of one record.
struct RedriveResult {
  // The record as it is now: attempts include this redrive's.
  DeadLetterSummary record = {};
  enum class Outcome {
    kDelivered,    // 2xx: removed from the dead letters.
    kFailed,       // Appended back with record.last_error.
    kOtherSink,    // Another customer's or sink's record: appended back.
    kWouldRepost,  // Dry run.
  };
  Outcome outcome = Outcome::kFailed;
};

struct RedriveTotals {
  std::size_t delivered = 0;
  // Failed again, or another sink's: still dead-lettered.
  std::size_t remaining = 0;
  // Records found twice (same id; a redrive that died after appending them
  // back) and re-posted once.
  std::size_t duplicates = 0;
  // Dry run: records that would be re-posted.
  std::size_t would_repost = 0;
};

// Re-posts the records as described above, calling `on_result` after each
// one (in file order). An error (a file that cannot be read, taken or
// appended to) stops the redrive; the files it took stay as leftovers for
// the next one. libcurl must have been initialized (curl_global_init).
absl::StatusOr<RedriveTotals> RedriveDeadLetters(
    const RedriveOptions& options,
    const std::function<void(const RedriveResult&)>& on_result);

}  // namespace evstore::relay

#endif  // EVSTORE_RELAY_DEAD_LETTER_REDRIVE_H_
