// FuzzInput: structured values taken from the front of a fuzz input.
//
// A small stand-in for LLVM's FuzzedDataProvider, so that the fuzz targets
// also build with gcc for the replay tests (which must not depend on clang's
// headers). Every getter is total: past the end of the input it returns
// zeros and empty strings, so any byte string is a valid input.
#ifndef EVSTORE_TESTS_FUZZ_FUZZ_INPUT_H_
#define EVSTORE_TESTS_FUZZ_FUZZ_INPUT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace evstore::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  uint8_t Byte() {
    if (rest_.empty()) return 0;
    const auto byte = static_cast<uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return byte;
  }
  bool Bool() { return (Byte() & 1) != 0; }

  // Big-endian, so that a seed's bytes read like the keys they make.
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | Byte();
    return v;
  }
  uint64_t U64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | Byte();
    return v;
  }

  // A string of up to `max_size` bytes, preceded by its length byte (taken
  // modulo max_size + 1).
  std::string String(size_t max_size) {
    const size_t size = Byte() % (max_size + 1);
    return Bytes(size);
  }
  // The next `size` bytes (fewer at the end of the input).
  std::string Bytes(size_t size) {
    const size_t n = std::min(size, rest_.size());
    std::string out(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return out;
  }
  std::string Rest() { return Bytes(rest_.size()); }

  bool empty() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace evstore::fuzz

#endif  // EVSTORE_TESTS_FUZZ_FUZZ_INPUT_H_
