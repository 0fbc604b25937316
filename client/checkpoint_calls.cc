// Client's checkpoint and stream-deletion calls.
#include "client/evstore_client.h"
#include "client/unary_call.h"

namespace evstore::client {

absl::StatusOr<v1::CommitCheckpointResponse> Client::CommitCheckpoint(
    const v1::CommitCheckpointRequest& request) const {
  return UnaryCallWithRetry<v1::CommitCheckpointResponse>(
      *stub_, &v1::EventStoreService::Stub::CommitCheckpoint, options_,
      request);
}

absl::StatusOr<v1::GetCheckpointResponse> Client::GetCheckpoint(
    const v1::GetCheckpointRequest& request) const {
  return UnaryCallWithRetry<v1::GetCheckpointResponse>(
      *stub_, &v1::EventStoreService::Stub::GetCheckpoint, options_, request);
}

absl::StatusOr<v1::ListCheckpointsResponse> Client::ListCheckpoints(
    const v1::ListCheckpointsRequest& request) const {
  return UnaryCallWithRetry<v1::ListCheckpointsResponse>(
      *stub_, &v1::EventStoreService::Stub::ListCheckpoints, options_, request);
}

absl::StatusOr<v1::DeleteCheckpointResponse> Client::DeleteCheckpoint(
    const v1::DeleteCheckpointRequest& request) const {
  return UnaryCallOnce<v1::DeleteCheckpointResponse>(
      *stub_, &v1::EventStoreService::Stub::DeleteCheckpoint, options_,
      request);
}

absl::StatusOr<v1::DeleteStreamResponse> Client::DeleteStream(
    const v1::DeleteStreamRequest& request) const {
  return UnaryCallOnce<v1::DeleteStreamResponse>(
      *stub_, &v1::EventStoreService::Stub::DeleteStream, options_, request);
}

}  // namespace evstore::client
