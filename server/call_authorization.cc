#include "server/call_authorization.h"

#include <iterator>
#include <string_view>

#include "absl/status/status.h"

namespace evstore::server {

absl::StatusOr<TokenRecord> AuthenticateCall(
    const Authorizer& authorizer, const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  const auto [first, last] = metadata.equal_range("authorization");
  if (first == last) return authorizer.Authenticate(nullptr);
  if (std::next(first) != last) {
    // Which one would count is up to proxies and libraries: refuse both.
    return absl::UnauthenticatedError(
        "the call carries more than one authorization metadata");
  }
  const std::string_view value(first->second.data(), first->second.size());
  return authorizer.Authenticate(&value);
}

absl::StatusOr<TokenRecord> AuthorizeCall(
    const Authorizer& authorizer, const grpc::ServerContextBase& context,
    Operation operation, std::string_view customer) {
  absl::StatusOr<TokenRecord> caller = AuthenticateCall(authorizer, context);
  if (!caller.ok()) return caller.status();
  if (absl::Status allowed =
          Authorizer::Authorize(*caller, operation, customer);
      !allowed.ok()) {
    return allowed;
  }
  return caller;
}

}  // namespace evstore::server
