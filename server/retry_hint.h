// The retry hint of a RESOURCE_EXHAUSTED error: how long the caller should
// wait before trying again. Carried inside the server as a payload of the
// absl::Status and sent to the client as the trailing metadata entry
// `retry-after-ms` (unary calls, Subscribe) or as
// AppendError.retry_after_ms (AppendSession).
#ifndef EVSTORE_SERVER_RETRY_HINT_H_
#define EVSTORE_SERVER_RETRY_HINT_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"

namespace evstore::server {

// The trailing metadata key (decimal milliseconds, at least 1).
inline constexpr char kRetryAfterMetadataKey[] = "retry-after-ms";

// `status` with a retry hint of `wait` (rounded up to whole milliseconds,
// at least 1).
absl::Status WithRetryAfter(absl::Status status, absl::Duration wait);

// The hint in milliseconds, if `status` has one.
std::optional<int64_t> RetryAfterMs(const absl::Status& status);

// Adds the `retry-after-ms` trailer to the call when `status` has a hint.
// Call before the call is finished.
void AddRetryAfterTrailer(const absl::Status& status,
                          grpc::ServerContextBase* context);

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_RETRY_HINT_H_
