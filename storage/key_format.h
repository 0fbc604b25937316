// The on-disk layout of the event log: column families, key encodings and
// small fixed-size values. docs/storage-format.md is the prose version with
// diagrams; change both together, and only with a format version bump.
//
// Column family "events": one record per event.
//   key   = customer u32 BE | position u64 BE                   (12 bytes)
//   value = event envelope (see record_codec.h)
//
// Column family "streams": one run per stream write (an append's events of
//   one stream have consecutive revisions AND consecutive positions).
//   key   = customer u32 BE | stream bytes | 0x00 | first revision u64 BE
//   value = first position u64 BE | event count u32 BE          (12 bytes)
//   A stream name never contains 0x00 (see names.h), so 0x00 ends it and a
//   stream's runs sort together, ordered by revision.
//
// Column family "ids": the idempotency and lookup-by-id index.
//   key   = customer u32 BE | event id (16 bytes)               (20 bytes)
//   value = position u64 BE                                     (8 bytes)
//
// Column family "meta":
//   "format"                          -> format version, decimal text
//   "segment_events"                  -> events per segment, u64 BE
//   "cn" | customer name              -> customer u32 BE
//   "ck" | customer u32 BE            -> CustomerRecord: customer name |
//                                        0x00 | created_at µs u64 BE (logs
//                                        written before created_at was kept
//                                        hold the name alone)
//   "next_customer"                   -> the next customer key, u32 BE (keys
//                                        of deleted customers stay used)
//   "sg" | customer u32 BE | seg u64 BE -> SegmentRecord (40 bytes)
//   "tk" | SHA-256 of a token (32 bytes) -> TokenRecord (token_store.h)
//   "qt" | customer u32 BE            -> CustomerQuota (customer_quota.h);
//                                        absent: unlimited
//   "cp" | customer u32 BE | checkpoint name | 0x00 | partition count u32 BE
//        | partition index u32 BE     -> CheckpointValue (below)
//   "rt" | customer u32 BE            -> CustomerRetention
//                                        (customer_retention.h); absent:
//                                        keep everything
//
// Big-endian integers make byte order equal numeric order, so one customer's
// feed, one stream's runs and one customer's ids each form a contiguous key
// range.
#ifndef EVSTORE_STORAGE_KEY_FORMAT_H_
#define EVSTORE_STORAGE_KEY_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/event_id.h"
#include "storage/types.h"

namespace evstore::keys {

// The on-disk format this build reads and writes.
inline constexpr int kFormatVersion = 1;

inline constexpr char kEventsFamily[] = "events";
inline constexpr char kStreamsFamily[] = "streams";
inline constexpr char kIdsFamily[] = "ids";
inline constexpr char kMetaFamily[] = "meta";

inline constexpr size_t kEventKeySize = 12;
inline constexpr size_t kIdKeySize = 20;

// --- events ---
std::string EventKey(CustomerKey customer, FeedPosition position);
// The smallest key of `customer` (position 0) and the first key after all of
// its events.
std::string CustomerEventsBegin(CustomerKey customer);
std::string CustomerEventsEnd(CustomerKey customer);
// The key range of everything of `customer` in the events, streams and ids
// families (all start with the customer u32 BE): [begin, end).
std::string CustomerRangeBegin(CustomerKey customer);
std::string CustomerRangeEnd(CustomerKey customer);
// The begin key of a DeleteRange over a customer's positions [first, ...):
// EventKey(first - 1) followed by 0x00, the smallest key after it, so the
// range covers exactly the event keys from `first` on. It is 13 bytes on
// purpose: the events family's memtable insert hint (12-byte keys only)
// must not be applied to range tombstones, whose memtable shares the hints
// in this RocksDB and is corrupted by them (an assertion in the skip list).
std::string EventRangeDeleteBegin(CustomerKey customer, FeedPosition first);
struct EventKeyParts {
  CustomerKey customer;
  FeedPosition position;
};
std::optional<EventKeyParts> ParseEventKey(std::string_view key);

// --- streams ---
std::string StreamRunKey(CustomerKey customer, std::string_view stream,
                         StreamRevision first_revision);
// The prefix shared by all runs of one stream.
std::string StreamRunPrefix(CustomerKey customer, std::string_view stream);
// Extracts the first revision from a key that starts with StreamRunPrefix.
std::optional<StreamRevision> ParseStreamRunKeyRevision(std::string_view key,
                                                        size_t prefix_size);

struct StreamRun {
  StreamRevision first_revision;
  FeedPosition first_position;
  uint32_t count = 0;

  StreamRevision last_revision() const {
    return first_revision.Plus(count - 1);
  }
  FeedPosition PositionOf(StreamRevision r) const {
    return first_position.Plus(r.value() - first_revision.value());
  }
};
std::string EncodeStreamRunValue(FeedPosition first_position, uint32_t count);
// Returns nullopt when the value is malformed.
std::optional<StreamRun> ParseStreamRunValue(StreamRevision first_revision,
                                             std::string_view value);

// A stream end marker: stored under StreamRunKey(customer, stream, R) in
// place of removed runs (retention or DeleteStream), so the stream keeps its
// revision numbering: its revision is R although revisions <= R have no
// events. Value: one byte, 0x01 (truncated, the stream continues at R + 1)
// or 0x02 (tombstoned: closed for ever). Run values are 12 bytes, so the
// two never mix up.
std::string EncodeStreamEndMarker(bool tombstoned);
// nullopt: `value` is not a marker; otherwise whether it tombstones.
std::optional<bool> ParseStreamEndMarker(std::string_view value);

// --- ids ---
std::string IdKey(CustomerKey customer, const EventId& id);
std::string EncodePosition(FeedPosition position);
std::optional<FeedPosition> ParsePosition(std::string_view value);

// --- meta ---
inline constexpr char kFormatKey[] = "format";
inline constexpr char kSegmentEventsKey[] = "segment_events";
inline constexpr char kNextCustomerKey[] = "next_customer";
std::string CustomerByNameKey(std::string_view name);
std::string CustomerByKeyKey(CustomerKey customer);
inline constexpr std::string_view kCustomerByKeyPrefix = "ck";
std::optional<CustomerKey> ParseCustomerByKeyKey(std::string_view key);
std::string EncodeCustomerKey(CustomerKey customer);
std::optional<CustomerKey> ParseCustomerKey(std::string_view value);

// The value of a "ck" record. A customer name never contains 0x00 (see
// names.h), so the 0x00 that precedes created_at is unambiguous; a value
// without it (written before created_at was kept) has no created_at.
struct CustomerRecord {
  std::string name;
  std::optional<int64_t> created_at_micros;  // Unix time, microseconds.
};
std::string EncodeCustomerRecord(std::string_view name,
                                 int64_t created_at_micros);
// Nullopt when `value` is malformed (empty name, or a 0x00 that is not
// followed by exactly 8 bytes).
std::optional<CustomerRecord> ParseCustomerRecord(std::string_view value);

// One segment of a customer's feed: positions [first, last] recorded between
// min and max recorded_at, holding `bytes` of encoded events. Retention drops
// whole segments.
struct SegmentRecord {
  FeedPosition first_position;
  FeedPosition last_position;
  int64_t min_recorded_at_micros = 0;
  int64_t max_recorded_at_micros = 0;
  uint64_t bytes = 0;
};
std::string SegmentKey(CustomerKey customer, uint64_t segment);
// The range of all segment records of `customer` in meta: [begin, end).
std::string CustomerSegmentsBegin(CustomerKey customer);
std::string CustomerSegmentsEnd(CustomerKey customer);
std::string EncodeSegmentRecord(const SegmentRecord& record);
// The customer a segment key belongs to (nullopt: not a segment key).
std::optional<CustomerKey> ParseSegmentKeyCustomer(std::string_view key);

// A customer's quota record, and the range holding it: [begin, end).
inline constexpr std::string_view kQuotaKeyPrefix = "qt";
std::string QuotaKey(CustomerKey customer);
std::string QuotaKeyEnd(CustomerKey customer);
std::optional<CustomerKey> ParseQuotaKey(std::string_view key);
std::optional<SegmentRecord> ParseSegmentRecord(std::string_view value);
// The segment number of a segment key (nullopt: not a segment key).
std::optional<uint64_t> ParseSegmentKeyNumber(std::string_view key);

// A customer's retention policy record (customer_retention.h) and the range
// holding it: [begin, end).
inline constexpr std::string_view kRetentionKeyPrefix = "rt";
std::string RetentionKey(CustomerKey customer);
std::string RetentionKeyEnd(CustomerKey customer);
std::optional<CustomerKey> ParseRetentionKey(std::string_view key);

// --- checkpoints (meta) ---
// A checkpoint name never contains 0x00 (see checkpoint_store.h), so the
// keys of one customer sort by name, then partition count, then index.
inline constexpr std::string_view kCheckpointKeyPrefix = "cp";
std::string CheckpointKey(CustomerKey customer, std::string_view name,
                          uint32_t partition_count, uint32_t partition_index);
// The first key of `customer`'s checkpoints whose name starts with
// `name_prefix` (all of them for an empty prefix).
std::string CheckpointNamePrefixKey(CustomerKey customer,
                                    std::string_view name_prefix);
// The range of all checkpoints of `customer`: [begin, end).
std::string CustomerCheckpointsBegin(CustomerKey customer);
std::string CustomerCheckpointsEnd(CustomerKey customer);
struct CheckpointKeyParts {
  CustomerKey customer;
  std::string name;
  uint32_t partition_count = 0;
  uint32_t partition_index = 0;
};
std::optional<CheckpointKeyParts> ParseCheckpointKey(std::string_view key);
// The value: version u8 (1) | position u64 BE | committed_at µs u64 BE
// (17 bytes; a longer value of version 1 is read, its extra bytes ignored).
struct CheckpointValue {
  FeedPosition position;
  int64_t committed_at_micros = 0;
};
std::string EncodeCheckpointValue(const CheckpointValue& value);
std::optional<CheckpointValue> ParseCheckpointValue(std::string_view value);

// --- integers ---
void AppendU32(std::string* out, uint32_t v);
void AppendU64(std::string* out, uint64_t v);
uint32_t ReadU32(const char* p);
uint64_t ReadU64(const char* p);

}  // namespace evstore::keys

#endif  // EVSTORE_STORAGE_KEY_FORMAT_H_
