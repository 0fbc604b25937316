// The one place where evstore clients (Client, and any other client of an
// evstore service) create their gRPC channel: address, message size limits,
// and plaintext or TLS credentials from ClientOptions.
#ifndef EVSTORE_CLIENT_CHANNEL_H_
#define EVSTORE_CLIENT_CHANNEL_H_

#include <grpcpp/channel.h>

#include <memory>

#include "absl/status/statusor.h"
#include "client/evstore_client.h"

namespace evstore::client {

// A channel to `options.address`: plaintext when `options.tls` is nullopt,
// else TLS verifying the server's certificate against `tls->ca_file` (or the
// system's roots) and presenting `tls->cert_file` when set. The access token
// is not part of the channel: each call adds it (client/authorization.h).
//
// Fails with INVALID_ARGUMENT for an empty address, a TLS file that cannot be
// read or holds no PEM block (naming the option and the file), or only one
// of cert_file and key_file. When `options.connect_timeout` is positive,
// waits that long for the connection (TLS handshake included) and fails with
// UNAVAILABLE otherwise.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const ClientOptions& options);

}  // namespace evstore::client

#endif  // EVSTORE_CLIENT_CHANNEL_H_
