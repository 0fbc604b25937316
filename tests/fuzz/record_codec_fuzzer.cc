// Fuzz target for the stored event envelope (storage/record_codec.h).
//
// Input: mode byte | customer u32 BE | position u64 BE | rest. The mode
// (modulo 3) says what the rest is:
//   0  a stored value, decoded as it is. Random bytes almost never carry a
//      valid checksum, so this mostly tests that bad values are refused
//      safely, and that nothing is accepted whose checksum does not match
//      (recomputed here independently, with XXH3's one-shot API).
//   1  a stored value whose version byte and checksum are fixed up before
//      decoding, so that the body parser sees arbitrary bodies.
//   2  the fields of an event (read with FuzzInput), encoded and decoded
//      again: decode(encode(x)) == x.
// Whatever the decoder accepts must be a consistent event whose strings lie
// inside the value; re-encoding it gives an envelope that decodes to the
// same event; changing any one byte of it, or reading it under another key,
// makes the decoder refuse it.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "storage/key_format.h"
#include "storage/record_codec.h"
#include "storage/records.h"
#include "storage/types.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"

namespace evstore::fuzz {
namespace {

constexpr size_t kHeaderSize = 1 + 8;  // version + checksum (LE)

// The checksum the envelope should carry, computed without the codec.
uint64_t ExpectedChecksum(CustomerKey customer, FeedPosition position,
                          std::string_view body) {
  std::string covered = keys::EventKey(customer, position);
  covered.append(body);
  return XXH3_64bits(covered.data(), covered.size());
}

uint64_t StoredChecksum(std::string_view value) {
  uint64_t sum = 0;
  for (int i = 8; i >= 1; --i)
    sum = (sum << 8) | static_cast<uint8_t>(value[i]);
  return sum;
}

void PutChecksum(uint64_t sum, std::string* value) {
  for (int i = 0; i < 8; ++i) {
    (*value)[1 + i] = static_cast<char>((sum >> (8 * i)) & 0xFF);
  }
}

bool Inside(std::string_view part, std::string_view whole) {
  const char* begin = whole.data();
  const char* end = whole.data() + whole.size();
  return part.empty() ||
         (part.data() >= begin && part.data() + part.size() <= end);
}

bool SameEvent(const codec::EventView& a, const codec::EventView& b) {
  return a.revision == b.revision &&
         a.recorded_at_micros == b.recorded_at_micros &&
         a.index_in_append == b.index_in_append &&
         a.append_size == b.append_size && a.id == b.id &&
         a.stream == b.stream && a.type == b.type &&
         a.content_type == b.content_type && a.metadata == b.metadata &&
         a.data == b.data;
}

// The envelope of `view` (whose strings must stay alive), appended to *out.
void Reencode(CustomerKey customer, FeedPosition position,
              const codec::EventView& view, std::string* out) {
  EventMetadata metadata;
  for (const auto& [key, value] : view.metadata) {
    metadata.emplace_back(std::string(key), std::string(value));
  }
  const codec::EventFields fields{.revision = view.revision,
                                  .recorded_at_micros = view.recorded_at_micros,
                                  .index_in_append = view.index_in_append,
                                  .append_size = view.append_size,
                                  .id = &view.id,
                                  .stream = view.stream,
                                  .type = view.type,
                                  .content_type = view.content_type,
                                  .metadata = &metadata,
                                  .data = view.data};
  codec::EncodeEvent(customer, position, fields, out);
}

// The properties of every value the decoder accepts. `tamper` picks the
// byte to damage and how.
void CheckAccepted(CustomerKey customer, FeedPosition position,
                   std::string_view value, const codec::EventView& view,
                   uint64_t tamper) {
  EVSTORE_FUZZ_CHECK(
      value.size() >= kHeaderSize &&
          static_cast<uint8_t>(value[0]) == codec::kEnvelopeVersion,
      "an accepted value has a header of the known version");
  EVSTORE_FUZZ_CHECK(
      StoredChecksum(value) ==
          ExpectedChecksum(customer, position, value.substr(kHeaderSize)),
      "an accepted value's checksum matches its key and body");
  EVSTORE_FUZZ_CHECK(view.index_in_append < view.append_size,
                     "an accepted event lies inside its append");
  bool inside = Inside(view.stream, value) && Inside(view.type, value) &&
                Inside(view.content_type, value) && Inside(view.data, value);
  for (const auto& [key, val] : view.metadata) {
    inside = inside && Inside(key, value) && Inside(val, value);
  }
  EVSTORE_FUZZ_CHECK(inside, "decoded strings point into the value");

  std::string again;
  Reencode(customer, position, view, &again);
  EVSTORE_FUZZ_CHECK(again.size() <= value.size(),
                     "the encoder writes the shortest envelope");
  const auto redecoded = codec::DecodeEvent(customer, position, again);
  EVSTORE_FUZZ_CHECK(redecoded.ok() && SameEvent(*redecoded, view),
                     "a re-encoded event decodes to the same event");

  // One damaged byte anywhere is refused: DATA_LOSS, or FAILED_PRECONDITION
  // when the damage hits the version byte.
  std::string damaged(value);
  const size_t at = tamper % damaged.size();
  const auto flip = static_cast<uint8_t>((tamper >> 32) | 1);
  damaged[at] = static_cast<char>(static_cast<uint8_t>(damaged[at]) ^ flip);
  const absl::Status damaged_status =
      codec::DecodeEvent(customer, position, damaged).status();
  EVSTORE_FUZZ_CHECK(
      damaged_status.code() == (at == 0 ? absl::StatusCode::kFailedPrecondition
                                        : absl::StatusCode::kDataLoss),
      "a value with one damaged byte is refused");

  // A value stored under the wrong key is refused.
  EVSTORE_FUZZ_CHECK(
      codec::DecodeEvent(customer, position.Next(), value).status().code() ==
              absl::StatusCode::kDataLoss &&
          codec::DecodeEvent(customer.Next(), position, value)
                  .status()
                  .code() == absl::StatusCode::kDataLoss,
      "a value read under another key is refused");
}

void CheckRefused(const absl::Status& status) {
  EVSTORE_FUZZ_CHECK(status.code() == absl::StatusCode::kDataLoss ||
                         status.code() == absl::StatusCode::kFailedPrecondition,
                     "a refused value fails with DATA_LOSS or an unknown "
                     "version with FAILED_PRECONDITION");
  EVSTORE_FUZZ_CHECK(!status.message().empty(), "a refusal says why");
}

void DecodeStored(CustomerKey customer, FeedPosition position,
                  std::string_view value, uint64_t tamper) {
  const auto view = codec::DecodeEvent(customer, position, value);
  if (!view.ok()) {
    CheckRefused(view.status());
    return;
  }
  CheckAccepted(customer, position, value, *view, tamper);
}

void DecodeResealed(CustomerKey customer, FeedPosition position,
                    std::string value, uint64_t tamper) {
  if (value.size() < kHeaderSize) return;
  value[0] = static_cast<char>(codec::kEnvelopeVersion);
  PutChecksum(ExpectedChecksum(customer, position,
                               std::string_view(value).substr(kHeaderSize)),
              &value);
  const auto view = codec::DecodeEvent(customer, position, value);
  if (!view.ok()) {
    CheckRefused(view.status());
    EVSTORE_FUZZ_CHECK(
        view.status().message().find("checksum") == std::string_view::npos,
        "a value with the right checksum is not refused for its checksum");
    return;
  }
  CheckAccepted(customer, position, value, *view, tamper);
}

void RoundTrip(CustomerKey customer, FeedPosition position, FuzzInput& in,
               uint64_t tamper) {
  EventId::Bytes id_bytes{};
  for (uint8_t& byte : id_bytes) byte = in.Byte();
  const EventId id(id_bytes);
  const StreamRevision revision(in.U64());
  const auto recorded_at = static_cast<int64_t>(in.U64());
  const uint32_t index_in_append = in.U32();
  const uint32_t append_size = in.U32();
  const std::string stream = in.String(300);
  const std::string type = in.String(300);
  const std::string content_type = in.String(64);
  EventMetadata metadata(in.Byte() % 8);
  for (auto& [key, value] : metadata) {
    key = in.String(32);
    value = in.String(64);
  }
  // Earlier bytes in the output buffer must be left alone.
  const std::string earlier = in.String(16);
  const std::string data = in.Rest();

  const codec::EventFields fields{.revision = revision,
                                  .recorded_at_micros = recorded_at,
                                  .index_in_append = index_in_append,
                                  .append_size = append_size,
                                  .id = &id,
                                  .stream = stream,
                                  .type = type,
                                  .content_type = content_type,
                                  .metadata = &metadata,
                                  .data = data};
  std::string out = earlier;
  codec::EncodeEvent(customer, position, fields, &out);
  EVSTORE_FUZZ_CHECK(out.starts_with(earlier),
                     "encoding appends without touching earlier bytes");
  const std::string_view value = std::string_view(out).substr(earlier.size());
  const auto view = codec::DecodeEvent(customer, position, value);
  if (index_in_append >= append_size) {
    // The engine never writes such an event; the decoder refuses it.
    EVSTORE_FUZZ_CHECK(view.status().code() == absl::StatusCode::kDataLoss,
                       "an event outside its append is refused");
    return;
  }
  EVSTORE_FUZZ_CHECK(view.ok(), "an encoded event decodes");
  bool same_metadata = view->metadata.size() == metadata.size();
  for (size_t i = 0; same_metadata && i < metadata.size(); ++i) {
    same_metadata = view->metadata[i].first == metadata[i].first &&
                    view->metadata[i].second == metadata[i].second;
  }
  EVSTORE_FUZZ_CHECK(view->revision == revision &&
                         view->recorded_at_micros == recorded_at &&
                         view->index_in_append == index_in_append &&
                         view->append_size == append_size && view->id == id &&
                         view->stream == stream && view->type == type &&
                         view->content_type == content_type && same_metadata &&
                         view->data == data,
                     "decode(encode(event)) == event");
  CheckAccepted(customer, position, value, *view, tamper);
}

}  // namespace
}  // namespace evstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evstore::fuzz;
  FuzzInput in(data, size);
  const uint8_t mode = in.Byte() % 3;
  const evstore::CustomerKey customer(in.U32());
  const evstore::FeedPosition position(in.U64());
  // Derived from the key so that it needs no bytes of its own.
  const uint64_t tamper = position.value() ^ (uint64_t{customer.value()} << 29);
  switch (mode) {
    case 0:
      DecodeStored(customer, position, in.Rest(), tamper);
      break;
    case 1:
      DecodeResealed(customer, position, in.Rest(), tamper);
      break;
    default:
      RoundTrip(customer, position, in, tamper);
      break;
  }
  return 0;
}
