// DeadLetterFile: where the webhook sink records the events it gave up on,
// one JSON object per line, appended and fsynced before the checkpoint may
// pass the event (docs/relay.md, "Dead letters").
//
// Appends are safe against `evstore-relay redrive` taking the file at the
// same time (relay/dead_letter_redrive.h): both hold flock(LOCK_EX) on the
// file while they write or rename it, and Append writes only into the file
// that is still at the path, so a record lands either in the file redrive
// took (before the rename) or in the new one (after it), never in between.
#ifndef EVSTORE_RELAY_DEAD_LETTER_FILE_H_
#define EVSTORE_RELAY_DEAD_LETTER_FILE_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "evstore/v1/evstore.pb.h"

namespace evstore::relay {

struct DeadLetter {
  std::string sink = {};
  int attempts = 0;
  // The last failure: "HTTP 500", a libcurl error text.
  std::string last_error = {};
  // The CloudEvents JSON body that was sent.
  std::string cloud_event_json = {};
};

class DeadLetterFile {
 public:
  explicit DeadLetterFile(std::string path) : path_(std::move(path)) {}

  // Appends the record of `event` (its customer, position, id and stream)
  // and fsyncs the file (created with mode 0600 if needed). An error means
  // nothing may be assumed recorded. Safe to call from several threads and
  // processes at once, and while a redrive renames the file: the record is
  // written under flock(LOCK_EX) into the file found at the path after the
  // lock was taken.
  [[nodiscard]] absl::Status Append(const v1::RecordedEvent& event,
                                    const DeadLetter& letter) const;

  const std::string& path() const { return path_; }

 private:
  const std::string path_;
};

}  // namespace evstore::relay

#endif  // EVSTORE_RELAY_DEAD_LETTER_FILE_H_
