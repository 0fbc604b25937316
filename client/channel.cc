#include "client/channel.h"

#include <grpc/grpc.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace evstore::client {
namespace {

// gRPC takes message size limits as int; larger requests are clamped.
int MessageSizeLimit(std::size_t bytes) {
  constexpr std::size_t kMax = static_cast<std::size_t>(INT32_MAX);
  return static_cast<int>(bytes < kMax ? bytes : kMax);
}

// A duration as a gRPC channel argument in milliseconds, at least 1.
int MillisecondsArgument(absl::Duration duration) {
  const int64_t ms = absl::ToInt64Milliseconds(duration);
  return static_cast<int>(std::clamp<int64_t>(ms, 1, INT32_MAX));
}

// The contents of the PEM file `path`, named `option` in errors.
absl::StatusOr<std::string> ReadPemFile(absl::string_view option,
                                        const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS ", option, " \"", path,
                     "\" cannot be opened: ", std::strerror(errno)));
  }
  std::stringstream contents;
  contents << in.rdbuf();
  std::string text = std::move(contents).str();
  if (in.bad() || !absl::StrContains(text, "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TLS ", option, " \"", path, "\" holds no PEM data (-----BEGIN ...)"));
  }
  return text;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(
    const ClientOptions& options) {
  if (!options.tls.has_value()) return grpc::InsecureChannelCredentials();
  const ClientTlsOptions& tls = *options.tls;
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        "TLS client certificate and key go together: set both cert_file and "
        "key_file, or neither");
  }
  grpc::SslCredentialsOptions ssl;
  if (!tls.ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPemFile("CA file", tls.ca_file);
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *std::move(ca);
  }
  if (!tls.cert_file.empty()) {
    absl::StatusOr<std::string> cert =
        ReadPemFile("client certificate file", tls.cert_file);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key =
        ReadPemFile("client key file", tls.key_file);
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *std::move(cert);
    ssl.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const ClientOptions& options) {
  if (options.address.empty()) {
    return absl::InvalidArgumentError("client options: address is empty");
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      Credentials(options);
  if (!credentials.ok()) return credentials.status();
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(
      MessageSizeLimit(options.max_message_bytes));
  arguments.SetMaxSendMessageSize(MessageSizeLimit(options.max_message_bytes));
  if (options.keepalive_time != absl::InfiniteDuration()) {
    arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS,
                     MillisecondsArgument(options.keepalive_time));
    arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                     MillisecondsArgument(options.keepalive_timeout));
    arguments.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    // Pings between calls carry no data; gRPC would otherwise stop after 2.
    arguments.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  }
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
                   MillisecondsArgument(options.max_reconnect_backoff));
  arguments.SetInt(
      GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
      std::min(1000, MillisecondsArgument(options.max_reconnect_backoff)));
  if (options.tls.has_value() && !options.tls->server_name.empty()) {
    arguments.SetSslTargetNameOverride(options.tls->server_name);
  }
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options.address, *credentials, arguments);
  if (channel == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create a channel to ", options.address));
  }
  if (options.connect_timeout > absl::ZeroDuration() &&
      !channel->WaitForConnected(
          absl::ToChronoTime(absl::Now() + options.connect_timeout))) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", options.address, " within ",
                     absl::FormatDuration(options.connect_timeout)));
  }
  return channel;
}

}  // namespace evstore::client
