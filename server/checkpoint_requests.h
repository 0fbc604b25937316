// What the checkpoint RPCs (CommitCheckpoint, GetCheckpoint,
// ListCheckpoints, DeleteCheckpoint) and Subscribe's `partition` check and
// convert before they touch the event log. No gRPC calls, no I/O. Errors
// are INVALID_ARGUMENT naming the field.
#ifndef EVSTORE_SERVER_CHECKPOINT_REQUESTS_H_
#define EVSTORE_SERVER_CHECKPOINT_REQUESTS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "evstore/v1/evstore.pb.h"
#include "storage/checkpoint.h"

namespace evstore::server {

// `partition` as the engine's Partition: index < count <= 1024, or both 0
// (the whole feed). `field` names it in errors ("partition").
absl::StatusOr<Partition> FromProto(const v1::Partition& partition,
                                    std::string_view field = "partition");

// A validated CommitCheckpointRequest.
struct CommitCheckpointParams {
  std::string customer;
  CheckpointCommit commit;
};
absl::StatusOr<CommitCheckpointParams> ValidateCommitCheckpointRequest(
    const v1::CommitCheckpointRequest& request);

// A validated GetCheckpointRequest or DeleteCheckpointRequest.
struct CheckpointParams {
  std::string customer;
  CheckpointId id;
};
absl::StatusOr<CheckpointParams> ValidateGetCheckpointRequest(
    const v1::GetCheckpointRequest& request);
absl::StatusOr<CheckpointParams> ValidateDeleteCheckpointRequest(
    const v1::DeleteCheckpointRequest& request);

// A validated ListCheckpointsRequest: page_size 0 means 100, at most 1000.
struct ListCheckpointsParams {
  std::string customer;
  std::string name_prefix;
  // Where the page starts: after this checkpoint (from the page token).
  std::optional<CheckpointId> after;
  size_t page_size = 0;
};
absl::StatusOr<ListCheckpointsParams> ValidateListCheckpointsRequest(
    const v1::ListCheckpointsRequest& request);

// The next_page_token of a page whose last checkpoint is `last`: opaque to
// clients (base64url of the id).
std::string CheckpointPageToken(const CheckpointId& last);

// Fills `out` (which should be empty); a whole-feed checkpoint has no
// partition.
void ToProto(const Checkpoint& checkpoint, v1::Checkpoint* out);

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_CHECKPOINT_REQUESTS_H_
