// The value envelope of one event in the "events" column family.
//
//   +---------+-----------------+------------------------------------------+
//   | version | checksum        | body                                     |
//   | u8 = 1  | u64 LE (XXH3)   |                                          |
//   +---------+-----------------+------------------------------------------+
//   body = varint revision | varint recorded_at (unix micros)
//        | varint index in append | varint events in append
//        | event id (16 bytes)
//        | varint len, stream | varint len, type | varint len, content type
//        | varint metadata count, (varint len, key, varint len, value)*
//        | varint len, data
//
// The checksum is XXH3-64 over the event's key (customer u32 BE, position
// u64 BE) followed by the body, so a value that is damaged, or that was
// stored under the wrong key, is detected and reported as DATA_LOSS rather
// than served. Data comes last so that headers can be read without it.
#ifndef EVSTORE_STORAGE_RECORD_CODEC_H_
#define EVSTORE_STORAGE_RECORD_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/records.h"
#include "storage/types.h"

namespace evstore::codec {

inline constexpr uint8_t kEnvelopeVersion = 1;

// The fields of an event to be stored (the position is in the key).
struct EventFields {
  StreamRevision revision;
  int64_t recorded_at_micros = 0;
  // The event's index within its append and the append's event count: they
  // mark atomic-append boundaries, which idempotent retries are checked
  // against.
  uint32_t index_in_append = 0;
  uint32_t append_size = 0;
  const EventId* id = nullptr;
  std::string_view stream;
  std::string_view type;
  std::string_view content_type;
  const EventMetadata* metadata = nullptr;
  std::string_view data;
};

// Appends the envelope of `fields`, stored at (customer, position), to *out.
void EncodeEvent(CustomerKey customer, FeedPosition position,
                 const EventFields& fields, std::string* out);

// A decoded envelope whose strings point into the encoded value: valid only
// while that value is alive.
struct EventView {
  StreamRevision revision;
  int64_t recorded_at_micros = 0;
  uint32_t index_in_append = 0;
  uint32_t append_size = 0;
  EventId id;
  std::string_view stream;
  std::string_view type;
  std::string_view content_type;
  std::vector<std::pair<std::string_view, std::string_view>> metadata;
  std::string_view data;
};

// Verifies and decodes an envelope stored at (customer, position). Fails with
// DATA_LOSS naming the position when the checksum does not match or the
// value is malformed, and with FAILED_PRECONDITION for an unknown version.
absl::StatusOr<EventView> DecodeEvent(CustomerKey customer,
                                      FeedPosition position,
                                      std::string_view value);

// Copies a view into a RecordedEvent (without data unless include_data).
RecordedEvent ToRecordedEvent(const EventView& view, std::string_view customer,
                              FeedPosition position, bool include_data);

}  // namespace evstore::codec

#endif  // EVSTORE_STORAGE_RECORD_CODEC_H_
