// Fuzz target for the meta records the storage reads back at startup and
// when listing checkpoints: the quota, retention, segment and checkpoint
// keys of storage/key_format.h, and the versioned values CheckpointValue
// (key_format.h), CustomerQuota (customer_quota.h) and CustomerRetention
// (customer_retention.h).
//
// Every input is used twice:
//  1. As raw bytes given to every decoder. A decoder must never crash or read
//     outside the input. An accepted key is the canonical encoding of what
//     is returned (re-encoding gives the same bytes), and no key is read as
//     two kinds. The versioned values (version byte 1, then fixed fields)
//     deliberately accept longer values of their version (fields a later
//     build appends), so instead: a value is accepted iff it has version 1
//     and at least the fixed size, and its fixed-size prefix is the
//     canonical encoding of what is returned (the rest is ignored).
//  2. As structured values (see ReadValues) that are encoded and decoded
//     again: decode(encode(x)) == x, for versioned values also with bytes
//     appended; checkpoint keys sort (bytewise, as RocksDB compares them) by
//     customer, name, partition count, then index, and a name prefix key
//     starts exactly the checkpoints with that name prefix
//     (CheckpointStore::List); each kind of meta key keeps to its own
//     prefix: a customer's segment, quota, retention and checkpoint ranges
//     hold its keys of that kind only, the stores' prefix scans ("qt", "rt",
//     "sg", "cp") see no other kind, and each kind's parser accepts its own
//     keys only.
//
// Not covered: ParseTokenRecord (storage/token_store.h) is part of the
// RocksDB-backed TokenStore (evstore_storage); linking it would pull RocksDB
// into the fuzz build.
//
// Seeds (tests/fuzz/corpus/meta_format/) are valid keys and values of each
// kind, and structured inputs with shared customers and name prefixes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "storage/checkpoint.h"
#include "storage/customer_quota.h"
#include "storage/customer_retention.h"
#include "storage/key_format.h"
#include "storage/names.h"
#include "storage/types.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/key_order.h"

namespace evstore::fuzz {
namespace {

// --- 1. raw bytes through every decoder ---

// The meta keys with a customer: each re-encodes to itself, and no key is
// read as two kinds.
void DecodeMetaKeys(std::string_view raw) {
  int kinds = 0;
  if (keys::ParseCustomerByKeyKey(raw)) ++kinds;
  const auto segment_customer = keys::ParseSegmentKeyCustomer(raw);
  const auto segment = keys::ParseSegmentKeyNumber(raw);
  EVSTORE_FUZZ_CHECK(segment_customer.has_value() == segment.has_value(),
                     "a segment key has both a customer and a number");
  if (segment_customer) {
    EVSTORE_FUZZ_CHECK(keys::SegmentKey(*segment_customer, *segment) == raw,
                       "an accepted segment key re-encodes to itself");
    ++kinds;
  }
  if (const auto customer = keys::ParseQuotaKey(raw)) {
    EVSTORE_FUZZ_CHECK(keys::QuotaKey(*customer) == raw,
                       "an accepted quota key re-encodes to itself");
    ++kinds;
  }
  if (const auto customer = keys::ParseRetentionKey(raw)) {
    EVSTORE_FUZZ_CHECK(keys::RetentionKey(*customer) == raw,
                       "an accepted retention key re-encodes to itself");
    ++kinds;
  }
  if (const auto parts = keys::ParseCheckpointKey(raw)) {
    EVSTORE_FUZZ_CHECK(
        !parts->name.empty() && parts->name.find('\0') == std::string::npos,
        "an accepted checkpoint name is not empty and has no 0x00");
    EVSTORE_FUZZ_CHECK(keys::CheckpointKey(parts->customer, parts->name,
                                           parts->partition_count,
                                           parts->partition_index) == raw,
                       "an accepted checkpoint key re-encodes to itself");
    ++kinds;
  }
  EVSTORE_FUZZ_CHECK(kinds <= 1, "no meta key is read as two kinds");
}

// A versioned value: version byte 1, then `size` - 1 bytes of fields. A
// longer value of version 1 is accepted and its extra bytes ignored, so
// only its first `size` bytes are canonical. `what` names the kind.
template <typename Value>
void DecodeVersionedValue(std::string_view raw, size_t size,
                          std::optional<Value> (*parse)(std::string_view),
                          std::string (*encode)(const Value&),
                          std::string_view what) {
  const auto value = parse(raw);
  const auto message = [what](std::string_view property) {
    return std::string(what) + ": " + std::string(property);
  };
  EVSTORE_FUZZ_CHECK(
      value.has_value() == (raw.size() >= size && raw[0] == '\x01'),
      message("accepted iff version 1 and at least the fixed size").c_str());
  if (!value) return;
  EVSTORE_FUZZ_CHECK(
      encode(*value) == raw.substr(0, size),
      message("an accepted value's fixed part re-encodes to itself").c_str());
}

void DecodeRecordValues(std::string_view raw) {
  DecodeVersionedValue(raw, 17, keys::ParseCheckpointValue,
                       keys::EncodeCheckpointValue, "checkpoint value");
  DecodeVersionedValue(raw, 49, ParseCustomerQuota, EncodeCustomerQuota,
                       "quota record");
  DecodeVersionedValue(raw, 17, ParseCustomerRetention, EncodeCustomerRetention,
                       "retention record");
}

void DecodeRaw(std::string_view raw) {
  DecodeMetaKeys(raw);
  DecodeRecordValues(raw);
}

// --- 2. structured values: round trips, key order, kinds apart ---

// One customer's meta keys.
struct Values {
  CustomerKey customer;
  uint64_t segment = 0;
  std::string customer_name;
  std::string checkpoint;
  uint32_t partition_count = 0;
  uint32_t partition_index = 0;
};

// Versioned meta values, and bytes a later version might append to them.
struct RecordValues {
  keys::CheckpointValue checkpoint;
  CustomerQuota quota;
  CustomerRetention retention;
  std::string appended;
};

// The input: a's and b's Values in declaration order (names as a length
// byte and bytes), a sharing byte (b takes a's customer, checkpoint name,
// partition count: bits 0, 1, 2), then the RecordValues in declaration
// order (the quota's six fields, `appended` as a length byte and bytes).
// Sharing makes the orders within one customer and one name get tested,
// not only the customer bytes.
void ReadValues(FuzzInput& in, Values* a, Values* b, RecordValues* records) {
  for (Values* v : {a, b}) {
    v->customer = CustomerKey(in.U32());
    v->segment = in.U64();
    v->customer_name = in.String(kMaxCustomerNameBytes);
    v->checkpoint = in.String(kMaxCheckpointNameBytes);
    v->partition_count = in.U32();
    v->partition_index = in.U32();
  }
  const uint8_t sharing = in.Byte();
  if (sharing & 1) b->customer = a->customer;
  if (sharing & 2) b->checkpoint = a->checkpoint;
  if (sharing & 4) b->partition_count = a->partition_count;
  records->checkpoint.position = FeedPosition(in.U64());
  records->checkpoint.committed_at_micros = static_cast<int64_t>(in.U64());
  CustomerQuota& quota = records->quota;
  for (uint64_t* field :
       {&quota.append_events_per_second, &quota.append_bytes_per_second,
        &quota.append_events_burst, &quota.append_bytes_burst,
        &quota.max_subscriptions, &quota.max_stored_bytes}) {
    *field = in.U64();
  }
  records->retention.max_age_seconds = in.U64();
  records->retention.max_bytes = in.U64();
  records->appended = in.String(32);
}

// What the checkpoint key format needs of a name (checkpoint.h's naming
// rule is stricter).
bool FitsCheckpointKey(std::string_view name) {
  return !name.empty() && name.find('\0') == std::string_view::npos;
}

void CheckCheckpointKeys(const Values& a, const Values& b) {
  if (!FitsCheckpointKey(a.checkpoint) || !FitsCheckpointKey(b.checkpoint)) {
    return;
  }
  const std::string key_a = keys::CheckpointKey(
      a.customer, a.checkpoint, a.partition_count, a.partition_index);
  const std::string key_b = keys::CheckpointKey(
      b.customer, b.checkpoint, b.partition_count, b.partition_index);
  const auto parts = keys::ParseCheckpointKey(key_a);
  EVSTORE_FUZZ_CHECK(parts && parts->customer == a.customer &&
                         parts->name == a.checkpoint &&
                         parts->partition_count == a.partition_count &&
                         parts->partition_index == a.partition_index,
                     "checkpoint keys round-trip");
  EVSTORE_FUZZ_CHECK(
      KeyOrder(key_a, key_b) ==
          ValueOrder(std::tuple(a.customer, a.checkpoint, a.partition_count,
                                a.partition_index),
                     std::tuple(b.customer, b.checkpoint, b.partition_count,
                                b.partition_index)),
      "checkpoint keys sort by customer, name, partition count, then index");
  // CheckpointStore::List scans from the name prefix key while keys start
  // with it: it must match exactly the checkpoints with that name prefix.
  for (const size_t size :
       {size_t{0}, a.checkpoint.size() / 2, a.checkpoint.size()}) {
    const std::string_view name_prefix =
        std::string_view(a.checkpoint).substr(0, size);
    EVSTORE_FUZZ_CHECK(
        key_b.starts_with(
            keys::CheckpointNamePrefixKey(a.customer, name_prefix)) ==
            (a.customer == b.customer && b.checkpoint.starts_with(name_prefix)),
        "a name prefix key starts the customer's checkpoints with that "
        "name prefix only");
  }
}

// The meta keys of one customer's values, by kind.
enum class MetaKind {
  kCustomerByName,
  kCustomerByKey,
  kSegment,
  kQuota,
  kRetention,
  kCheckpoint,
  kFixed,  // "format", "segment_events", "next_customer"
};
struct MetaKey {
  MetaKind kind;
  std::string key;
};
std::vector<MetaKey> MetaKeysOf(const Values& v) {
  std::vector<MetaKey> out = {
      {MetaKind::kCustomerByKey, keys::CustomerByKeyKey(v.customer)},
      {MetaKind::kSegment, keys::SegmentKey(v.customer, v.segment)},
      {MetaKind::kQuota, keys::QuotaKey(v.customer)},
      {MetaKind::kRetention, keys::RetentionKey(v.customer)},
      {MetaKind::kFixed, keys::kFormatKey},
      {MetaKind::kFixed, keys::kSegmentEventsKey},
      {MetaKind::kFixed, keys::kNextCustomerKey}};
  if (ValidateCustomerName(v.customer_name).ok()) {
    out.push_back(
        {MetaKind::kCustomerByName, keys::CustomerByNameKey(v.customer_name)});
  }
  if (FitsCheckpointKey(v.checkpoint)) {
    out.push_back({MetaKind::kCheckpoint,
                   keys::CheckpointKey(v.customer, v.checkpoint,
                                       v.partition_count, v.partition_index)});
  }
  return out;
}

// Each kind's parser accepts its own keys only, the stores' prefix scans
// see their kind only, and a's per-customer ranges hold a's keys of that
// kind only (checked against the keys of both a and b).
void CheckMetaKinds(const Values& a, const Values& b) {
  struct Range {
    MetaKind kind;
    std::string begin;
    std::string end;
  };
  std::vector<Range> ranges;
  // The last customer key has no range end (CustomerRangeEnd wraps; see the
  // fuzz README).
  if (a.customer.value() != UINT32_MAX) {
    ranges = {
        {MetaKind::kSegment, keys::CustomerSegmentsBegin(a.customer),
         keys::CustomerSegmentsEnd(a.customer)},
        {MetaKind::kQuota, keys::QuotaKey(a.customer),
         keys::QuotaKeyEnd(a.customer)},
        {MetaKind::kRetention, keys::RetentionKey(a.customer),
         keys::RetentionKeyEnd(a.customer)},
        {MetaKind::kCheckpoint, keys::CustomerCheckpointsBegin(a.customer),
         keys::CustomerCheckpointsEnd(a.customer)}};
  }
  const std::pair<std::string_view, MetaKind> prefixes[] = {
      {"cn", MetaKind::kCustomerByName}, {"ck", MetaKind::kCustomerByKey},
      {"sg", MetaKind::kSegment},        {"qt", MetaKind::kQuota},
      {"rt", MetaKind::kRetention},      {"cp", MetaKind::kCheckpoint}};
  for (const Values* owner : {&a, &b}) {
    for (const MetaKey& k : MetaKeysOf(*owner)) {
      const auto own = [&](MetaKind kind) {
        return k.kind == kind ? std::optional(owner->customer) : std::nullopt;
      };
      const auto checkpoint = keys::ParseCheckpointKey(k.key);
      EVSTORE_FUZZ_CHECK(
          keys::ParseCustomerByKeyKey(k.key) == own(MetaKind::kCustomerByKey) &&
              keys::ParseSegmentKeyCustomer(k.key) == own(MetaKind::kSegment) &&
              keys::ParseQuotaKey(k.key) == own(MetaKind::kQuota) &&
              keys::ParseRetentionKey(k.key) == own(MetaKind::kRetention) &&
              (checkpoint ? std::optional(checkpoint->customer)
                          : std::nullopt) == own(MetaKind::kCheckpoint),
          "each meta key parser accepts its own kind of key only");
      for (const auto& [prefix, kind] : prefixes) {
        EVSTORE_FUZZ_CHECK(k.key.starts_with(prefix) == (k.kind == kind),
                           "a meta key prefix scan sees its own kind only");
      }
      for (const Range& range : ranges) {
        const bool in_range = range.begin <= k.key && k.key < range.end;
        EVSTORE_FUZZ_CHECK(
            in_range == (k.kind == range.kind && owner->customer == a.customer),
            "a customer's meta range holds its keys of that kind only");
      }
    }
  }
}

bool Same(const keys::CheckpointValue& x, const keys::CheckpointValue& y) {
  return x.position == y.position &&
         x.committed_at_micros == y.committed_at_micros;
}
bool Same(const CustomerQuota& x, const CustomerQuota& y) { return x == y; }
bool Same(const CustomerRetention& x, const CustomerRetention& y) {
  return x == y;
}

// Versioned values round-trip, also with `appended` bytes (fields a later
// version adds), which this build ignores.
template <typename Value>
void CheckVersionedValue(const Value& value, size_t size,
                         std::optional<Value> (*parse)(std::string_view),
                         std::string (*encode)(const Value&),
                         std::string_view appended, std::string_view what) {
  const auto message = [what](std::string_view property) {
    return std::string(what) + ": " + std::string(property);
  };
  const std::string encoded = encode(value);
  EVSTORE_FUZZ_CHECK(encoded.size() == size && encoded[0] == '\x01',
                     message("written as version 1, fixed size").c_str());
  const auto parsed = parse(encoded);
  EVSTORE_FUZZ_CHECK(parsed && Same(*parsed, value),
                     message("round-trips").c_str());
  const auto longer = parse(encoded + std::string(appended));
  EVSTORE_FUZZ_CHECK(
      longer && Same(*longer, value),
      message("reads the same with fields appended by a later version")
          .c_str());
}

void CheckRecordValues(const RecordValues& r) {
  CheckVersionedValue(r.checkpoint, 17, keys::ParseCheckpointValue,
                      keys::EncodeCheckpointValue, r.appended,
                      "checkpoint value");
  CheckVersionedValue(r.quota, 49, ParseCustomerQuota, EncodeCustomerQuota,
                      r.appended, "quota record");
  CheckVersionedValue(r.retention, 17, ParseCustomerRetention,
                      EncodeCustomerRetention, r.appended, "retention record");
}

}  // namespace
}  // namespace evstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evstore::fuzz;
  DecodeRaw(std::string_view(reinterpret_cast<const char*>(data), size));

  FuzzInput in(data, size);
  Values a;
  Values b;
  RecordValues records;
  ReadValues(in, &a, &b, &records);
  CheckCheckpointKeys(a, b);
  CheckMetaKinds(a, b);
  CheckRecordValues(records);
  return 0;
}
