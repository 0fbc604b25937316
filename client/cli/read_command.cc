// evstore read: a bounded range of one stream or of the customer's feed.

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/event_json.h"

namespace evstore::cli {
namespace {

constexpr absl::string_view kName = "read";

int RunRead(const GlobalOptions& global, const ParsedArgs& args) {
  v1::ReadRequest request;
  request.set_customer(global.customer);
  request.set_stream(args.Value("stream").value_or(""));
  request.set_direction(args.Has("backwards") ? v1::READ_DIRECTION_BACKWARDS
                                              : v1::READ_DIRECTION_FORWARDS);
  request.set_max_count(100);
  if (std::optional<std::string> text = args.Value("from")) {
    absl::StatusOr<std::uint64_t> from = ParseUint64("from", *text);
    if (!from.ok()) return ReportUsageError(kName, from.status().message());
    request.set_start(*from);
  }
  if (std::optional<std::string> text = args.Value("max-count")) {
    absl::StatusOr<std::uint64_t> max_count = ParseUint64("max-count", *text);
    if (!max_count.ok()) {
      return ReportUsageError(kName, max_count.status().message());
    }
    if (*max_count == 0) {
      return ReportUsageError(kName, "--max-count must be >= 1");
    }
    request.set_max_count(*max_count);
  }
  if (args.Has("no-data")) request.set_include_data(false);

  absl::StatusOr<std::unique_ptr<client::Client>> client =
      ConnectClient(global);
  if (!client.ok()) return ReportRpcError(client.status());
  const absl::Status status =
      (*client)->Read(request, [](const v1::RecordedEvent& event) {
        WriteLine(RecordedEventToJson(event));
        return true;
      });
  std::fflush(stdout);
  return status.ok() ? kExitOk : ReportRpcError(status);
}

}  // namespace

Command ReadCommand() {
  return Command{
      .spec =
          {
              .name = kName,
              .summary = "Read a range of one stream or of the customer's "
                         "feed.",
              .usage = "evstore read [--stream STREAM] [flags]",
              .description =
                  "Prints up to --max-count events as NDJSON, one recorded "
                  "event per line.\n"
                  "With --stream, reads that stream by revision; without it, "
                  "reads the\n"
                  "customer's whole feed by position. --from is inclusive; 0 "
                  "(the default)\n"
                  "means the start, or the end with --backwards. Reading "
                  "past either end\n"
                  "simply ends the output.",
              .examples = "evstore read --customer orsted-dk "
                          "--stream contract/DS000068/nominations\n"
                          "evstore read --customer orsted-dk --backwards "
                          "--max-count 1      # the feed's last event\n"
                          "evstore read --customer orsted-dk --from 1000 "
                          "--max-count 500 --no-data",
              .flags =
                  {
                      {.name = "stream",
                       .value_name = "STREAM",
                       .help = "Stream to read (default: the whole feed)."},
                      {.name = "from",
                       .value_name = "N",
                       .help = "First revision (stream) or position (feed), "
                               "inclusive."},
                      {.name = "backwards",
                       .help = "Read from higher to lower revisions or "
                               "positions."},
                      {.name = "max-count",
                       .value_name = "N",
                       .help = "Most events to print (default 100)."},
                      {.name = "no-data", .help = "Omit payloads."},
                  },
          },
      .run = &RunRead,
  };
}

}  // namespace evstore::cli
