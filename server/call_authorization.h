// The one place where an EventStoreService call is authenticated and
// authorized: every handler calls AuthorizeCall first, before it validates
// or looks up anything, so that a caller that may not touch a customer
// learns nothing about what exists there.
#ifndef EVSTORE_SERVER_CALL_AUTHORIZATION_H_
#define EVSTORE_SERVER_CALL_AUTHORIZATION_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"
#include "server/authorizer.h"
#include "storage/token_store.h"

namespace evstore::server {

// Authenticates the caller of `context` from its `authorization` metadata.
// UNAUTHENTICATED when the metadata is absent, given more than once, or not
// a live bearer token (see Authorizer::Authenticate).
absl::StatusOr<TokenRecord> AuthenticateCall(
    const Authorizer& authorizer, const grpc::ServerContextBase& context);

// AuthenticateCall, then Authorizer::Authorize(caller, operation, customer):
// the caller's token, UNAUTHENTICATED or PERMISSION_DENIED. The outcome
// depends only on the token and on `customer` as given.
absl::StatusOr<TokenRecord> AuthorizeCall(
    const Authorizer& authorizer, const grpc::ServerContextBase& context,
    Operation operation, std::string_view customer);

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_CALL_AUTHORIZATION_H_
