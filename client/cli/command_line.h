// A small command-line parser for `evstore <command> [flags] [arguments]`.
//
// Flags are written `--name=value` or `--name value`; boolean flags take no
// value. Dashes and underscores in a flag's name are interchangeable
// (`--max-count` is `--max_count`, `--tls-ca` is `--tls_ca`). Global flags may
// appear anywhere, before or after the command name.
// `--` ends the flags: everything after it is an argument, even when it
// starts with "--". `-h` is accepted as `--help`.
#ifndef EVSTORE_CLIENT_CLI_COMMAND_LINE_H_
#define EVSTORE_CLIENT_CLI_COMMAND_LINE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace evstore::cli {

// The process exit codes of `evstore`, the same for every command (listed in
// `evstore --help` and docs/cli.md). Scripts may rely on them.
enum ExitCode : int {
  kExitOk = 0,
  kExitRpcError = 1,  // The server or the RPC failed (any other code).
  kExitUsage = 2,     // Bad flags, arguments or input.
  // NOT_FOUND: a customer, stream or checkpoint does not exist; `get`: some
  // requested events do not exist.
  kExitNotFound = 3,
  kExitPermission = 4,   // UNAUTHENTICATED or PERMISSION_DENIED.
  kExitUnavailable = 5,  // UNAVAILABLE or DEADLINE_EXCEEDED: try again.
  // FAILED_PRECONDITION or ALREADY_EXISTS: an expected revision, a
  // checkpoint moving backwards, a tombstoned stream, an existing name.
  kExitConflict = 6,
  // OUT_OF_RANGE: a position beyond the head or below the oldest retained
  // one.
  kExitOutOfRange = 7,
};

// The exit code for a failed RPC with `code`.
ExitCode ExitCodeFor(absl::StatusCode code);

struct FlagSpec {
  absl::string_view name = {};        // Without the leading "--".
  absl::string_view value_name = {};  // Shown in help; empty for booleans.
  absl::string_view help = {};        // May span lines ('\n').
  bool repeatable = false;
};

struct CommandSpec {
  absl::string_view name = {};
  absl::string_view summary = {};      // One line, for `evstore --help`.
  absl::string_view usage = {};        // E.g. "evstore read [flags]".
  absl::string_view description = {};  // Paragraphs explaining the command.
  absl::string_view examples = {};     // One example per line.
  std::vector<FlagSpec> flags = {};
  bool takes_arguments = false;  // Whether positional arguments are allowed.
  // Whether the command works on one customer (--customer or
  // EVSTORE_CUSTOMER is then required).
  bool needs_customer = true;
};

// The flags and arguments given to one command.
class ParsedArgs {
 public:
  // Whether the flag was given at least once.
  bool Has(absl::string_view name) const;
  // The flag's last value, if given.
  std::optional<std::string> Value(absl::string_view name) const;
  // All values of the flag in command-line order (empty if not given).
  const std::vector<std::string>& Values(absl::string_view name) const;
  const std::vector<std::string>& arguments() const { return arguments_; }

 private:
  friend absl::StatusOr<ParsedArgs> ParseArgs(
      absl::Span<const std::string> args, absl::Span<const FlagSpec> flags,
      bool takes_arguments);

  // Boolean flags are stored with an empty value.
  absl::flat_hash_map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> arguments_;
};

// Parses `args` against `flags`. Fails with INVALID_ARGUMENT for an unknown
// flag, a missing or unexpected value, a non-repeatable flag given twice, or
// arguments where none are allowed.
absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string> args,
                                     absl::Span<const FlagSpec> flags,
                                     bool takes_arguments);

// Finds the command name in a full command line (without argv[0]): the first
// argument that is neither a flag nor the value of a global flag. Returns the
// index of the command name, or nullopt if there is none.
std::optional<std::size_t> FindCommand(absl::Span<const std::string> args,
                                       absl::Span<const FlagSpec> global_flags);

// Formats a flag table for help texts.
std::string FormatFlags(absl::Span<const FlagSpec> flags);

}  // namespace evstore::cli

#endif  // EVSTORE_CLIENT_CLI_COMMAND_LINE_H_
