// The values that flow through the event log: events as proposed by a
// producer, appends, their results, and events as recorded.
#ifndef EVSTORE_STORAGE_RECORDS_H_
#define EVSTORE_STORAGE_RECORDS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "storage/event_id.h"
#include "storage/types.h"

namespace evstore {

struct SegmentDrop;  // storage/segment_drop.h

// Key/value metadata of an event. Stored and returned in the order given
// (the server gives it sorted by key: protobuf maps have no order).
using EventMetadata = std::vector<std::pair<std::string, std::string>>;

// An event as the producer writes it. The storage engine stores the fields
// as given; content rules (JSON validity, sizes) are checked before append.
struct ProposedEvent {
  EventId id;
  std::string type;
  std::string content_type;  // Never empty here: the server fills defaults.
  std::string data;
  EventMetadata metadata;
};

// An optimistic-concurrency condition on one stream.
struct ExpectedRevision {
  enum class Kind {
    kAny,           // No condition.
    kNoStream,      // The stream must have no events.
    kStreamExists,  // The stream must have at least one event.
    kExact,         // The stream's revision must equal `revision`.
  };
  Kind kind = Kind::kAny;
  StreamRevision revision;  // Only meaningful for kExact; 0 = empty stream.

  static ExpectedRevision Any() { return {}; }
  static ExpectedRevision NoStream() { return {Kind::kNoStream, {}}; }
  static ExpectedRevision StreamExists() { return {Kind::kStreamExists, {}}; }
  static ExpectedRevision Exact(StreamRevision r) { return {Kind::kExact, r}; }
};

// The part of an append that goes to one stream.
struct StreamWrite {
  std::string stream;
  ExpectedRevision expected;
  std::vector<ProposedEvent> events;
};

// One atomic append to one customer. Invariants checked by the engine:
// at least one write, every write has at least one event, no stream twice,
// no event id twice.
struct AppendBatch {
  std::string customer;
  std::vector<StreamWrite> writes;
  // Internal to storage/ (set by EventLog::CreateCustomer and
  // DeleteCustomer): the batch creates the empty customer, or deletes the
  // customer, instead of appending; `writes` is empty. These go through the
  // commit thread like appends, so that it stays the only writer of
  // customer records and keys.
  //
  // kDeleteStream (EventLog::DeleteStream): removes the events of
  // writes[0].stream (its only write, without events), checking
  // writes[0].expected; `tombstone` also closes the stream.
  // kDropSegment (retention): drops the segment `drop` describes.
  // These two are committed in a group of their own.
  enum class Kind {
    kAppend,
    kCreateCustomer,
    kDeleteCustomer,
    kDeleteStream,
    kDropSegment
  };
  Kind kind = Kind::kAppend;
  bool tombstone = false;
  std::shared_ptr<const SegmentDrop> drop;
};

// What an append did to one stream.
struct StreamAppendResult {
  std::string stream;
  StreamRevision first_revision;
  StreamRevision last_revision;
};

// The result of a durable append. `duplicate` is true when every event id
// had been recorded by an earlier identical append; then this is that
// append's original result and nothing was written.
struct AppendResult {
  FeedPosition first_position;
  FeedPosition last_position;
  std::vector<StreamAppendResult> streams;  // In request order.
  int64_t recorded_at_micros = 0;           // Unix time, microseconds.
  bool duplicate = false;
  // kDeleteStream and kDropSegment only: how many events were removed, and
  // (kDeleteStream) whether the stream is tombstoned. last_position is then
  // the highest removed position (0: none).
  uint64_t removed_events = 0;
  bool tombstoned = false;
};

// An event as recorded in a customer's feed.
struct RecordedEvent {
  std::string customer;
  std::string stream;
  StreamRevision revision;
  FeedPosition position;
  EventId id;
  std::string type;
  std::string content_type;
  std::string data;  // Empty when read without data.
  EventMetadata metadata;
  int64_t recorded_at_micros = 0;  // Unix time, microseconds.
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_RECORDS_H_
