// What every `evstore` command shares: global options, connecting, value
// parsing, error reporting and writing output lines.
#ifndef EVSTORE_CLIENT_CLI_CLI_SUPPORT_H_
#define EVSTORE_CLIENT_CLI_CLI_SUPPORT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/admin_client.h"
#include "client/cli/command_line.h"
#include "client/evstore_client.h"

namespace evstore::cli {

inline constexpr absl::string_view kDefaultAddress = "127.0.0.1:50051";

struct GlobalOptions {
  std::string address;
  std::string customer;
  // The access token sent with every call (may be empty).
  std::string token;
  absl::Duration timeout;  // Deadline of each unary or Read call.
  // nullopt: plaintext.
  std::optional<client::ClientTlsOptions> tls;
};

// The flags every command accepts (including --help).
const std::vector<FlagSpec>& GlobalFlags();

// Resolves the global flags, falling back to EVSTORE_ADDRESS and
// EVSTORE_CUSTOMER. The token is --token, else EVSTORE_TOKEN, else the
// first line of <--data_dir>/admin.token (a local server's bootstrap admin
// token) when --data_dir is given, else none. TLS is on when --tls,
// --tls_ca (EVSTORE_TLS_CA), or --tls_cert and --tls_key
// (EVSTORE_TLS_CLIENT_CERT, EVSTORE_TLS_CLIENT_KEY) are given. Fails with
// INVALID_ARGUMENT when no customer is given (and `require_customer`),
// --timeout does not parse, --data_dir has no readable admin.token, or only
// one of the client certificate and key is given.
absl::StatusOr<GlobalOptions> ResolveGlobalOptions(const ParsedArgs& args,
                                                   bool require_customer);

// Creates a client for the resolved options (without touching the network).
// `retry` applies to Append and the checkpoint calls (see
// ClientOptions::retry); commands that are safe and expected to ride out a
// restart (tail's commits, import, checkpoint) pass RetryPolicy::Standard().
absl::StatusOr<std::unique_ptr<client::Client>> ConnectClient(
    const GlobalOptions& options,
    client::RetryPolicy retry = client::RetryPolicy::None());

// Creates an Admin API client for the resolved options (without touching
// the network).
absl::StatusOr<std::unique_ptr<client::AdminClient>> ConnectAdminClient(
    const GlobalOptions& options);

// Parses a decimal uint64 value of --`flag`; INVALID_ARGUMENT otherwise.
absl::StatusOr<std::uint64_t> ParseUint64(absl::string_view flag,
                                          absl::string_view text);

// Splits repeated flag values that may also be comma-separated
// ("--position 1,2 --position 3") into single values.
std::vector<std::string> SplitListValues(
    const std::vector<std::string>& values);

// Prints "error: <CODE>: <message>" to stderr; returns ExitCodeFor() the
// status code (kExitRpcError for codes without an exit code of their own).
int ReportRpcError(const absl::Status& status);

// Prints "error: <message>" and a hint to run `evstore <command> --help` to
// stderr; returns kExitUsage.
int ReportUsageError(absl::string_view command, absl::string_view message);

// Writes `line` and a newline to stdout.
void WriteLine(absl::string_view line);

}  // namespace evstore::cli

#endif  // EVSTORE_CLIENT_CLI_CLI_SUPPORT_H_
