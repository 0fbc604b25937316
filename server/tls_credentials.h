// The transport credentials evstored listens with: plaintext, TLS, or TLS
// with client certificates (mutual TLS), from the ServerConfig's PEM files.
#ifndef EVSTORE_SERVER_TLS_CREDENTIALS_H_
#define EVSTORE_SERVER_TLS_CREDENTIALS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"
#include "server/server_config.h"

namespace evstore::server {

// Without TLS files in `config`: insecure (plaintext) credentials.
//
// With --tls_cert and --tls_key: TLS credentials. Both files are read and
// checked here, because gRPC accepts any bytes and would only fail each
// handshake later: the certificate file must hold at least one PEM
// certificate (the server's, then any intermediates), the key file an
// unencrypted PEM private key that matches the first certificate.
//
// With --tls_client_ca as well: every client must present a certificate
// that verifies against a CA certificate of that file, else the handshake
// fails (GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY). The
// file must hold at least one PEM certificate.
//
// Fails with FAILED_PRECONDITION naming the flag and the file when a file
// cannot be read or does not hold what it should.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerConfig& config);

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_TLS_CREDENTIALS_H_
