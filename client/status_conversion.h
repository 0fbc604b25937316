// Status conversion between gRPC and Abseil for the evstore client.
//
// The client library reports every failure as an absl::Status whose code is
// the gRPC status code the server (or the gRPC runtime) produced, with the
// same message. The two enums share their numbering, so the mapping is exact
// and loses nothing.
#ifndef EVSTORE_CLIENT_STATUS_CONVERSION_H_
#define EVSTORE_CLIENT_STATUS_CONVERSION_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "evstore/v1/evstore.pb.h"

namespace evstore::client {

// Returns an absl::Status with the code and message of `status`. A code
// outside the range gRPC defines (never produced by a conforming peer)
// becomes UNKNOWN, keeping the message.
[[nodiscard]] absl::Status FromGrpcStatus(const grpc::Status& status);

// Returns the status an AppendSession reply's AppendError stands for: the
// same code and message the request would have failed with on Append. An
// error that carries code 0 (OK) or an undefined code is a protocol violation
// by the server and becomes UNKNOWN, so that an error is never mistaken for
// success.
[[nodiscard]] absl::Status FromAppendError(const v1::AppendError& error);

}  // namespace evstore::client

#endif  // EVSTORE_CLIENT_STATUS_CONVERSION_H_
