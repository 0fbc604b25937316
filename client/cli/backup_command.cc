// evstore backup: a consistent online backup into a directory on the server
// (Admin API CreateBackup).

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/json_object.h"

namespace evstore::cli {
namespace {

constexpr absl::string_view kName = "backup";

int RunBackup(const GlobalOptions& global, const ParsedArgs& args) {
  const std::vector<std::string>& arguments = args.arguments();
  if (arguments.size() != 1) {
    return ReportUsageError(
        kName,
        "give one directory: an absolute path on the server that does not "
        "exist yet");
  }
  absl::StatusOr<std::unique_ptr<client::AdminClient>> admin =
      ConnectAdminClient(global);
  if (!admin.ok()) return ReportRpcError(admin.status());
  v1::CreateBackupRequest request;
  request.set_directory(arguments[0]);
  absl::StatusOr<v1::CreateBackupResponse> response =
      (*admin)->CreateBackup(request);
  if (!response.ok()) return ReportRpcError(response.status());
  JsonObject line;
  line.String("directory", response->directory())
      .Number("files", response->files())
      .Number("bytes", response->bytes())
      .Number("durationMs", response->duration_ms());
  WriteLine(std::move(line).Finish());
  return kExitOk;
}

}  // namespace

Command BackupCommand() {
  return Command{
      .spec =
          {
              .name = kName,
              .summary = "Back up the whole store into a directory on the "
                         "server (admin).",
              .usage = "evstore backup <directory>",
              .description =
                  "Writes a consistent backup of the whole store (events, "
                  "customers, quotas,\n"
                  "token hashes) into <directory>, a NEW directory on the "
                  "SERVER's file system\n"
                  "(an absolute path whose parent exists), while appends "
                  "continue. Every append\n"
                  "acknowledged before the command started is in it. On the "
                  "data directory's\n"
                  "file system it costs hard links; elsewhere a full copy. "
                  "Prints one JSON line\n"
                  "(directory, files, bytes, durationMs). Restore with "
                  "`evstored --restore_from\n"
                  "<directory> --data_dir <empty dir>`. The backup does not "
                  "hold admin.token:\n"
                  "the tokens keep working after a restore, keep their "
                  "secrets yourself.",
              .examples = "evstore backup /var/backups/evstore/2026-11-27",
              .takes_arguments = true,
              .needs_customer = false,
          },
      .run = &RunBackup,
  };
}

}  // namespace evstore::cli
