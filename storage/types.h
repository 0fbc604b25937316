// Strong types for the numbers of the event log, so that a feed position can
// never be passed where a stream revision is meant.
#ifndef EVSTORE_STORAGE_TYPES_H_
#define EVSTORE_STORAGE_TYPES_H_

#include <compare>
#include <cstdint>
#include <utility>

namespace evstore {

// A thin wrapper over an unsigned integer, distinct per Tag. Comparable with
// itself only; the raw value is reached through value().
template <typename Tag, typename RepT>
class StrongInt {
 public:
  using Rep = RepT;

  constexpr StrongInt() = default;
  constexpr explicit StrongInt(Rep value) : value_(value) {}

  constexpr Rep value() const { return value_; }
  constexpr StrongInt Next() const { return StrongInt(value_ + 1); }
  constexpr StrongInt Prev() const { return StrongInt(value_ - 1); }
  constexpr StrongInt Plus(Rep n) const { return StrongInt(value_ + n); }

  constexpr auto operator<=>(const StrongInt&) const = default;

  template <typename H>
  friend H AbslHashValue(H h, StrongInt v) {
    return H::combine(std::move(h), v.value_);
  }

 private:
  Rep value_ = 0;
};

struct FeedPositionTag {};
struct StreamRevisionTag {};
struct CustomerKeyTag {};

// A position in one customer's feed. Positions are 1, 2, 3, ... without gaps;
// 0 means "before the first event" (an empty feed has head 0).
using FeedPosition = StrongInt<FeedPositionTag, uint64_t>;

// A revision of one stream. Revisions are 1, 2, 3, ...; 0 means "the stream
// has no events".
using StreamRevision = StrongInt<StreamRevisionTag, uint64_t>;

// The dense internal number of a customer, assigned when the customer is
// first written. It prefixes every key of that customer on disk. Never 0.
using CustomerKey = StrongInt<CustomerKeyTag, uint32_t>;

}  // namespace evstore

#endif  // EVSTORE_STORAGE_TYPES_H_
