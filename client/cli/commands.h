// The subcommands of `evstore`. Each lives in its own <name>_command.cc.
#ifndef EVSTORE_CLIENT_CLI_COMMANDS_H_
#define EVSTORE_CLIENT_CLI_COMMANDS_H_

#include <vector>

#include "client/cli/cli_support.h"
#include "client/cli/command_line.h"

namespace evstore::cli {

struct Command {
  CommandSpec spec;
  // Runs the command with parsed flags; returns the process exit code.
  int (*run)(const GlobalOptions& global, const ParsedArgs& args);
};

Command AppendCommand();
Command ReadCommand();
Command GetCommand();
Command TailCommand();
Command CustomerCommand();
Command TokenCommand();
Command BackupCommand();
Command HealthCommand();
Command CheckpointCommand();
Command RetentionCommand();
Command StreamCommand();
Command ExportCommand();
Command ImportCommand();

}  // namespace evstore::cli

#endif  // EVSTORE_CLIENT_CLI_COMMANDS_H_
