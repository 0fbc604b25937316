#include "client/cli/cli_support.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace evstore::cli {
namespace {

std::string FromEnvironment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

absl::StatusOr<std::string> ResolveToken(const ParsedArgs& args) {
  if (std::optional<std::string> token = args.Value("token")) return *token;
  if (std::string token = FromEnvironment("EVSTORE_TOKEN"); !token.empty()) {
    return token;
  }
  std::optional<std::string> data_dir = args.Value("data_dir");
  if (!data_dir) return std::string();
  const std::string path = *data_dir + "/admin.token";
  std::ifstream file(path);
  std::string token;
  if (!file || !std::getline(file, token) || token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--data_dir: cannot read the admin token from ", path,
        " (it is written by evstored at the first start of its data "
        "directory and readable only by its owner)"));
  }
  return token;
}

// The TLS options of --tls, --tls_ca, --tls_cert and --tls_key (or their
// variables); nullopt when none is given.
absl::StatusOr<std::optional<client::ClientTlsOptions>> ResolveTls(
    const ParsedArgs& args) {
  client::ClientTlsOptions tls;
  tls.ca_file =
      args.Value("tls_ca").value_or(FromEnvironment("EVSTORE_TLS_CA"));
  tls.cert_file = args.Value("tls_cert")
                      .value_or(FromEnvironment("EVSTORE_TLS_CLIENT_CERT"));
  tls.key_file =
      args.Value("tls_key").value_or(FromEnvironment("EVSTORE_TLS_CLIENT_KEY"));
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert and --tls_key go together: a client certificate needs "
        "its private key");
  }
  if (!args.Has("tls") && tls.ca_file.empty() && tls.cert_file.empty()) {
    return std::nullopt;
  }
  return tls;
}

// The client options of both clients (Client, AdminClient).
client::ClientOptions ClientOptionsFor(const GlobalOptions& options) {
  return {.address = options.address,
          .default_deadline = options.timeout,
          .token = options.token,
          .tls = options.tls};
}

}  // namespace

const std::vector<FlagSpec>& GlobalFlags() {
  static const std::vector<FlagSpec> kFlags = {
      {.name = "address",
       .value_name = "HOST:PORT",
       .help =
           "Server address (env EVSTORE_ADDRESS; default 127.0.0.1:50051)."},
      {.name = "customer",
       .value_name = "ID",
       .help = "Customer id, e.g. orsted-dk (env EVSTORE_CUSTOMER; required)."},
      {.name = "token",
       .value_name = "TOKEN",
       .help = "Access token, evs_... (env EVSTORE_TOKEN; else the admin\n"
               "token of --data_dir)."},
      {.name = "data_dir",
       .value_name = "DIR",
       .help = "Data directory of a local evstored: use its admin.token\n"
               "when neither --token nor EVSTORE_TOKEN is set."},
      {.name = "tls",
       .help = "Connect with TLS, verifying the server's certificate against\n"
               "the system's CA certificates (implied by --tls_ca and\n"
               "--tls_cert)."},
      {.name = "tls_ca",
       .value_name = "FILE",
       .help = "TLS: PEM file of the CA that signed the server's certificate\n"
               "(env EVSTORE_TLS_CA)."},
      {.name = "tls_cert",
       .value_name = "FILE",
       .help = "TLS: PEM file of the client certificate, for a server that\n"
               "requires one (env EVSTORE_TLS_CLIENT_CERT)."},
      {.name = "tls_key",
       .value_name = "FILE",
       .help = "TLS: PEM file of the private key of --tls_cert\n"
               "(env EVSTORE_TLS_CLIENT_KEY)."},
      {.name = "timeout",
       .value_name = "DURATION",
       .help = "Deadline of each append, read or get call, e.g. 10s, 500ms,\n"
               "inf (default 30s). `tail` runs without deadline."},
      {.name = "help", .help = "Show help and exit."},
  };
  return kFlags;
}

absl::StatusOr<GlobalOptions> ResolveGlobalOptions(const ParsedArgs& args,
                                                   bool require_customer) {
  GlobalOptions options;
  options.address =
      args.Value("address").value_or(FromEnvironment("EVSTORE_ADDRESS"));
  if (options.address.empty()) options.address = std::string(kDefaultAddress);
  options.customer =
      args.Value("customer").value_or(FromEnvironment("EVSTORE_CUSTOMER"));
  if (options.customer.empty() && require_customer) {
    return absl::InvalidArgumentError(
        "no customer: pass --customer or set EVSTORE_CUSTOMER");
  }
  absl::StatusOr<std::string> token = ResolveToken(args);
  if (!token.ok()) return token.status();
  options.token = *std::move(token);
  absl::StatusOr<std::optional<client::ClientTlsOptions>> tls =
      ResolveTls(args);
  if (!tls.ok()) return tls.status();
  options.tls = *std::move(tls);
  options.timeout = absl::Seconds(30);
  if (std::optional<std::string> timeout = args.Value("timeout")) {
    if (!absl::ParseDuration(*timeout, &options.timeout) ||
        options.timeout <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--timeout: '", *timeout, "' is not a positive duration (e.g. 10s)"));
    }
  }
  return options;
}

absl::StatusOr<std::unique_ptr<client::Client>> ConnectClient(
    const GlobalOptions& options, client::RetryPolicy retry) {
  client::ClientOptions client_options = ClientOptionsFor(options);
  client_options.retry = retry;
  return client::Client::Connect(client_options);
}

absl::StatusOr<std::unique_ptr<client::AdminClient>> ConnectAdminClient(
    const GlobalOptions& options) {
  return client::AdminClient::Connect(ClientOptionsFor(options));
}

absl::StatusOr<std::uint64_t> ParseUint64(absl::string_view flag,
                                          absl::string_view text) {
  std::uint64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || absl::StartsWith(text, "-") ||
      absl::StartsWith(text, "+")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, ": '", text, "' is not a non-negative integer"));
  }
  return value;
}

std::vector<std::string> SplitListValues(
    const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& value : values) {
    for (absl::string_view part : absl::StrSplit(value, ',')) {
      part = absl::StripAsciiWhitespace(part);
      if (!part.empty()) out.emplace_back(part);
    }
  }
  return out;
}

ExitCode ExitCodeFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return kExitPermission;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnavailable;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
      return kExitConflict;
    case absl::StatusCode::kOutOfRange:
      return kExitOutOfRange;
    default:
      return kExitRpcError;
  }
}

int ReportRpcError(const absl::Status& status) {
  std::fprintf(stderr, "error: %s: %s\n",
               absl::StatusCodeToString(status.code()).c_str(),
               std::string(status.message()).c_str());
  const ExitCode code = ExitCodeFor(status.code());
  return code == kExitOk ? kExitRpcError : code;
}

int ReportUsageError(absl::string_view command, absl::string_view message) {
  std::fprintf(stderr, "error: %.*s\n", static_cast<int>(message.size()),
               message.data());
  if (command.empty()) {
    std::fprintf(stderr, "Run 'evstore --help' for usage.\n");
  } else {
    std::fprintf(stderr, "Run 'evstore %.*s --help' for usage.\n",
                 static_cast<int>(command.size()), command.data());
  }
  return kExitUsage;
}

void WriteLine(absl::string_view line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
}

}  // namespace evstore::cli
