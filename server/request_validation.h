// Turns gRPC requests into the engine's values, checking every rule of the
// contract (proto/evstore/v1/evstore.proto) that can be checked without the
// storage engine. Nothing here touches storage.
//
// Errors name the exact field path and index, e.g.
//   writes[1].events[3].id: "xyz" is not a UUID (expected 8-4-4-4-12 hex
//   digits)
// Malformed requests fail with INVALID_ARGUMENT; requests over a configured
// size limit fail with RESOURCE_EXHAUSTED naming the field and the limit.
#ifndef EVSTORE_SERVER_REQUEST_VALIDATION_H_
#define EVSTORE_SERVER_REQUEST_VALIDATION_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "evstore/v1/evstore.pb.h"
#include "storage/checkpoint.h"
#include "storage/event_filter.h"
#include "storage/event_id.h"
#include "storage/event_log.h"
#include "storage/records.h"
#include "storage/types.h"

namespace evstore::server {

// The configurable size limits of an append (see server_config.h).
struct RequestLimits {
  // Bytes of `data` of one event.
  size_t max_event_bytes = size_t{1} << 20;
  // Events of one append, over all its stream writes.
  size_t max_append_events = 10000;
  // Bytes of data, metadata keys and values, and types of one append.
  size_t max_append_bytes = size_t{16} << 20;
  // Metadata entries of one event.
  size_t max_metadata_entries = 64;
  // Bytes of metadata keys and values of one event.
  size_t max_metadata_bytes = size_t{16} << 10;
};

// Fixed protocol limits (not configurable).
inline constexpr size_t kMaxContentTypeBytes = 256;
inline constexpr size_t kMaxLookupItems = 10000;
inline constexpr size_t kMaxSubscribeFilterEntries = 100;
inline constexpr uint32_t kMinHeartbeatIntervalMs = 100;
inline constexpr uint32_t kMaxHeartbeatIntervalMs = 3'600'000;

// Validates an append and converts it into a batch for EventLog::Append.
// Fills defaults: an empty content type becomes "application/json"; an unset
// expected state means "any". Metadata entries are sorted by key (a proto map
// has no order), so equal requests give equal batches.
absl::StatusOr<AppendBatch> ToAppendBatch(const v1::AppendRequest& request,
                                          const RequestLimits& limits);
// The same, but moves the event payloads out of `request` instead of copying
// them; `request` is left valid but unspecified.
absl::StatusOr<AppendBatch> ToAppendBatch(v1::AppendRequest&& request,
                                          const RequestLimits& limits);

// A validated ReadRequest.
struct ReadParams {
  std::string customer;
  std::string stream;  // Empty: read the customer's feed by position.
  uint64_t from = 0;   // Revision or position; 0 = the start in `direction`.
  ReadDirection direction = ReadDirection::kForwards;
  uint64_t max_count = 0;  // At least 1.
  bool include_data = true;
};
absl::StatusOr<ReadParams> ValidateReadRequest(const v1::ReadRequest& request);

// A validated GetEventsRequest.
struct LookupParams {
  std::string customer;
  std::vector<EventId> ids;
  std::vector<FeedPosition> positions;
  bool include_data = true;
};
absl::StatusOr<LookupParams> ValidateGetEventsRequest(
    const v1::GetEventsRequest& request);

// A validated SubscribeRequest.
struct SubscriptionParams {
  std::string customer;
  // Start at the head the feed has when the subscription starts...
  bool start_at_end = false;
  // ...or after this position (0 = from the first event)...
  FeedPosition start_after;
  // Start at the oldest retained event when the start lies below it.
  bool start_at_oldest_retained = false;
  // ...or after the position of this checkpoint, looked up when the
  // subscription starts; when it does not exist, at the end if
  // checkpoint_default_at_end, else from the first event.
  std::optional<CheckpointId> checkpoint;
  bool checkpoint_default_at_end = false;
  // Includes the partition.
  EventFilter filter;
  bool include_data = true;
  // Zero means the server's default.
  absl::Duration heartbeat_interval = absl::ZeroDuration();
};
absl::StatusOr<SubscriptionParams> ValidateSubscribeRequest(
    const v1::SubscribeRequest& request);

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_REQUEST_VALIDATION_H_
