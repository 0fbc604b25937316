#include "server/event_encoding_cache.h"

#include <cassert>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "server/proto_conversion.h"
#include "server/subscribe_wire_format.h"
#include "storage/absl_string_view.h"

namespace evstore::server {

EventEncodingCache::EventEncodingCache(size_t max_events, size_t max_bytes)
    : max_events_(max_events), max_bytes_(max_bytes) {
  assert(max_events_ > 0);
}

grpc::Slice EventEncodingCache::Entry(const RecordedEvent& event,
                                      bool include_data) {
  const int variant = include_data ? 1 : 0;
  {
    MutexLock lock(&mu_);
    const Slot& slot = SlotOfLocked(event.position);
    if (slot.position == event.position && slot.id == event.id &&
        slot.entries[variant].has_value()) {
      return *slot.entries[variant];
    }
  }

  v1::RecordedEvent message;
  ToProto(event, include_data, &message);
  grpc::Slice entry = EncodeEventEntry(message);

  MutexLock lock(&mu_);
  ++encodings_made_;
  Slot& slot = SlotOfLocked(event.position);
  if (slot.position > event.position) {
    // A newer event took the slot: this one is too old to be worth keeping
    // (only a lagging subscriber still asks for it).
    return entry;
  }
  if (slot.position != event.position || slot.id != event.id) {
    for (std::optional<grpc::Slice>& old : slot.entries) {
      if (old.has_value()) held_bytes_ -= old->size();
      old.reset();
    }
    slot.position = event.position;
    slot.id = event.id;
  }
  std::optional<grpc::Slice>& kept = slot.entries[variant];
  if (kept.has_value()) return *kept;  // Another caller was first.
  if (held_bytes_ + entry.size() <= max_bytes_) {
    kept = entry;
    held_bytes_ += entry.size();
  }
  return entry;
}

uint64_t EventEncodingCache::encodings_made() const {
  MutexLock lock(&mu_);
  return encodings_made_;
}

size_t EventEncodingCache::held_bytes() const {
  MutexLock lock(&mu_);
  return held_bytes_;
}

EventEncodingCache::Slot& EventEncodingCache::SlotOfLocked(
    FeedPosition position) {
  if (ring_.empty()) ring_.resize(max_events_);
  return ring_[position.value() % max_events_];
}

EventEncodingCaches::EventEncodingCaches(size_t max_events_per_feed,
                                         size_t max_bytes_per_feed)
    : max_events_per_feed_(max_events_per_feed),
      max_bytes_per_feed_(max_bytes_per_feed) {}

std::shared_ptr<EventEncodingCache> EventEncodingCaches::ForCustomer(
    std::string_view customer) {
  MutexLock lock(&mu_);
  std::weak_ptr<EventEncodingCache>& weak = caches_[AsAbsl(customer)];
  std::shared_ptr<EventEncodingCache> cache = weak.lock();
  if (cache == nullptr) {
    cache = std::make_shared<EventEncodingCache>(max_events_per_feed_,
                                                 max_bytes_per_feed_);
    weak = cache;
  }
  // Customers whose subscribers all left leave expired entries behind;
  // sweep them whenever the map doubles so it stays bounded.
  if (caches_.size() >= 64 && (caches_.size() & (caches_.size() - 1)) == 0) {
    absl::erase_if(caches_,
                   [](const auto& entry) { return entry.second.expired(); });
  }
  return cache;
}

}  // namespace evstore::server
