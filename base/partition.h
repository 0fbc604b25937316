// Partitions of a feed: the stable routing of streams to `count` disjoint
// parts, shared by the server's Subscribe filter and the clients. This is
// the contract of evstore.proto's Partition message, and any language can
// compute it:
//
//   partition(stream) = XXH64(UTF-8 bytes of the stream name, seed 0) % count
//
// XXH64 is the 64-bit hash of the xxHash project (libxxhash here;
// python3-xxhash's xxhash.xxh64(name, seed=0).intdigest() in Python). All
// events of a stream land in the same partition, so each partition keeps
// every stream's order; every event lands in exactly one partition.
// docs/partitions.md is the prose version.
#ifndef EVSTORE_BASE_PARTITION_H_
#define EVSTORE_BASE_PARTITION_H_

#include <xxhash.h>

#include <cstdint>
#include <string_view>

namespace evstore {

// The largest partition count a subscription or checkpoint may name.
inline constexpr uint32_t kMaxPartitionCount = 1024;

// One partition: `index` of `count`. count 0 (with index 0) means the whole
// feed, unpartitioned. A valid partition has index < count <= 1024, or is
// the whole feed.
struct Partition {
  uint32_t index = 0;
  uint32_t count = 0;

  bool IsWholeFeed() const { return count == 0; }
  bool IsValid() const {
    return count == 0 ? index == 0
                      : index < count && count <= kMaxPartitionCount;
  }
  friend bool operator==(const Partition&, const Partition&) = default;
};

// XXH64 of the stream name's bytes with seed 0.
inline uint64_t StreamPartitionHash(std::string_view stream) {
  return XXH64(stream.data(), stream.size(), 0);
}

// The partition (0 to count - 1) that `stream` belongs to; count must be
// positive.
inline uint32_t PartitionOf(std::string_view stream, uint32_t count) {
  return static_cast<uint32_t>(StreamPartitionHash(stream) % count);
}

// Whether the events of `stream` belong to `partition` (always, for the
// whole feed).
inline bool InPartition(std::string_view stream, const Partition& partition) {
  return partition.IsWholeFeed() ||
         PartitionOf(stream, partition.count) == partition.index;
}

}  // namespace evstore

#endif  // EVSTORE_BASE_PARTITION_H_
