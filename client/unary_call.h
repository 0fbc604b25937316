// One unary call of the evstore client with the options' deadline, token and
// (when asked for) retries. Internal to the client library.
#ifndef EVSTORE_CLIENT_UNARY_CALL_H_
#define EVSTORE_CLIENT_UNARY_CALL_H_

#include <grpcpp/client_context.h>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/authorization.h"
#include "client/evstore_client.h"
#include "client/retry_after.h"
#include "client/retry_policy.h"
#include "client/status_conversion.h"

namespace evstore::client {

// Calls `(stub.*method)(context, request, &response)` once, with the
// deadline (measured from now) and the token of `options`. A failure keeps
// the server's retry hint (retry_after.h).
template <typename Response, typename Request, typename Stub, typename Method>
absl::StatusOr<Response> UnaryCallOnce(Stub& stub, Method method,
                                       const ClientOptions& options,
                                       const Request& request) {
  grpc::ClientContext context;
  if (options.default_deadline != absl::InfiniteDuration()) {
    context.set_deadline(
        absl::ToChronoTime(absl::Now() + options.default_deadline));
  }
  AddAuthorization(options.token, context);
  Response response;
  const grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) {
    return WithRetryAfterFromTrailers(FromGrpcStatus(status), context);
  }
  return response;
}

// UnaryCallOnce, retried as `options.retry` says. Only for idempotent calls.
template <typename Response, typename Request, typename Stub, typename Method>
absl::StatusOr<Response> UnaryCallWithRetry(Stub& stub, Method method,
                                            const ClientOptions& options,
                                            const Request& request) {
  return CallWithRetry(options.retry, [&] {
    return UnaryCallOnce<Response>(stub, method, options, request);
  });
}

}  // namespace evstore::client

#endif  // EVSTORE_CLIENT_UNARY_CALL_H_
