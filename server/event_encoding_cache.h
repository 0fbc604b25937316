// EventEncodingCache: the serialized form of one feed's recent events, made
// once per event and shared by every live subscriber of the feed.
//
// Without it each subscriber converted and serialized every event it
// delivered itself: with 100 subscribers per customer, each event was
// converted 100 times. Now the first subscriber that delivers an event
// encodes it (see subscribe_wire_format.h) and the others send the same
// reference-counted bytes.
#ifndef EVSTORE_SERVER_EVENT_ENCODING_CACHE_H_
#define EVSTORE_SERVER_EVENT_ENCODING_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "base/mutex.h"
#include "grpcpp/support/slice.h"
#include "storage/records.h"

namespace evstore::server {

// Encodings of the most recent events of one customer's feed.
//
// Bounded: it holds the encodings of at most `max_events` positions (a ring
// indexed by position, so a newer position replaces the one `max_events`
// before it) and at most `max_bytes` of encoded bytes; beyond that an
// encoding is made for the caller but not kept. Slices handed out stay
// valid after the cache drops them (they are reference-counted), so a
// stalled subscriber pins only the batch it holds, as before.
//
// Thread-safe. Encoding runs outside the lock; two callers that miss the
// same event at once may both encode it (the first to finish is kept).
class EventEncodingCache {
 public:
  EventEncodingCache(size_t max_events, size_t max_bytes);
  EventEncodingCache(const EventEncodingCache&) = delete;
  EventEncodingCache& operator=(const EventEncodingCache&) = delete;

  // `event` as one entry of EventBatch.events (see EncodeEventEntry), with
  // its data or, without `include_data`, with an empty payload. `event` must
  // be an event of this cache's feed as recorded (an event is identified by
  // its position and id).
  grpc::Slice Entry(const RecordedEvent& event, bool include_data);

  // How many encodings Entry has made (cache misses) so far.
  uint64_t encodings_made() const;
  // Encoded bytes held now (at most max_bytes).
  size_t held_bytes() const;

 private:
  struct Slot {
    FeedPosition position;  // 0: empty.
    EventId id;
    // Indexed by include_data.
    std::optional<grpc::Slice> entries[2];
  };

  // The slot for `position` (which may hold another position). Allocates
  // the ring on first use, so a feed without events costs nothing.
  Slot& SlotOfLocked(FeedPosition position) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const size_t max_events_;
  const size_t max_bytes_;

  mutable Mutex mu_;
  std::vector<Slot> ring_ ABSL_GUARDED_BY(mu_);
  size_t held_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t encodings_made_ ABSL_GUARDED_BY(mu_) = 0;
};

// One EventEncodingCache per customer that has live subscribers: a
// subscription holds its customer's cache, and the cache goes away with the
// last subscription that holds it. Thread-safe.
class EventEncodingCaches {
 public:
  // Each customer's cache gets these bounds (see EventEncodingCache).
  EventEncodingCaches(size_t max_events_per_feed, size_t max_bytes_per_feed);
  EventEncodingCaches(const EventEncodingCaches&) = delete;
  EventEncodingCaches& operator=(const EventEncodingCaches&) = delete;

  // The cache of `customer`'s feed: the one other holders share, or a new
  // one.
  std::shared_ptr<EventEncodingCache> ForCustomer(std::string_view customer);

 private:
  // Constant after construction.
  const size_t max_events_per_feed_;
  const size_t max_bytes_per_feed_;

  Mutex mu_;
  absl::flat_hash_map<std::string, std::weak_ptr<EventEncodingCache>> caches_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_EVENT_ENCODING_CACHE_H_
