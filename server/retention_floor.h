// The answer to a Read or Subscribe that starts below a customer's first
// retained position (retention dropped it): OUT_OF_RANGE, naming the first
// available position in the message and in the trailing metadata
// `first-available-position` (proto/evstore/v1/evstore.proto).
#ifndef EVSTORE_SERVER_RETENTION_FLOOR_H_
#define EVSTORE_SERVER_RETENTION_FLOOR_H_

#include <string_view>

#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "storage/types.h"

namespace evstore::server {

inline constexpr char kFirstAvailablePositionTrailer[] =
    "first-available-position";

// Adds the trailer to `context` (call before Finish) and returns the status.
// `what` names what was asked ("from position 3", "after_position 2").
grpc::Status BelowRetentionFloor(grpc::CallbackServerContext* context,
                                 std::string_view customer,
                                 std::string_view what,
                                 FeedPosition first_available);

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_RETENTION_FLOOR_H_
