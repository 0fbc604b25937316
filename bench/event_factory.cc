#include "bench/event_factory.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace evstore::bench {
namespace {

std::uint64_t SplitMix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t Rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

// Finishes `doc` (an object missing only its closing brace) to exactly
// `bytes` bytes, or returns false when it is already too long.
bool PadAndClose(std::string& doc, std::size_t bytes) {
  if (doc.size() + 1 > bytes) return false;
  const std::size_t room = bytes - doc.size() - 1;
  // The filler field: `,"note":"` (no comma in an empty object), x's, `"`.
  const bool empty = doc.back() == '{';
  const std::size_t overhead = empty ? 9 : 10;
  if (room >= overhead) {
    doc += empty ? "\"note\":\"" : ",\"note\":\"";
    doc.append(room - overhead, 'x');
    doc += '"';
  } else {
    doc.append(room, ' ');  // Insignificant whitespace is valid JSON.
  }
  doc += '}';
  return true;
}

}  // namespace

Random::Random(std::uint64_t seed) {
  for (std::uint64_t& word : s_) word = SplitMix64(seed);
}

std::uint64_t Random::Next() {
  const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

std::uint64_t Random::Below(std::uint64_t bound) {
  // The modulo bias is below 2^-40 for the bounds used here.
  return Next() % bound;
}

std::string MakeJsonPayload(std::size_t bytes, int contract_number) {
  const std::string contract = absl::StrFormat("DS%06d", contract_number);
  // The full document: header fields, then hourly quantities (kWh/h) while
  // they fit, then a filler field.
  std::string doc = absl::StrCat(
      "{\"contract\":\"", contract,
      "\",\"grid\":\"Energinet\",\"gasDay\":\"2026-11-27\",\"status\":\"16G\"");
  std::string with_hours = doc + ",\"hourly\":[";
  bool first = true;
  bool fits = false;
  for (int hour = 0; hour < 24; ++hour) {
    const std::string value = absl::StrCat(
        first ? "" : ",", 41000 + (contract_number * 37 + hour * 113) % 9000);
    // The value, the closing bracket and the closing brace must fit.
    if (with_hours.size() + value.size() + 2 > bytes) break;
    with_hours += value;
    first = false;
  }
  if (!first) {
    with_hours += ']';
    fits = PadAndClose(with_hours, bytes);
    if (fits) return with_hours;
  }
  if (PadAndClose(doc, bytes)) return doc;
  std::string small = absl::StrCat("{\"contract\":\"", contract, "\"");
  if (PadAndClose(small, bytes)) return small;
  std::string empty_object(1, '{');
  if (PadAndClose(empty_object, bytes)) return empty_object;
  // A JSON number of exactly `bytes` digits ("1", "10", "100", ...).
  std::string number = "1";
  number.append(bytes > 0 ? bytes - 1 : 0, '0');
  return number;
}

namespace {

std::string UuidText(std::uint64_t hi, std::uint64_t lo,
                     std::uint64_t version) {
  hi = (hi & ~0xF000ULL) | (version << 12);
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);  // variant 10
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text(36, '-');
  std::size_t out = 0;
  for (int i = 0; i < 32; ++i) {
    if (out == 8 || out == 13 || out == 18 || out == 23) ++out;
    const std::uint64_t word = i < 16 ? hi : lo;
    const int shift = 60 - 4 * (i % 16);
    text[out++] = kDigits[(word >> shift) & 0xF];
  }
  return text;
}

}  // namespace

std::string RandomUuid(Random& random) {
  const std::uint64_t hi = random.Next();
  return UuidText(hi, random.Next(), 4);
}

std::string TimeOrderedUuid(Random& random) {
  const auto millis = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  const std::uint64_t hi = (millis << 16) | (random.Next() & 0xFFFF);
  return UuidText(hi, random.Next(), 7);
}

EventFactory::EventFactory(const WorkloadShape& shape, int producer,
                           std::uint64_t seed)
    : shape_(shape),
      random_(seed),
      request_counter_(static_cast<std::uint64_t>(producer)) {
  customers_.reserve(static_cast<std::size_t>(shape_.customers));
  for (int c = 0; c < shape_.customers; ++c) {
    customers_.push_back(CustomerName(c));
  }
  constexpr int kPayloadVariants = 8;
  for (int v = 0; v < kPayloadVariants; ++v) {
    payloads_.push_back(MakeJsonPayload(shape_.event_bytes, 68 + v * 1013));
  }
}

std::string EventFactory::CustomerName(int index) {
  return absl::StrFormat("bench-tso-%02d", index);
}

std::string EventFactory::StreamName(int index) {
  return absl::StrFormat("contract/DS%06d/nominations", index);
}

evstore::v1::AppendRequest EventFactory::Next() {
  const std::uint64_t n = request_counter_++;
  evstore::v1::AppendRequest request;
  request.set_customer(
      customers_[n % static_cast<std::uint64_t>(customers_.size())]);
  evstore::v1::StreamWrite* write = request.add_writes();
  write->set_stream(StreamName(static_cast<int>(
      random_.Below(static_cast<std::uint64_t>(shape_.streams)))));
  write->mutable_events()->Reserve(shape_.events_per_append);
  for (int e = 0; e < shape_.events_per_append; ++e) {
    evstore::v1::ProposedEvent* event = write->add_events();
    event->set_id(shape_.ids == IdKind::kRandom ? RandomUuid(random_)
                                                : TimeOrderedUuid(random_));
    event->set_type("NominationResponseReceived");
    event->set_data(payloads_[random_.Below(payloads_.size())]);
  }
  return request;
}

}  // namespace evstore::bench
