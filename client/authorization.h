// The `authorization` metadata every evstore call carries.
#ifndef EVSTORE_CLIENT_AUTHORIZATION_H_
#define EVSTORE_CLIENT_AUTHORIZATION_H_

#include <grpcpp/client_context.h>

#include <string>

namespace evstore::client {

// Adds `authorization: Bearer <token>` to `context`; nothing when `token`
// is empty (the server then answers UNAUTHENTICATED).
inline void AddAuthorization(const std::string& token,
                             grpc::ClientContext& context) {
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
}

}  // namespace evstore::client

#endif  // EVSTORE_CLIENT_AUTHORIZATION_H_
