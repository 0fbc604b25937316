// Authorizer: who may call what. Every handler calls it first, before it
// looks anything up, so that a denied caller learns nothing about whether a
// customer, stream or event exists.
#ifndef EVSTORE_SERVER_AUTHORIZER_H_
#define EVSTORE_SERVER_AUTHORIZER_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/token_store.h"

namespace evstore::server {

// What a call does, for authorization. AppendSession is authorized per
// append inside the session, as kAppend. kReadCheckpoints: GetCheckpoint and
// ListCheckpoints; kWriteCheckpoints: CommitCheckpoint and DeleteCheckpoint;
// kDeleteStream: DeleteStream.
enum class Operation {
  kAppend,
  kRead,
  kGetEvents,
  kSubscribe,
  kAdmin,
  kReadCheckpoints,
  kWriteCheckpoints,
  kDeleteStream,
};

class Authorizer {
 public:
  // `tokens` must outlive the authorizer.
  explicit Authorizer(const TokenStore* tokens) : tokens_(tokens) {}

  // The caller's token, from the value of the `authorization` metadata
  // (nullptr: absent). UNAUTHENTICATED when it is absent, not
  // "Bearer <token>", or names no live token; the message never repeats
  // the token.
  absl::StatusOr<TokenRecord> Authenticate(
      const std::string_view* authorization) const;

  // The token whose hash is `token_hash` (TokenRecord::hash of an earlier
  // Authenticate), as it is now: UNAUTHENTICATED once it is revoked. Memory
  // only, cheap enough to repeat per message or per timer tick.
  absl::StatusOr<TokenRecord> Reauthenticate(std::string_view token_hash) const;

  // OK when `caller` may do `operation` on `customer` (ignored for kAdmin);
  // PERMISSION_DENIED otherwise, with a message that depends only on the
  // caller, the operation and the customer name as given (never on what
  // exists). The policy is the table in authorizer.cc.
  static absl::Status Authorize(const TokenRecord& caller, Operation operation,
                                std::string_view customer);

 private:
  const TokenStore* const tokens_;
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_AUTHORIZER_H_
