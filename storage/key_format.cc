#include "storage/key_format.h"

#include <cstring>

namespace evstore::keys {

void AppendU32(std::string* out, uint32_t v) {
  char buf[4];
  for (int i = 3; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  out->append(buf, 4);
}

void AppendU64(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  out->append(buf, 8);
}

uint32_t ReadU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint64_t ReadU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

std::string EventKey(CustomerKey customer, FeedPosition position) {
  std::string key;
  key.reserve(kEventKeySize);
  AppendU32(&key, customer.value());
  AppendU64(&key, position.value());
  return key;
}

std::string CustomerEventsBegin(CustomerKey customer) {
  return EventKey(customer, FeedPosition(0));
}

std::string CustomerEventsEnd(CustomerKey customer) {
  std::string key;
  AppendU32(&key, customer.value() + 1);
  return key;
}

std::string CustomerRangeBegin(CustomerKey customer) {
  std::string key;
  AppendU32(&key, customer.value());
  return key;
}

std::string CustomerRangeEnd(CustomerKey customer) {
  // Customer keys stay far below UINT32_MAX (one per created customer).
  std::string key;
  AppendU32(&key, customer.value() + 1);
  return key;
}

std::string EventRangeDeleteBegin(CustomerKey customer, FeedPosition first) {
  std::string key = EventKey(customer, first.Prev());
  key.push_back('\0');
  return key;
}

std::optional<EventKeyParts> ParseEventKey(std::string_view key) {
  if (key.size() != kEventKeySize) return std::nullopt;
  return EventKeyParts{CustomerKey(ReadU32(key.data())),
                       FeedPosition(ReadU64(key.data() + 4))};
}

std::string StreamRunPrefix(CustomerKey customer, std::string_view stream) {
  std::string key;
  key.reserve(4 + stream.size() + 1 + 8);
  AppendU32(&key, customer.value());
  key.append(stream);
  key.push_back('\0');
  return key;
}

std::string StreamRunKey(CustomerKey customer, std::string_view stream,
                         StreamRevision first_revision) {
  std::string key = StreamRunPrefix(customer, stream);
  AppendU64(&key, first_revision.value());
  return key;
}

std::optional<StreamRevision> ParseStreamRunKeyRevision(std::string_view key,
                                                        size_t prefix_size) {
  if (key.size() != prefix_size + 8) return std::nullopt;
  return StreamRevision(ReadU64(key.data() + prefix_size));
}

std::string EncodeStreamRunValue(FeedPosition first_position, uint32_t count) {
  std::string value;
  value.reserve(12);
  AppendU64(&value, first_position.value());
  AppendU32(&value, count);
  return value;
}

std::optional<StreamRun> ParseStreamRunValue(StreamRevision first_revision,
                                             std::string_view value) {
  if (value.size() != 12) return std::nullopt;
  StreamRun run{first_revision, FeedPosition(ReadU64(value.data())),
                ReadU32(value.data() + 8)};
  if (run.count == 0 || run.first_position.value() == 0 ||
      first_revision.value() == 0) {
    return std::nullopt;
  }
  return run;
}

std::string EncodeStreamEndMarker(bool tombstoned) {
  return std::string(1, tombstoned ? '\x02' : '\x01');
}

std::optional<bool> ParseStreamEndMarker(std::string_view value) {
  if (value.size() != 1 || (value[0] != '\x01' && value[0] != '\x02')) {
    return std::nullopt;
  }
  return value[0] == '\x02';
}

std::string IdKey(CustomerKey customer, const EventId& id) {
  std::string key;
  key.reserve(kIdKeySize);
  AppendU32(&key, customer.value());
  key.append(id.AsBytes());
  return key;
}

std::string EncodePosition(FeedPosition position) {
  std::string value;
  AppendU64(&value, position.value());
  return value;
}

std::optional<FeedPosition> ParsePosition(std::string_view value) {
  if (value.size() != 8) return std::nullopt;
  return FeedPosition(ReadU64(value.data()));
}

std::string CustomerByNameKey(std::string_view name) {
  std::string key = "cn";
  key.append(name);
  return key;
}

std::string CustomerByKeyKey(CustomerKey customer) {
  std::string key(kCustomerByKeyPrefix);
  AppendU32(&key, customer.value());
  return key;
}

std::optional<CustomerKey> ParseCustomerByKeyKey(std::string_view key) {
  if (key.size() != kCustomerByKeyPrefix.size() + 4 ||
      key.substr(0, kCustomerByKeyPrefix.size()) != kCustomerByKeyPrefix) {
    return std::nullopt;
  }
  return CustomerKey(ReadU32(key.data() + kCustomerByKeyPrefix.size()));
}

std::string EncodeCustomerKey(CustomerKey customer) {
  std::string value;
  AppendU32(&value, customer.value());
  return value;
}

std::optional<CustomerKey> ParseCustomerKey(std::string_view value) {
  if (value.size() != 4) return std::nullopt;
  return CustomerKey(ReadU32(value.data()));
}

std::string EncodeCustomerRecord(std::string_view name,
                                 int64_t created_at_micros) {
  std::string value(name);
  value.push_back('\0');
  AppendU64(&value, static_cast<uint64_t>(created_at_micros));
  return value;
}

std::optional<CustomerRecord> ParseCustomerRecord(std::string_view value) {
  const size_t end = value.find('\0');
  CustomerRecord record;
  record.name = std::string(value.substr(0, end));
  if (record.name.empty()) return std::nullopt;
  if (end == std::string_view::npos) return record;
  if (value.size() - end - 1 != 8) return std::nullopt;
  record.created_at_micros =
      static_cast<int64_t>(ReadU64(value.data() + end + 1));
  return record;
}

std::string SegmentKey(CustomerKey customer, uint64_t segment) {
  std::string key = "sg";
  AppendU32(&key, customer.value());
  AppendU64(&key, segment);
  return key;
}

std::string CustomerSegmentsBegin(CustomerKey customer) {
  return "sg" + CustomerRangeBegin(customer);
}

std::string CustomerSegmentsEnd(CustomerKey customer) {
  return "sg" + CustomerRangeEnd(customer);
}

std::optional<CustomerKey> ParseSegmentKeyCustomer(std::string_view key) {
  if (key.size() != 2 + 4 + 8 || !key.starts_with("sg")) return std::nullopt;
  return CustomerKey(ReadU32(key.data() + 2));
}

std::optional<uint64_t> ParseSegmentKeyNumber(std::string_view key) {
  if (!ParseSegmentKeyCustomer(key)) return std::nullopt;
  return ReadU64(key.data() + 6);
}

std::string RetentionKey(CustomerKey customer) {
  std::string key(kRetentionKeyPrefix);
  AppendU32(&key, customer.value());
  return key;
}

std::string RetentionKeyEnd(CustomerKey customer) {
  return std::string(kRetentionKeyPrefix) + CustomerRangeEnd(customer);
}

std::optional<CustomerKey> ParseRetentionKey(std::string_view key) {
  if (key.size() != kRetentionKeyPrefix.size() + 4 ||
      !key.starts_with(kRetentionKeyPrefix)) {
    return std::nullopt;
  }
  return CustomerKey(ReadU32(key.data() + kRetentionKeyPrefix.size()));
}

std::string QuotaKey(CustomerKey customer) {
  std::string key(kQuotaKeyPrefix);
  AppendU32(&key, customer.value());
  return key;
}

std::string QuotaKeyEnd(CustomerKey customer) {
  return std::string(kQuotaKeyPrefix) + CustomerRangeEnd(customer);
}

std::optional<CustomerKey> ParseQuotaKey(std::string_view key) {
  if (key.size() != kQuotaKeyPrefix.size() + 4 ||
      !key.starts_with(kQuotaKeyPrefix)) {
    return std::nullopt;
  }
  return CustomerKey(ReadU32(key.data() + kQuotaKeyPrefix.size()));
}

std::string EncodeSegmentRecord(const SegmentRecord& record) {
  std::string value;
  value.reserve(40);
  AppendU64(&value, record.first_position.value());
  AppendU64(&value, record.last_position.value());
  AppendU64(&value, static_cast<uint64_t>(record.min_recorded_at_micros));
  AppendU64(&value, static_cast<uint64_t>(record.max_recorded_at_micros));
  AppendU64(&value, record.bytes);
  return value;
}

std::optional<SegmentRecord> ParseSegmentRecord(std::string_view value) {
  if (value.size() != 40) return std::nullopt;
  const char* p = value.data();
  SegmentRecord record;
  record.first_position = FeedPosition(ReadU64(p));
  record.last_position = FeedPosition(ReadU64(p + 8));
  record.min_recorded_at_micros = static_cast<int64_t>(ReadU64(p + 16));
  record.max_recorded_at_micros = static_cast<int64_t>(ReadU64(p + 24));
  record.bytes = ReadU64(p + 32);
  return record;
}

std::string CheckpointKey(CustomerKey customer, std::string_view name,
                          uint32_t partition_count, uint32_t partition_index) {
  std::string key = CheckpointNamePrefixKey(customer, name);
  key.push_back('\0');
  AppendU32(&key, partition_count);
  AppendU32(&key, partition_index);
  return key;
}

std::string CheckpointNamePrefixKey(CustomerKey customer,
                                    std::string_view name_prefix) {
  std::string key(kCheckpointKeyPrefix);
  AppendU32(&key, customer.value());
  key.append(name_prefix);
  return key;
}

std::string CustomerCheckpointsBegin(CustomerKey customer) {
  return std::string(kCheckpointKeyPrefix) + CustomerRangeBegin(customer);
}

std::string CustomerCheckpointsEnd(CustomerKey customer) {
  return std::string(kCheckpointKeyPrefix) + CustomerRangeEnd(customer);
}

std::optional<CheckpointKeyParts> ParseCheckpointKey(std::string_view key) {
  const size_t header = kCheckpointKeyPrefix.size() + 4;
  // At least a 1-byte name, the 0x00 and the two u32.
  if (key.size() < header + 1 + 1 + 8 ||
      !key.starts_with(kCheckpointKeyPrefix)) {
    return std::nullopt;
  }
  const size_t name_end = key.size() - 9;
  if (key[name_end] != '\0') return std::nullopt;
  std::string_view name = key.substr(header, name_end - header);
  if (name.find('\0') != std::string_view::npos) return std::nullopt;
  CheckpointKeyParts parts;
  parts.customer =
      CustomerKey(ReadU32(key.data() + kCheckpointKeyPrefix.size()));
  parts.name = std::string(name);
  parts.partition_count = ReadU32(key.data() + name_end + 1);
  parts.partition_index = ReadU32(key.data() + name_end + 5);
  return parts;
}

std::string EncodeCheckpointValue(const CheckpointValue& value) {
  std::string out;
  out.reserve(17);
  out.push_back(1);
  AppendU64(&out, value.position.value());
  AppendU64(&out, static_cast<uint64_t>(value.committed_at_micros));
  return out;
}

std::optional<CheckpointValue> ParseCheckpointValue(std::string_view value) {
  if (value.size() < 17 || value[0] != 1) return std::nullopt;
  CheckpointValue parsed;
  parsed.position = FeedPosition(ReadU64(value.data() + 1));
  parsed.committed_at_micros = static_cast<int64_t>(ReadU64(value.data() + 9));
  return parsed;
}

}  // namespace evstore::keys
