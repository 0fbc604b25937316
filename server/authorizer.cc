#include "server/authorizer.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "storage/absl_string_view.h"
#include "storage/access_token.h"

namespace evstore::server {
namespace {

// What a role may do with an operation.
enum class Grant {
  kNever,
  // For every customer when the token lists none, else for the listed ones.
  kListedCustomers,
  // Only for the listed customers; a token that lists none gets nothing (a
  // consumer is bound to exactly one customer, so an empty list is never
  // read as "all").
  kOwnCustomer,
  kAlways,
};

// The whole policy: one row per role, one column per Operation.
struct PolicyRow {
  TokenRole role;
  std::string_view name;
  Grant append, read, get_events, subscribe, admin;
  // Checkpoints are the consumer's own state: its customer's consumer (and
  // admins) may read and write them; producers may not.
  Grant read_checkpoints, write_checkpoints;
  Grant delete_stream;
};
constexpr PolicyRow kPolicy[] = {
    // role               name        Append   Read     GetEvents Subscribe
    // Admin    ReadCheckpoints WriteCheckpoints DeleteStream
    {TokenRole::kAdmin, "admin", Grant::kAlways, Grant::kAlways, Grant::kAlways,
     Grant::kAlways, Grant::kAlways, Grant::kAlways, Grant::kAlways,
     Grant::kAlways},
    {TokenRole::kProducer, "producer", Grant::kListedCustomers,
     Grant::kListedCustomers, Grant::kListedCustomers, Grant::kNever,
     Grant::kNever, Grant::kNever, Grant::kNever, Grant::kListedCustomers},
    {TokenRole::kConsumer, "consumer", Grant::kNever, Grant::kOwnCustomer,
     Grant::kOwnCustomer, Grant::kOwnCustomer, Grant::kNever,
     Grant::kOwnCustomer, Grant::kOwnCustomer, Grant::kNever},
};

Grant GrantOf(const PolicyRow& row, Operation operation) {
  switch (operation) {
    case Operation::kAppend:
      return row.append;
    case Operation::kRead:
      return row.read;
    case Operation::kGetEvents:
      return row.get_events;
    case Operation::kSubscribe:
      return row.subscribe;
    case Operation::kAdmin:
      return row.admin;
    case Operation::kReadCheckpoints:
      return row.read_checkpoints;
    case Operation::kWriteCheckpoints:
      return row.write_checkpoints;
    case Operation::kDeleteStream:
      return row.delete_stream;
  }
  return Grant::kNever;
}

std::string_view OperationName(Operation operation) {
  switch (operation) {
    case Operation::kAppend:
      return "append to";
    case Operation::kRead:
      return "read";
    case Operation::kGetEvents:
      return "get events of";
    case Operation::kSubscribe:
      return "subscribe to";
    case Operation::kAdmin:
      return "use the Admin API";
    case Operation::kReadCheckpoints:
      return "read the checkpoints of";
    case Operation::kWriteCheckpoints:
      return "write the checkpoints of";
    case Operation::kDeleteStream:
      return "delete streams of";
  }
  return "?";
}

constexpr std::string_view kBearer = "Bearer ";

}  // namespace

absl::StatusOr<TokenRecord> Authorizer::Authenticate(
    const std::string_view* authorization) const {
  if (authorization == nullptr) {
    return absl::UnauthenticatedError(
        "missing `authorization: Bearer <token>` metadata (evstore --token, "
        "EVSTORE_TOKEN, or the client's token option)");
  }
  if (!authorization->starts_with(kBearer)) {
    return absl::UnauthenticatedError(
        "the authorization metadata is not `Bearer <token>`");
  }
  const std::string_view token = authorization->substr(kBearer.size());
  if (!LooksLikeAccessToken(token)) {
    return absl::UnauthenticatedError(
        "the bearer token is not an evstore token (evs_...)");
  }
  return Reauthenticate(HashAccessToken(token));
}

absl::StatusOr<TokenRecord> Authorizer::Reauthenticate(
    std::string_view token_hash) const {
  std::optional<TokenRecord> record = tokens_->Lookup(token_hash);
  if (!record) {
    return absl::UnauthenticatedError("unknown or revoked token");
  }
  return *std::move(record);
}

absl::Status Authorizer::Authorize(const TokenRecord& caller,
                                   Operation operation,
                                   std::string_view customer) {
  for (const PolicyRow& row : kPolicy) {
    if (row.role != caller.role) continue;
    const Grant grant = GrantOf(row, operation);
    if (grant == Grant::kAlways) return absl::OkStatus();
    const bool listed =
        std::find(caller.customers.begin(), caller.customers.end(), customer) !=
        caller.customers.end();
    if (grant == Grant::kListedCustomers &&
        (caller.customers.empty() || listed)) {
      return absl::OkStatus();
    }
    if (grant == Grant::kOwnCustomer && listed) return absl::OkStatus();
    if (operation == Operation::kAdmin) {
      return absl::PermissionDeniedError(
          absl::StrCat("a ", AsAbsl(row.name), " token may not ",
                       AsAbsl(OperationName(operation))));
    }
    if (grant == Grant::kNever) {
      return absl::PermissionDeniedError(
          absl::StrCat("a ", AsAbsl(row.name), " token may not ",
                       AsAbsl(OperationName(operation)), " any customer"));
    }
    return absl::PermissionDeniedError(
        absl::StrCat("this ", AsAbsl(row.name), " token may not ",
                     AsAbsl(OperationName(operation)), " customer \"",
                     AsAbsl(customer), "\""));
  }
  return absl::PermissionDeniedError("the token has an unknown role");
}

}  // namespace evstore::server
