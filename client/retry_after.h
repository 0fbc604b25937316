// The retry hint of a RESOURCE_EXHAUSTED failure over a customer's rate
// quota: the server sends it as trailing metadata `retry-after-ms` (Append)
// or AppendError.retry_after_ms (AppendSession); the client keeps it as a
// payload of the absl::Status it returns.
#ifndef EVSTORE_CLIENT_RETRY_AFTER_H_
#define EVSTORE_CLIENT_RETRY_AFTER_H_

#include <grpcpp/client_context.h>

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace evstore::client {

// How long the server asked the caller to wait before retrying, if it did.
std::optional<absl::Duration> RetryAfter(const absl::Status& status);

// `status` carrying a hint of `ms` milliseconds (0: unchanged).
absl::Status WithRetryAfterMs(absl::Status status, uint64_t ms);

// `status` with the hint of the call's trailing metadata, if any (call after
// the call finished).
absl::Status WithRetryAfterFromTrailers(absl::Status status,
                                        const grpc::ClientContext& context);

}  // namespace evstore::client

#endif  // EVSTORE_CLIENT_RETRY_AFTER_H_
