// The partition hash is a cross-language contract (evstore.proto, Partition):
// these vectors were computed once with python3-xxhash
// (xxhash.xxh64(name.encode(), seed=0).intdigest()) and must never change.
#include "base/partition.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace evstore {
namespace {

TEST_CASE("the partition hash is XXH64 with seed 0 of the stream name") {
  struct Vector {
    std::string stream;
    uint64_t hash;
    uint32_t of_4;
    uint32_t of_1024;
  };
  const std::vector<Vector> vectors = {
      {"", 0xef46db3751d8e999ULL, 1, 409},
      {"a", 0xd24ec4f1a98c6e5bULL, 3, 603},
      {"contract/1", 0x93f3b59b537484e6ULL, 2, 230},
      {"order-42", 0xb5623ec0a2fa4fceULL, 2, 974},
      {"\xc3\x9c"
       "n\xc3\xaf"
       "c\xc3\xb6"
       "d\xc3\xa9/\xe6\xb5\x81",
       0x8f4dd4ec63b33c63ULL, 3, 99},
      {"abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijklmnopqrstuvwxyz",
       0x314b0f73311d9fd4ULL, 0, 980},
  };
  for (const Vector& v : vectors) {
    INFO("stream \"" << v.stream << "\"");
    CHECK(StreamPartitionHash(v.stream) == v.hash);
    CHECK(PartitionOf(v.stream, 4) == v.of_4);
    CHECK(PartitionOf(v.stream, 1024) == v.of_1024);
    CHECK(PartitionOf(v.stream, 1) == 0);
    CHECK(InPartition(v.stream, Partition{v.of_4, 4}));
    CHECK_FALSE(InPartition(v.stream, Partition{(v.of_4 + 1) % 4, 4}));
    CHECK(InPartition(v.stream, Partition{}));
  }
}

TEST_CASE("a partition is valid when index is below count up to 1024") {
  CHECK(Partition{}.IsValid());
  CHECK(Partition{}.IsWholeFeed());
  CHECK(Partition{0, 1}.IsValid());
  CHECK(Partition{1023, 1024}.IsValid());
  CHECK_FALSE(Partition{1, 0}.IsValid());
  CHECK_FALSE(Partition{4, 4}.IsValid());
  CHECK_FALSE(Partition{0, 1025}.IsValid());
}

}  // namespace
}  // namespace evstore
