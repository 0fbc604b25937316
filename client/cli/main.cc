// evstore: the command-line client of the evstore event store.

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/cli/cli_support.h"
#include "client/cli/command_line.h"
#include "client/cli/commands.h"

namespace evstore::cli {
namespace {

std::vector<Command> AllCommands() {
  return {AppendCommand(),    ReadCommand(),       GetCommand(),
          TailCommand(),      CheckpointCommand(), StreamCommand(),
          ExportCommand(),    ImportCommand(),     CustomerCommand(),
          RetentionCommand(), TokenCommand(),      BackupCommand(),
          HealthCommand()};
}

constexpr absl::string_view kExitCodes =
    "Exit codes (errors print \"error: CODE: message\" on stderr):\n"
    "  0 success            1 other server or RPC error   2 usage or input "
    "error\n"
    "  3 not found          4 unauthenticated or permission denied\n"
    "  5 unavailable or deadline exceeded (retry)\n"
    "  6 conflict (expected revision, checkpoint backwards, tombstoned "
    "stream, exists)\n"
    "  7 out of range (beyond the head, below the oldest retained "
    "position)\n";

void PrintOverview(const std::vector<Command>& commands) {
  std::string text =
      "evstore: command-line client of the evstore event store.\n\n"
      "Usage: evstore [global flags] <command> [flags] [arguments]\n\n"
      "Commands:\n";
  for (const Command& command : commands) {
    absl::StrAppend(&text, "  ", command.spec.name,
                    std::string(12 - command.spec.name.size(), ' '),
                    command.spec.summary, "\n");
  }
  absl::StrAppend(&text, "\nGlobal flags:\n", FormatFlags(GlobalFlags()), "\n",
                  kExitCodes,
                  "\nExample:\n"
                  "  export EVSTORE_CUSTOMER=orsted-dk\n"
                  "  evstore append --stream contract/DS000068/nominations "
                  "--type NominationResponseReceived \\\n"
                  "      '{\"contract\":\"DS000068\",\"status\":\"16G\"}'\n"
                  "  evstore tail --from end\n"
                  "\nRun 'evstore <command> --help' for a command's flags and "
                  "examples.\n");
  std::fputs(text.c_str(), stdout);
}

void PrintCommandHelp(const CommandSpec& spec) {
  std::string text =
      absl::StrCat("evstore ", spec.name, ": ", spec.summary,
                   "\n\nUsage: ", spec.usage, "\n\n", spec.description, "\n");
  if (!spec.flags.empty()) {
    absl::StrAppend(&text, "\nFlags:\n", FormatFlags(spec.flags));
  }
  // A command flag of the same name (token's --customer) replaces the
  // global one.
  std::vector<FlagSpec> global_flags;
  for (const FlagSpec& flag : GlobalFlags()) {
    const bool shadowed = std::any_of(
        spec.flags.begin(), spec.flags.end(),
        [&flag](const FlagSpec& own) { return own.name == flag.name; });
    if (!shadowed) global_flags.push_back(flag);
  }
  absl::StrAppend(&text, "\nGlobal flags:\n", FormatFlags(global_flags),
                  "\nExamples:\n");
  for (absl::string_view line : absl::StrSplit(spec.examples, '\n')) {
    absl::StrAppend(&text, "  ", line, "\n");
  }
  absl::StrAppend(&text, "\n", kExitCodes);
  std::fputs(text.c_str(), stdout);
}

int Main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const std::vector<Command> commands = AllCommands();
  const std::optional<std::size_t> command_index =
      FindCommand(args, GlobalFlags());

  if (!command_index.has_value()) {
    // No command: only global flags (e.g. --help) may be present.
    absl::StatusOr<ParsedArgs> parsed =
        ParseArgs(args, GlobalFlags(), /*takes_arguments=*/false);
    if (parsed.ok() && parsed->Has("help")) {
      PrintOverview(commands);
      return kExitOk;
    }
    if (!parsed.ok()) return ReportUsageError("", parsed.status().message());
    return ReportUsageError("", "no command given");
  }

  absl::string_view name = args[*command_index];
  if (name == "help") {
    // `evstore help [command]`
    if (*command_index + 1 < args.size()) {
      for (const Command& command : commands) {
        if (command.spec.name == args[*command_index + 1]) {
          PrintCommandHelp(command.spec);
          return kExitOk;
        }
      }
      return ReportUsageError(
          "", absl::StrCat("unknown command '", args[*command_index + 1], "'"));
    }
    PrintOverview(commands);
    return kExitOk;
  }
  const Command* command = nullptr;
  for (const Command& candidate : commands) {
    if (candidate.spec.name == name) command = &candidate;
  }
  if (command == nullptr) {
    return ReportUsageError("", absl::StrCat("unknown command '", name, "'"));
  }

  std::vector<std::string> rest(args.begin(), args.begin() + *command_index);
  rest.insert(rest.end(), args.begin() + *command_index + 1, args.end());
  std::vector<FlagSpec> flags = command->spec.flags;
  flags.insert(flags.end(), GlobalFlags().begin(), GlobalFlags().end());
  absl::StatusOr<ParsedArgs> parsed =
      ParseArgs(rest, flags, command->spec.takes_arguments);
  if (parsed.ok() && parsed->Has("help")) {
    PrintCommandHelp(command->spec);
    return kExitOk;
  }
  if (!parsed.ok()) {
    return ReportUsageError(name, parsed.status().message());
  }
  absl::StatusOr<GlobalOptions> global =
      ResolveGlobalOptions(*parsed, command->spec.needs_customer);
  if (!global.ok()) return ReportUsageError(name, global.status().message());
  return command->run(*global, *parsed);
}

}  // namespace
}  // namespace evstore::cli

int main(int argc, char** argv) { return evstore::cli::Main(argc, argv); }
