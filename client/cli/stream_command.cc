// evstore stream: truncate (delete) or tombstone one stream (DeleteStream).

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/json_object.h"

namespace evstore::cli {
namespace {

constexpr absl::string_view kName = "stream";

int RunStream(const GlobalOptions& global, const ParsedArgs& args) {
  const std::vector<std::string>& arguments = args.arguments();
  if (arguments.empty() ||
      (arguments[0] != "delete" && arguments[0] != "tombstone")) {
    return ReportUsageError(kName, "give an action: delete or tombstone");
  }
  if (arguments.size() != 2) {
    return ReportUsageError(
        kName, arguments.size() < 2
                   ? absl::StrCat("give the stream: evstore stream ",
                                  arguments[0], " STREAM")
                   : absl::StrCat("unexpected argument '", arguments[2], "'"));
  }
  v1::DeleteStreamRequest request;
  request.set_customer(global.customer);
  request.set_stream(arguments[1]);
  request.set_mode(arguments[0] == "tombstone"
                       ? v1::DELETE_STREAM_MODE_TOMBSTONE
                       : v1::DELETE_STREAM_MODE_TRUNCATE);
  if (std::optional<std::string> text = args.Value("expected-revision")) {
    absl::StatusOr<std::uint64_t> revision =
        ParseUint64("expected-revision", *text);
    if (!revision.ok()) {
      return ReportUsageError(kName, revision.status().message());
    }
    request.set_expected_revision(*revision);
  }
  absl::StatusOr<std::unique_ptr<client::Client>> client =
      ConnectClient(global);
  if (!client.ok()) return ReportRpcError(client.status());
  absl::StatusOr<v1::DeleteStreamResponse> response =
      (*client)->DeleteStream(request);
  if (!response.ok()) return ReportRpcError(response.status());
  WriteLine(std::move(JsonObject()
                          .String("stream", request.stream())
                          .Number("lastRevision", response->last_revision())
                          .Number("removedEvents", response->removed_events())
                          .Bool("tombstoned", response->tombstoned()))
                .Finish());
  return kExitOk;
}

}  // namespace

Command StreamCommand() {
  return Command{
      .spec =
          {
              .name = kName,
              .summary = "Delete (truncate) or tombstone a stream.",
              .usage = "evstore stream delete|tombstone STREAM "
                       "[--expected-revision N]",
              .description =
                  "delete removes every event the stream has so far; the "
                  "stream can go on,\n"
                  "its next revision following the last one. tombstone "
                  "does the same and\n"
                  "closes the stream for ever: later appends to it fail "
                  "(exit 6). The removed\n"
                  "events disappear from read, get and tail; their "
                  "positions and ids are\n"
                  "never reused. With --expected-revision the stream must "
                  "be at revision N\n"
                  "(else exit 6). Needs a producer or admin token. Prints "
                  "{\"stream\",\n"
                  "\"lastRevision\",\"removedEvents\",\"tombstoned\"}.",
              .examples =
                  "evstore stream delete contract/DS000068/nominations "
                  "--customer orsted-dk\n"
                  "evstore stream tombstone contract/DS000068/nominations "
                  "--expected-revision 12",
              .flags =
                  {
                      {.name = "expected-revision",
                       .value_name = "N",
                       .help = "Only if the stream's revision is N."},
                  },
              .takes_arguments = true,
          },
      .run = &RunStream,
  };
}

}  // namespace evstore::cli
