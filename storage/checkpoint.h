// Checkpoints: named consumer positions of a customer's feed, per
// partition (see checkpoint_store.h for how they are stored). The values and
// the naming rule, without RocksDB, so that request validation can use them.
#ifndef EVSTORE_STORAGE_CHECKPOINT_H_
#define EVSTORE_STORAGE_CHECKPOINT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "base/partition.h"
#include "storage/types.h"

namespace evstore {

// A checkpoint name: 1 to 128 characters of [A-Za-z0-9-_.:/].
inline constexpr size_t kMaxCheckpointNameBytes = 128;

// OK for a valid checkpoint name; INVALID_ARGUMENT naming `field` otherwise.
absl::Status ValidateCheckpointName(std::string_view name,
                                    std::string_view field = "name");

// Which checkpoint: its name and the partition it belongs to (the whole feed
// when partition.count is 0).
struct CheckpointId {
  std::string name;
  Partition partition;
  friend bool operator==(const CheckpointId&, const CheckpointId&) = default;
};

// How messages name a checkpoint: `"loader"` or `"loader" (partition 1 of
// 4)`.
std::string DescribeCheckpoint(const CheckpointId& id);

// A stored checkpoint: every event up to and including `position` has been
// processed by the consumer `id` names.
struct Checkpoint {
  CheckpointId id;
  FeedPosition position;
  int64_t committed_at_micros = 0;  // Unix time, microseconds.
};

// A request to store a checkpoint.
struct CheckpointCommit {
  CheckpointId id;
  FeedPosition position;
  // Allow a position below the stored one.
  bool allow_backwards = false;
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_CHECKPOINT_H_
