// The boundary between the engine's absl::Status and gRPC's grpc::Status.
// This is the only place where one becomes the other.
#ifndef EVSTORE_SERVER_STATUS_MAPPING_H_
#define EVSTORE_SERVER_STATUS_MAPPING_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace evstore::server {

// Returns the gRPC status with the same code and the same message. The two
// code spaces are numerically identical (both follow google.rpc.Code); a code
// outside them (never produced by this codebase) becomes UNKNOWN with the
// message kept. DATA_LOSS and INTERNAL are also logged as errors: they are
// what the operator must hear of (damaged data, bugs).
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_STATUS_MAPPING_H_
