// Order comparisons shared by the fuzz targets that check key order: the
// order of encoded keys against the order of the values they encode.
#ifndef EVSTORE_TESTS_FUZZ_KEY_ORDER_H_
#define EVSTORE_TESTS_FUZZ_KEY_ORDER_H_

#include <compare>
#include <string_view>

namespace evstore::fuzz {

// -1, 0 or 1 as `a` sorts before, with or after `b` (bytewise, unsigned, as
// RocksDB's default comparator).
inline int KeyOrder(std::string_view a, std::string_view b) {
  const int c = a.compare(b);
  return (c > 0) - (c < 0);
}

// The same for any values with operator<=>, such as tuples of them.
template <typename T>
int ValueOrder(const T& a, const T& b) {
  const auto c = a <=> b;
  return static_cast<int>(std::is_gt(c)) - static_cast<int>(std::is_lt(c));
}

}  // namespace evstore::fuzz

#endif  // EVSTORE_TESTS_FUZZ_KEY_ORDER_H_
