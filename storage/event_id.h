// EventId: the producer-chosen UUID that identifies an event and makes
// appends idempotent.
#ifndef EVSTORE_STORAGE_EVENT_ID_H_
#define EVSTORE_STORAGE_EVENT_ID_H_

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace evstore {

// A 128-bit UUID held as its 16 bytes in network order. Any UUID version is
// accepted; the nil UUID is rejected by Parse because it cannot identify an
// event.
class EventId {
 public:
  using Bytes = std::array<uint8_t, 16>;

  constexpr EventId() = default;
  explicit EventId(const Bytes& bytes) : bytes_(bytes) {}

  // Parses the canonical 36-character form (8-4-4-4-12 hex digits, either
  // case). Returns nullopt for anything else, including the nil UUID.
  static std::optional<EventId> Parse(std::string_view text);

  // The canonical lowercase text form.
  std::string ToString() const;

  const Bytes& bytes() const { return bytes_; }
  std::string_view AsBytes() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }

  auto operator<=>(const EventId&) const = default;

  template <typename H>
  friend H AbslHashValue(H h, const EventId& id) {
    return H::combine_contiguous(std::move(h), id.bytes_.data(),
                                 id.bytes_.size());
  }

 private:
  Bytes bytes_{};
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_EVENT_ID_H_
