// Reading a dead-letter file back (relay/dead_letter_file.h), for
// `evstore-relay dead-letters` and for tests.
#ifndef EVSTORE_RELAY_DEAD_LETTER_LISTING_H_
#define EVSTORE_RELAY_DEAD_LETTER_LISTING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace evstore::relay {

// One record of a dead-letter file, without the CloudEvent.
struct DeadLetterSummary {
  std::string customer = {};
  std::string sink = {};
  std::uint64_t position = 0;
  std::string stream = {};
  std::string id = {};
  std::int64_t attempts = 0;
  std::string last_error = {};
};

// One whole record: the summary and the CloudEvent that was sent.
struct DeadLetterRecord {
  DeadLetterSummary summary = {};
  // The CloudEvents JSON body exactly as it was posted (the record's `event`
  // value, byte for byte).
  std::string cloud_event_json = {};
};

// The records of the file at `path`, in file order. A missing file has
// none. A line that is not JSON is the start of a record whose append was
// cut short by a crash; it is skipped wherever it is (DeadLetterFile::Append
// ends such a line before it appends): that append was never confirmed, so
// the relay sent the event again after its restart. INVALID_ARGUMENT names
// the first line that is JSON but not a record.
absl::StatusOr<std::vector<DeadLetterSummary>> ReadDeadLetters(
    const std::string& path);

// The same, with each record's CloudEvent (for a redrive). A record whose
// `event` is not a JSON object is not a record.
absl::StatusOr<std::vector<DeadLetterRecord>> ReadDeadLetterRecords(
    const std::string& path);

}  // namespace evstore::relay

#endif  // EVSTORE_RELAY_DEAD_LETTER_LISTING_H_
