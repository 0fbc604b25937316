// Fuzz target for the key and small-value encodings of storage/key_format.h.
// The meta keys of segments, quotas, retention and checkpoints (raw) and the
// versioned meta values are meta_format_fuzzer.cc's.
//
// Every input is used twice:
//  1. As raw bytes given to every decoder. A decoder must never crash or read
//     outside the input, and whatever it accepts must be the canonical
//     encoding of what it returns (re-encoding gives the same bytes), so two
//     different byte strings never decode to the same key. A stream end
//     marker is never a run value.
//  2. As structured values (customers, positions, revisions, stream names,
//     ids, segments; see FuzzInput) that are encoded and decoded again:
//     decode(encode(x)) == x (also end markers), and the encoded keys sort
//     (bytewise, as RocksDB compares them) in the order the storage relies on:
//     by customer, then numerically by position / revision / segment, each
//     stream's runs together, each customer's ids together.
//
// Seeds (tests/fuzz/corpus/key_format/) are valid keys and values of each
// kind, so both uses start from meaningful bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "storage/event_id.h"
#include "storage/key_format.h"
#include "storage/names.h"
#include "storage/types.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/key_order.h"

namespace evstore::fuzz {
namespace {

std::string U64Bytes(uint64_t v) {
  std::string out;
  keys::AppendU64(&out, v);
  return out;
}

// --- 1. raw bytes through every decoder ---

void DecodeEventKey(std::string_view raw) {
  const auto parts = keys::ParseEventKey(raw);
  if (!parts) return;
  EVSTORE_FUZZ_CHECK(keys::EventKey(parts->customer, parts->position) == raw,
                     "an accepted event key re-encodes to itself");
}

void DecodeStreamRunKey(std::string_view raw) {
  // The caller passes the size of a prefix the key starts with; every size
  // up to past the end must be safe.
  for (size_t prefix_size = 0; prefix_size <= raw.size() + 9; ++prefix_size) {
    const auto revision = keys::ParseStreamRunKeyRevision(raw, prefix_size);
    if (!revision) continue;
    EVSTORE_FUZZ_CHECK(raw.size() == prefix_size + 8,
                       "a run key is its prefix and 8 revision bytes");
    EVSTORE_FUZZ_CHECK(raw.substr(prefix_size) == U64Bytes(revision->value()),
                       "an accepted run key revision re-encodes to itself");
  }
}

void DecodeStreamRunValue(std::string_view raw, StreamRevision first) {
  const auto run = keys::ParseStreamRunValue(first, raw);
  if (!run) return;
  EVSTORE_FUZZ_CHECK(
      run->count > 0 && run->first_position.value() > 0 && first.value() > 0,
      "an accepted run has events, a position and a revision");
  EVSTORE_FUZZ_CHECK(run->first_revision == first,
                     "a run keeps the revision of its key");
  EVSTORE_FUZZ_CHECK(
      keys::EncodeStreamRunValue(run->first_position, run->count) == raw,
      "an accepted run value re-encodes to itself");
}

void DecodeStreamEndMarker(std::string_view raw) {
  const auto tombstoned = keys::ParseStreamEndMarker(raw);
  if (!tombstoned) return;
  EVSTORE_FUZZ_CHECK(keys::EncodeStreamEndMarker(*tombstoned) == raw,
                     "an accepted end marker re-encodes to itself");
  for (const uint64_t revision : {uint64_t{1}, uint64_t{UINT64_MAX}}) {
    EVSTORE_FUZZ_CHECK(
        !keys::ParseStreamRunValue(StreamRevision(revision), raw),
        "an end marker is never a run value");
  }
}

void DecodeSmallValues(std::string_view raw) {
  if (const auto position = keys::ParsePosition(raw)) {
    EVSTORE_FUZZ_CHECK(keys::EncodePosition(*position) == raw,
                       "an accepted position re-encodes to itself");
  }
  if (const auto customer = keys::ParseCustomerKey(raw)) {
    EVSTORE_FUZZ_CHECK(keys::EncodeCustomerKey(*customer) == raw,
                       "an accepted customer key re-encodes to itself");
  }
  if (const auto customer = keys::ParseCustomerByKeyKey(raw)) {
    EVSTORE_FUZZ_CHECK(keys::CustomerByKeyKey(*customer) == raw,
                       "an accepted \"ck\" meta key re-encodes to itself");
  }
  if (const auto segment = keys::ParseSegmentRecord(raw)) {
    EVSTORE_FUZZ_CHECK(keys::EncodeSegmentRecord(*segment) == raw,
                       "an accepted segment record re-encodes to itself");
  }
  if (const auto record = keys::ParseCustomerRecord(raw)) {
    // Older records (the name alone) have no created_at.
    EVSTORE_FUZZ_CHECK(
        record->created_at_micros.has_value()
            ? keys::EncodeCustomerRecord(record->name,
                                         *record->created_at_micros) == raw
            : record->name == raw,
        "an accepted customer record re-encodes to itself");
  }
}

void DecodeEventIdText(std::string_view raw) {
  const auto id = EventId::Parse(raw);
  if (!id) return;
  EVSTORE_FUZZ_CHECK(id->bytes() != EventId::Bytes{},
                     "the nil UUID is never accepted");
  std::string lower(raw);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  EVSTORE_FUZZ_CHECK(id->ToString() == lower,
                     "an accepted UUID prints as its lowercase input");
}

void DecodeRaw(std::string_view raw) {
  DecodeEventKey(raw);
  DecodeStreamRunKey(raw);
  DecodeStreamRunValue(raw, StreamRevision(0));
  DecodeStreamRunValue(raw, StreamRevision(1));
  DecodeStreamRunValue(raw, StreamRevision(UINT64_MAX));
  DecodeStreamEndMarker(raw);
  DecodeSmallValues(raw);
  DecodeEventIdText(raw);
}

// --- 2. structured values: round trips and key order ---

struct Values {
  CustomerKey customer;
  FeedPosition position;
  StreamRevision revision;
  std::string stream;
  EventId id;
  uint64_t segment = 0;
};

// Half of the time b shares a's customer (and then often its stream), so
// that the orderings within one customer and one stream get tested, not
// only the customer byte.
void ReadValues(FuzzInput& in, Values* a, Values* b) {
  const auto read = [&in](Values* v) {
    v->customer = CustomerKey(in.U32());
    v->position = FeedPosition(in.U64());
    v->revision = StreamRevision(in.U64());
    v->stream = in.String(kMaxStreamNameBytes);
    EventId::Bytes id{};
    const std::string id_bytes = in.Bytes(id.size());
    for (size_t i = 0; i < id_bytes.size(); ++i) {
      id[i] = static_cast<uint8_t>(id_bytes[i]);
    }
    v->id = EventId(id);
    v->segment = in.U64();
  };
  read(a);
  read(b);
  const uint8_t sharing = in.Byte();
  if (sharing & 1) b->customer = a->customer;
  if (sharing & 2) b->stream = a->stream;
}

void CheckEventKeys(const Values& a, const Values& b) {
  const std::string key_a = keys::EventKey(a.customer, a.position);
  const std::string key_b = keys::EventKey(b.customer, b.position);
  EVSTORE_FUZZ_CHECK(key_a.size() == keys::kEventKeySize,
                     "event keys have a fixed size");
  const auto parts = keys::ParseEventKey(key_a);
  EVSTORE_FUZZ_CHECK(
      parts && parts->customer == a.customer && parts->position == a.position,
      "event keys round-trip");
  EVSTORE_FUZZ_CHECK(
      KeyOrder(key_a, key_b) == ValueOrder(std::pair(a.customer, a.position),
                                           std::pair(b.customer, b.position)),
      "event keys sort by customer, then numerically by position");
  // [Begin, End) holds exactly one customer's events. The last customer key
  // has no End (it would wrap to customer 0); customer keys are assigned
  // densely from 1, so it is never reached (noted in the fuzz README).
  if (a.customer.value() == UINT32_MAX) return;
  const std::string begin = keys::CustomerEventsBegin(a.customer);
  const std::string end = keys::CustomerEventsEnd(a.customer);
  const bool in_range = begin <= key_b && key_b < end;
  EVSTORE_FUZZ_CHECK(in_range == (a.customer == b.customer),
                     "a customer's event range holds its events only");
}

void CheckStreamRunKeys(const Values& a, const Values& b) {
  // The key layout relies on the naming rules (no 0x00 in a stream name).
  if (!ValidateStreamName(a.stream).ok() ||
      !ValidateStreamName(b.stream).ok()) {
    return;
  }
  const std::string prefix_a = keys::StreamRunPrefix(a.customer, a.stream);
  const std::string key_a =
      keys::StreamRunKey(a.customer, a.stream, a.revision);
  const std::string key_b =
      keys::StreamRunKey(b.customer, b.stream, b.revision);
  EVSTORE_FUZZ_CHECK(key_a.starts_with(prefix_a),
                     "a run key starts with its stream's prefix");
  EVSTORE_FUZZ_CHECK(
      keys::ParseStreamRunKeyRevision(key_a, prefix_a.size()) == a.revision,
      "run keys round-trip their revision");
  const bool same_stream = a.customer == b.customer && a.stream == b.stream;
  EVSTORE_FUZZ_CHECK(key_b.starts_with(prefix_a) == same_stream,
                     "a stream's prefix matches the runs of that stream only");
  // Runs sort by customer, then stream name (bytewise), then numerically by
  // revision: one stream's runs are contiguous and in revision order.
  EVSTORE_FUZZ_CHECK(
      KeyOrder(key_a, key_b) ==
          ValueOrder(std::tuple(a.customer, a.stream, a.revision),
                     std::tuple(b.customer, b.stream, b.revision)),
      "run keys sort by customer, stream, then revision");
}

void CheckStreamRunValue(const Values& a) {
  const auto count = static_cast<uint32_t>(a.segment);
  const std::string value = keys::EncodeStreamRunValue(a.position, count);
  const auto run = keys::ParseStreamRunValue(a.revision, value);
  const bool valid =
      count > 0 && a.position.value() > 0 && a.revision.value() > 0;
  EVSTORE_FUZZ_CHECK(run.has_value() == valid,
                     "a run value is accepted iff it is a valid run");
  for (const bool tombstoned : {false, true}) {
    const std::string marker = keys::EncodeStreamEndMarker(tombstoned);
    EVSTORE_FUZZ_CHECK(keys::ParseStreamEndMarker(marker) == tombstoned,
                       "end markers round-trip");
    EVSTORE_FUZZ_CHECK(!keys::ParseStreamRunValue(a.revision, marker) &&
                           !keys::ParseStreamEndMarker(value),
                       "end markers and run values never mix up");
  }
  if (!run) return;
  EVSTORE_FUZZ_CHECK(run->first_position == a.position && run->count == count &&
                         run->first_revision == a.revision,
                     "run values round-trip");
  EVSTORE_FUZZ_CHECK(run->PositionOf(a.revision) == a.position,
                     "a run's first revision is at its first position");
  EVSTORE_FUZZ_CHECK(
      run->PositionOf(run->last_revision()) == a.position.Plus(count - 1),
      "a run's revisions and positions are both consecutive");
}

void CheckIdKeys(const Values& a, const Values& b) {
  const std::string key_a = keys::IdKey(a.customer, a.id);
  const std::string key_b = keys::IdKey(b.customer, b.id);
  EVSTORE_FUZZ_CHECK(key_a.size() == keys::kIdKeySize,
                     "id keys have a fixed size");
  EVSTORE_FUZZ_CHECK(key_a.starts_with(keys::EncodeCustomerKey(a.customer)) &&
                         key_a.ends_with(a.id.AsBytes()),
                     "an id key is the customer, then the id's bytes");
  EVSTORE_FUZZ_CHECK(
      KeyOrder(key_a, key_b) ==
          ValueOrder(std::pair(a.customer, a.id), std::pair(b.customer, b.id)),
      "id keys sort by customer, then id");
  if (a.id.bytes() == EventId::Bytes{}) return;  // nil: never parsed
  EVSTORE_FUZZ_CHECK(EventId::Parse(a.id.ToString()) == a.id,
                     "event ids round-trip through their text form");
}

void CheckSmallValues(const Values& a, const Values& b) {
  const std::string pos_a = keys::EncodePosition(a.position);
  EVSTORE_FUZZ_CHECK(keys::ParsePosition(pos_a) == a.position,
                     "positions round-trip");
  EVSTORE_FUZZ_CHECK(KeyOrder(pos_a, keys::EncodePosition(b.position)) ==
                         ValueOrder(a.position, b.position),
                     "encoded positions sort numerically");
  EVSTORE_FUZZ_CHECK(
      keys::ParseCustomerKey(keys::EncodeCustomerKey(a.customer)) == a.customer,
      "customer keys round-trip");
  keys::SegmentRecord record{
      a.position, b.position, static_cast<int64_t>(a.revision.value()),
      static_cast<int64_t>(b.revision.value()), a.segment};
  const auto parsed =
      keys::ParseSegmentRecord(keys::EncodeSegmentRecord(record));
  EVSTORE_FUZZ_CHECK(
      parsed && parsed->first_position == record.first_position &&
          parsed->last_position == record.last_position &&
          parsed->min_recorded_at_micros == record.min_recorded_at_micros &&
          parsed->max_recorded_at_micros == record.max_recorded_at_micros &&
          parsed->bytes == record.bytes,
      "segment records round-trip");
}

void CheckMetaKeys(const Values& a, const Values& b) {
  const std::string by_key = keys::CustomerByKeyKey(a.customer);
  EVSTORE_FUZZ_CHECK(keys::ParseCustomerByKeyKey(by_key) == a.customer,
                     "\"ck\" meta keys round-trip");
  EVSTORE_FUZZ_CHECK(KeyOrder(by_key, keys::CustomerByKeyKey(b.customer)) ==
                         ValueOrder(a.customer, b.customer),
                     "\"ck\" meta keys sort by customer");
  const std::string segment = keys::SegmentKey(a.customer, a.segment);
  EVSTORE_FUZZ_CHECK(
      KeyOrder(segment, keys::SegmentKey(b.customer, b.segment)) ==
          ValueOrder(std::pair(a.customer, a.segment),
                     std::pair(b.customer, b.segment)),
      "segment keys sort by customer, then segment");
  EVSTORE_FUZZ_CHECK(keys::ParseSegmentKeyCustomer(segment) == a.customer &&
                         keys::ParseSegmentKeyNumber(segment) == a.segment,
                     "segment keys round-trip");
  // The kinds of meta keys never collide: each has its own prefix.
  EVSTORE_FUZZ_CHECK(segment.starts_with("sg") && by_key.starts_with("ck"),
                     "meta keys carry their kind's prefix");
  if (ValidateCustomerName(a.stream).ok()) {
    const std::string by_name = keys::CustomerByNameKey(a.stream);
    EVSTORE_FUZZ_CHECK(by_name.starts_with("cn") &&
                           by_name != keys::kFormatKey &&
                           by_name != keys::kSegmentEventsKey,
                       "customer name keys never collide with other meta");
    EVSTORE_FUZZ_CHECK(by_name.substr(2) == a.stream,
                       "customer name keys hold the name");
  }
}

}  // namespace
}  // namespace evstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evstore::fuzz;
  DecodeRaw(std::string_view(reinterpret_cast<const char*>(data), size));

  FuzzInput in(data, size);
  Values a;
  Values b;
  ReadValues(in, &a, &b);
  CheckEventKeys(a, b);
  CheckStreamRunKeys(a, b);
  CheckStreamRunValue(a);
  CheckIdKeys(a, b);
  CheckSmallValues(a, b);
  CheckMetaKeys(a, b);
  return 0;
}
