// How `evstore append` turns its input into events.
//
// Input comes either from DATA arguments (one JSON payload each) or from
// stdin as NDJSON, one event per line. A stdin line is either
// - a bare payload: any JSON value, e.g. {"contract":"DS000068","status":
//   "16G"}; stream, type and content type come from the flags; or
// - an event object ("envelope"):
//     {"stream":"contract/DS000068/nominations",
//      "type":"NominationResponseReceived",
//      "id":"0f8fad5b-d9cb-469f-a165-70867728950e",
//      "contentType":"application/json",
//      "data":{"contract":"DS000068","status":"16G"},
//      "metadata":{"source":"tso"}}
//   where only "data" is required; stream, type and content type default to
//   the flags, the id to a new random UUID, and metadata is merged over
//   --metadata. "content_type" and "data_encoding" are accepted as spellings
//   of "contentType" and "dataEncoding". For a JSON content type `data` is
//   the payload itself; otherwise it is a JSON string holding the payload
//   text, or its base64 form when "dataEncoding":"base64" is given (this is
//   how `evstore read` prints binary payloads, so its output can be
//   re-appended).
// In the default auto format a line is an envelope when it is a JSON object
// that has a "data" member and no members other than those above; anything
// else is a bare payload. --stdin-format=envelope|payload removes the guess.
// JSON payloads are validated and stored with insignificant whitespace
// removed; numbers, key order and escapes are kept exactly as written.
#ifndef EVSTORE_CLIENT_CLI_EVENT_INPUT_H_
#define EVSTORE_CLIENT_CLI_EVENT_INPUT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "evstore/v1/evstore.pb.h"

namespace evstore::cli {

// What the flags say about every event.
struct EventDefaults {
  std::string stream;        // --stream; may be empty for envelope input.
  std::string type;          // --type
  std::string content_type;  // --content-type; empty means JSON.
  std::vector<std::pair<std::string, std::string>> metadata;  // --metadata
};

// An event together with the stream it is appended to.
struct InputEvent {
  std::string stream;
  v1::ProposedEvent event;
};

// kRecorded: a line as `evstore read`, `tail` and `export` print a recorded
// event (an envelope that also has customer, revision, position and
// recordedAt, which are ignored); "id" is required, since `import` is
// idempotent by ids.
enum class LineFormat { kAuto, kEnvelope, kPayload, kRecorded };

// Parses --stdin-format: "auto", "envelope" or "payload".
absl::StatusOr<LineFormat> ParseLineFormat(absl::string_view text);

// Parses one --metadata value "key=value".
absl::StatusOr<std::pair<std::string, std::string>> ParseMetadataFlag(
    absl::string_view text);

// Builds the event for one DATA argument. An empty `id` gets a random one.
// Fails with INVALID_ARGUMENT when --type is missing or a JSON payload is not
// valid JSON.
absl::StatusOr<v1::ProposedEvent> EventFromArgument(
    absl::string_view data, absl::string_view id,
    const EventDefaults& defaults);

// Parses stdin lines (see the file comment). Not thread-safe.
class EventLineParser {
 public:
  EventLineParser(EventDefaults defaults, LineFormat format)
      : defaults_(std::move(defaults)), format_(format) {}

  // Parses one non-blank line. Fails with INVALID_ARGUMENT describing what
  // is wrong with it.
  absl::StatusOr<InputEvent> Parse(absl::string_view line) const;

 private:
  const EventDefaults defaults_;
  const LineFormat format_;
};

}  // namespace evstore::cli

#endif  // EVSTORE_CLIENT_CLI_EVENT_INPUT_H_
