// evstore get: fetch events by id and/or feed position (the claim check).

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/event_json.h"

namespace evstore::cli {
namespace {

constexpr absl::string_view kName = "get";

int RunGet(const GlobalOptions& global, const ParsedArgs& args) {
  v1::GetEventsRequest request;
  request.set_customer(global.customer);
  for (const std::string& id : SplitListValues(args.Values("id"))) {
    request.add_ids(id);
  }
  for (const std::string& text : SplitListValues(args.Values("position"))) {
    absl::StatusOr<std::uint64_t> position = ParseUint64("position", text);
    if (!position.ok()) {
      return ReportUsageError(kName, position.status().message());
    }
    request.add_positions(*position);
  }
  if (request.ids_size() == 0 && request.positions_size() == 0) {
    return ReportUsageError(kName, "give at least one --id or --position");
  }
  if (args.Has("no-data")) request.set_include_data(false);

  absl::StatusOr<std::unique_ptr<client::Client>> client =
      ConnectClient(global);
  if (!client.ok()) return ReportRpcError(client.status());
  absl::StatusOr<v1::GetEventsResponse> response =
      (*client)->GetEvents(request);
  if (!response.ok()) return ReportRpcError(response.status());
  for (const v1::RecordedEvent& event : response->events()) {
    WriteLine(RecordedEventToJson(event));
  }
  std::fflush(stdout);
  for (const std::string& id : response->missing_ids()) {
    std::fprintf(stderr, "missing: id %s\n", id.c_str());
  }
  for (const std::uint64_t position : response->missing_positions()) {
    std::fprintf(stderr, "missing: position %s\n",
                 absl::StrCat(position).c_str());
  }
  const bool any_missing = response->missing_ids_size() > 0 ||
                           response->missing_positions_size() > 0;
  return any_missing ? kExitNotFound : kExitOk;
}

}  // namespace

Command GetCommand() {
  return Command{
      .spec =
          {
              .name = kName,
              .summary = "Fetch events by id or feed position.",
              .usage = "evstore get [--id UUID ...] [--position N ...] "
                       "[--no-data]",
              .description =
                  "Prints the events found as NDJSON (first those asked for "
                  "by id, then\n"
                  "those asked for by position, each in the order given) and "
                  "names the\n"
                  "missing ones on stderr (\"missing: id ...\", \"missing: "
                  "position ...\").\n"
                  "Exits with 3 when any is missing. --id and --position may "
                  "be repeated\n"
                  "and take comma-separated lists.",
              .examples = "evstore get --customer orsted-dk "
                          "--id 0f8fad5b-d9cb-469f-a165-70867728950e\n"
                          "evstore get --customer orsted-dk --position 17,18 "
                          "--position 42",
              .flags =
                  {
                      {.name = "id",
                       .value_name = "UUID",
                       .help = "Event id to fetch.",
                       .repeatable = true},
                      {.name = "position",
                       .value_name = "N",
                       .help = "Feed position to fetch.",
                       .repeatable = true},
                      {.name = "no-data", .help = "Omit payloads."},
                  },
          },
      .run = &RunGet,
  };
}

}  // namespace evstore::cli
