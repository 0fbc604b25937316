// evstore checkpoint: commit, get, list and delete named consumer positions
// stored by the server (CommitCheckpoint, GetCheckpoint, ListCheckpoints,
// DeleteCheckpoint).

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli/checkpoint_json.h"
#include "client/cli/commands.h"
#include "client/cli/consumer_flags.h"
#include "client/cli/json_object.h"
#include "client/cli/output_format.h"

namespace evstore::cli {
namespace {

constexpr absl::string_view kName = "checkpoint";

// The checkpoint a get, commit or delete names: NAME and --partition.
struct CheckpointKey {
  std::string name;
  v1::Partition partition;  // count 0: the whole feed.
};

absl::StatusOr<CheckpointKey> KeyFromArgs(const ParsedArgs& args,
                                          size_t expected_arguments) {
  const std::vector<std::string>& arguments = args.arguments();
  if (arguments.size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("give the checkpoint name: evstore checkpoint ",
                     arguments[0], " NAME"));
  }
  if (arguments.size() > expected_arguments) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unexpected argument '", arguments[expected_arguments], "'"));
  }
  CheckpointKey key;
  key.name = arguments[1];
  if (std::optional<std::string> text = args.Value("partition")) {
    absl::StatusOr<v1::Partition> partition = ParsePartition(*text);
    if (!partition.ok()) return partition.status();
    key.partition = *partition;
  }
  return key;
}

template <typename Request>
void SetKey(const GlobalOptions& global, const CheckpointKey& key,
            Request& request) {
  request.set_customer(global.customer);
  request.set_name(key.name);
  if (key.partition.count() != 0) *request.mutable_partition() = key.partition;
}

void PrintCheckpoints(const std::vector<v1::Checkpoint>& checkpoints,
                      OutputFormat format) {
  if (format == OutputFormat::kJson) {
    for (const v1::Checkpoint& checkpoint : checkpoints) {
      WriteLine(CheckpointToJson(checkpoint));
    }
    return;
  }
  TextTable table(CheckpointTableHeader());
  for (const v1::Checkpoint& checkpoint : checkpoints) {
    table.AddRow(CheckpointTableRow(checkpoint));
  }
  table.Print();
}

int RunCommit(const client::Client& client, const GlobalOptions& global,
              const ParsedArgs& args, OutputFormat format) {
  absl::StatusOr<CheckpointKey> key = KeyFromArgs(args, 3);
  if (!key.ok()) return ReportUsageError(kName, key.status().message());
  if (args.arguments().size() < 3) {
    return ReportUsageError(
        kName, "give the position: evstore checkpoint commit NAME POSITION");
  }
  absl::StatusOr<std::uint64_t> position =
      ParseUint64("position", args.arguments()[2]);
  if (!position.ok())
    return ReportUsageError(kName, position.status().message());
  v1::CommitCheckpointRequest request;
  SetKey(global, *key, request);
  request.set_position(*position);
  request.set_allow_backwards(args.Has("allow-backwards"));
  absl::StatusOr<v1::CommitCheckpointResponse> response =
      client.CommitCheckpoint(request);
  if (!response.ok()) return ReportRpcError(response.status());
  PrintCheckpoints({response->checkpoint()}, format);
  return kExitOk;
}

int RunGet(const client::Client& client, const GlobalOptions& global,
           const ParsedArgs& args, OutputFormat format) {
  absl::StatusOr<CheckpointKey> key = KeyFromArgs(args, 2);
  if (!key.ok()) return ReportUsageError(kName, key.status().message());
  v1::GetCheckpointRequest request;
  SetKey(global, *key, request);
  absl::StatusOr<v1::GetCheckpointResponse> response =
      client.GetCheckpoint(request);
  if (!response.ok()) return ReportRpcError(response.status());
  PrintCheckpoints({response->checkpoint()}, format);
  return kExitOk;
}

int RunList(const client::Client& client, const GlobalOptions& global,
            const ParsedArgs& args, OutputFormat format) {
  if (args.arguments().size() > 1) {
    return ReportUsageError(
        kName, absl::StrCat("unexpected argument '", args.arguments()[1], "'"));
  }
  v1::ListCheckpointsRequest request;
  request.set_customer(global.customer);
  request.set_name_prefix(args.Value("prefix").value_or(""));
  std::vector<v1::Checkpoint> checkpoints;
  do {
    absl::StatusOr<v1::ListCheckpointsResponse> response =
        client.ListCheckpoints(request);
    if (!response.ok()) return ReportRpcError(response.status());
    checkpoints.insert(checkpoints.end(), response->checkpoints().begin(),
                       response->checkpoints().end());
    request.set_page_token(response->next_page_token());
  } while (!request.page_token().empty());
  PrintCheckpoints(checkpoints, format);
  return kExitOk;
}

int RunDelete(const client::Client& client, const GlobalOptions& global,
              const ParsedArgs& args) {
  absl::StatusOr<CheckpointKey> key = KeyFromArgs(args, 2);
  if (!key.ok()) return ReportUsageError(kName, key.status().message());
  v1::DeleteCheckpointRequest request;
  SetKey(global, *key, request);
  absl::StatusOr<v1::DeleteCheckpointResponse> response =
      client.DeleteCheckpoint(request);
  if (!response.ok()) return ReportRpcError(response.status());
  WriteLine(std::move(JsonObject()
                          .String("name", key->name)
                          .String("partition", PartitionText(key->partition))
                          .Bool("existed", response->existed()))
                .Finish());
  return kExitOk;
}

int RunCheckpoint(const GlobalOptions& global, const ParsedArgs& args) {
  if (args.arguments().empty()) {
    return ReportUsageError(kName, "give an action: commit, get, list, delete");
  }
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(args);
  if (!format.ok()) return ReportUsageError(kName, format.status().message());
  absl::StatusOr<std::unique_ptr<client::Client>> client =
      ConnectClient(global, client::RetryPolicy::Standard());
  if (!client.ok()) return ReportRpcError(client.status());
  const std::string& action = args.arguments()[0];
  if (action == "commit") return RunCommit(**client, global, args, *format);
  if (action == "get") return RunGet(**client, global, args, *format);
  if (action == "list") return RunList(**client, global, args, *format);
  if (action == "delete") return RunDelete(**client, global, args);
  return ReportUsageError(kName, absl::StrCat("unknown action '", action,
                                              "' (commit, get, list, delete)"));
}

}  // namespace

Command CheckpointCommand() {
  return Command{
      .spec =
          {
              .name = kName,
              .summary = "Commit, get, list or delete consumer checkpoints.",
              .usage = "evstore checkpoint commit NAME POSITION | get NAME | "
                       "list | delete NAME [flags]",
              .description =
                  "A checkpoint is a named consumer position stored by the "
                  "server, per\n"
                  "partition: every event up to and including POSITION has "
                  "been processed.\n"
                  "`tail --from checkpoint:NAME` resumes after it. Commits "
                  "are monotonic:\n"
                  "a lower position fails (exit 6) unless --allow-backwards "
                  "(a deliberate\n"
                  "replay); a position beyond the feed's head fails (exit 7). "
                  "`get` of a\n"
                  "checkpoint that was never committed exits 3. `delete` of "
                  "a missing one\n"
                  "succeeds with \"existed\":false. Needs the customer's "
                  "consumer token (or\n"
                  "an admin token).",
              .examples =
                  "evstore checkpoint commit warehouse-loader 41230 "
                  "--customer orsted-dk\n"
                  "evstore checkpoint get warehouse-loader --partition 0/4 "
                  "--customer orsted-dk\n"
                  "evstore checkpoint list --output table --customer "
                  "orsted-dk\n"
                  "evstore checkpoint commit warehouse-loader 0 "
                  "--allow-backwards   # replay all\n"
                  "evstore checkpoint delete warehouse-loader --customer "
                  "orsted-dk",
              .flags =
                  {
                      {.name = "partition",
                       .value_name = "I/N",
                       .help = "The checkpoint of partition I of N "
                               "(default: whole feed)."},
                      {.name = "allow-backwards",
                       .help = "commit: allow moving the checkpoint to a "
                               "lower position."},
                      {.name = "prefix",
                       .value_name = "P",
                       .help = "list: only names starting with P."},
                      OutputFlag(),
                  },
              .takes_arguments = true,
          },
      .run = &RunCheckpoint,
  };
}

}  // namespace evstore::cli
