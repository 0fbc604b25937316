#include "storage/record_codec.h"

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "storage/absl_string_view.h"
#include "storage/key_format.h"

namespace evstore::codec {
namespace {

constexpr size_t kHeaderSize = 1 + 8;  // version + checksum

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutBytes(std::string* out, std::string_view bytes) {
  PutVarint(out, bytes.size());
  out->append(bytes);
}

uint64_t Checksum(CustomerKey customer, FeedPosition position,
                  std::string_view body) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  char key[keys::kEventKeySize];
  const uint32_t c = customer.value();
  const uint64_t p = position.value();
  for (int i = 0; i < 4; ++i) key[i] = static_cast<char>(c >> (24 - 8 * i));
  for (int i = 0; i < 8; ++i) key[4 + i] = static_cast<char>(p >> (56 - 8 * i));
  XXH3_64bits_update(&state, key, sizeof(key));
  XXH3_64bits_update(&state, body.data(), body.size());
  return XXH3_64bits_digest(&state);
}

// Reads the body; every getter fails (returns false) past the end.
class BodyReader {
 public:
  explicit BodyReader(std::string_view body) : rest_(body) {}

  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift <= 63 && !rest_.empty(); shift += 7) {
      const auto byte = static_cast<uint8_t>(rest_.front());
      rest_.remove_prefix(1);
      result |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool Bytes(std::string_view* out) {
    uint64_t len = 0;
    if (!Varint(&len) || len > rest_.size()) return false;
    *out = rest_.substr(0, len);
    rest_.remove_prefix(len);
    return true;
  }
  bool Fixed(size_t n, std::string_view* out) {
    if (n > rest_.size()) return false;
    *out = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return true;
  }
  bool AtEnd() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace

void EncodeEvent(CustomerKey customer, FeedPosition position,
                 const EventFields& fields, std::string* out) {
  const size_t start = out->size();
  out->push_back(static_cast<char>(kEnvelopeVersion));
  out->append(8, '\0');  // checksum, filled below
  const size_t body_start = out->size();
  PutVarint(out, fields.revision.value());
  PutVarint(out, static_cast<uint64_t>(fields.recorded_at_micros));
  PutVarint(out, fields.index_in_append);
  PutVarint(out, fields.append_size);
  out->append(fields.id->AsBytes());
  PutBytes(out, fields.stream);
  PutBytes(out, fields.type);
  PutBytes(out, fields.content_type);
  PutVarint(out, fields.metadata->size());
  for (const auto& [key, value] : *fields.metadata) {
    PutBytes(out, key);
    PutBytes(out, value);
  }
  PutBytes(out, fields.data);
  const uint64_t sum =
      Checksum(customer, position, std::string_view(*out).substr(body_start));
  for (int i = 0; i < 8; ++i) {
    (*out)[start + 1 + i] = static_cast<char>((sum >> (8 * i)) & 0xFF);
  }
}

absl::StatusOr<EventView> DecodeEvent(CustomerKey customer,
                                      FeedPosition position,
                                      std::string_view value) {
  const auto corrupt = [&](std::string_view what) {
    return absl::DataLossError(absl::StrCat(
        "stored event at feed position ", position.value(), " of customer #",
        customer.value(), " is corrupt: ", AsAbsl(what)));
  };
  if (value.size() < kHeaderSize) return corrupt("value too short");
  const auto version = static_cast<uint8_t>(value[0]);
  if (version != kEnvelopeVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("stored event at feed position ", position.value(),
                     " has envelope version ", version, "; this build reads ",
                     kEnvelopeVersion));
  }
  uint64_t stored = 0;
  for (int i = 7; i >= 0; --i) {
    stored = (stored << 8) | static_cast<uint8_t>(value[1 + i]);
  }
  const std::string_view body = value.substr(kHeaderSize);
  if (Checksum(customer, position, body) != stored) {
    return corrupt("checksum mismatch");
  }
  BodyReader reader(body);
  EventView view;
  uint64_t revision = 0;
  uint64_t recorded_at = 0;
  uint64_t index_in_append = 0;
  uint64_t append_size = 0;
  std::string_view id_bytes;
  uint64_t metadata_count = 0;
  if (!reader.Varint(&revision) || !reader.Varint(&recorded_at) ||
      !reader.Varint(&index_in_append) || !reader.Varint(&append_size) ||
      index_in_append >= append_size || append_size > UINT32_MAX ||
      !reader.Fixed(16, &id_bytes) || !reader.Bytes(&view.stream) ||
      !reader.Bytes(&view.type) || !reader.Bytes(&view.content_type) ||
      !reader.Varint(&metadata_count)) {
    return corrupt("truncated header");
  }
  view.revision = StreamRevision(revision);
  view.recorded_at_micros = static_cast<int64_t>(recorded_at);
  view.index_in_append = static_cast<uint32_t>(index_in_append);
  view.append_size = static_cast<uint32_t>(append_size);
  EventId::Bytes raw_id;
  std::memcpy(raw_id.data(), id_bytes.data(), raw_id.size());
  view.id = EventId(raw_id);
  if (metadata_count > body.size()) return corrupt("bad metadata count");
  view.metadata.reserve(metadata_count);
  for (uint64_t i = 0; i < metadata_count; ++i) {
    std::string_view key, val;
    if (!reader.Bytes(&key) || !reader.Bytes(&val)) {
      return corrupt("truncated metadata");
    }
    view.metadata.emplace_back(key, val);
  }
  if (!reader.Bytes(&view.data) || !reader.AtEnd()) {
    return corrupt("bad data length");
  }
  return view;
}

RecordedEvent ToRecordedEvent(const EventView& view, std::string_view customer,
                              FeedPosition position, bool include_data) {
  RecordedEvent event;
  event.customer = std::string(customer);
  event.stream = std::string(view.stream);
  event.revision = view.revision;
  event.position = position;
  event.id = view.id;
  event.type = std::string(view.type);
  event.content_type = std::string(view.content_type);
  if (include_data) event.data = std::string(view.data);
  event.metadata.reserve(view.metadata.size());
  for (const auto& [key, value] : view.metadata) {
    event.metadata.emplace_back(std::string(key), std::string(value));
  }
  event.recorded_at_micros = view.recorded_at_micros;
  return event;
}

}  // namespace evstore::codec
