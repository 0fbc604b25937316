// evstore tail: follow the customer's feed (Subscribe).

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/cli/commands.h"
#include "client/cli/event_json.h"

namespace evstore::cli {
namespace {

constexpr absl::string_view kName = "tail";

struct TailFlags {
  v1::SubscribeRequest request;
  bool heartbeats_to_stdout = false;
  std::uint64_t count = 0;  // 0: no limit.
  bool until_caught_up = false;
};

absl::StatusOr<TailFlags> ParseTailFlags(const GlobalOptions& global,
                                         const ParsedArgs& args) {
  TailFlags flags;
  v1::SubscribeRequest& request = flags.request;
  request.set_customer(global.customer);
  if (args.Has("from") && args.Has("after")) {
    return absl::InvalidArgumentError("give --from or --after, not both");
  }
  if (std::optional<std::string> from = args.Value("from")) {
    if (*from == "start") {
      request.set_origin(v1::SUBSCRIBE_START_BEGINNING);
    } else if (*from == "end") {
      request.set_origin(v1::SUBSCRIBE_START_END);
    } else {
      absl::StatusOr<std::uint64_t> position = ParseUint64("from", *from);
      if (!position.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--from: '", *from, "' is not start, end or a position"));
      }
      // --from is inclusive, like `read --from`; the contract resumes after.
      request.set_after_position(*position == 0 ? 0 : *position - 1);
    }
  } else if (std::optional<std::string> after = args.Value("after")) {
    absl::StatusOr<std::uint64_t> position = ParseUint64("after", *after);
    if (!position.ok()) return position.status();
    request.set_after_position(*position);
  } else {
    request.set_origin(v1::SUBSCRIBE_START_BEGINNING);
  }
  for (const std::string& prefix : args.Values("stream-prefix")) {
    request.add_stream_prefixes(prefix);
  }
  for (const std::string& type : args.Values("type")) {
    request.add_event_types(type);
  }
  if (args.Has("no-data")) request.set_include_data(false);
  if (std::optional<std::string> text = args.Value("heartbeat-interval")) {
    absl::Duration interval;
    if (!absl::ParseDuration(*text, &interval) ||
        interval < absl::Milliseconds(100) || interval > absl::Hours(1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--heartbeat-interval: '", *text,
                       "' is not a duration from 100ms to 1h"));
    }
    request.set_heartbeat_interval_ms(
        static_cast<std::uint32_t>(absl::ToInt64Milliseconds(interval)));
  }
  flags.heartbeats_to_stdout = args.Has("heartbeats");
  if (std::optional<std::string> text = args.Value("count")) {
    absl::StatusOr<std::uint64_t> count = ParseUint64("count", *text);
    if (!count.ok()) return count.status();
    if (*count == 0) return absl::InvalidArgumentError("--count must be >= 1");
    flags.count = *count;
  }
  flags.until_caught_up = args.Has("until-caught-up");
  return flags;
}

int RunTail(const GlobalOptions& global, const ParsedArgs& args) {
  absl::StatusOr<TailFlags> flags = ParseTailFlags(global, args);
  if (!flags.ok()) return ReportUsageError(kName, flags.status().message());
  absl::StatusOr<std::unique_ptr<client::Client>> client =
      ConnectClient(global);
  if (!client.ok()) return ReportRpcError(client.status());
  std::unique_ptr<client::Subscription> subscription =
      (*client)->Subscribe(flags->request);

  std::uint64_t printed = 0;
  while (true) {
    absl::StatusOr<v1::SubscribeResponse> message =
        subscription->Next(absl::InfiniteDuration());
    if (!message.ok()) return ReportRpcError(message.status());
    switch (message->message_case()) {
      case v1::SubscribeResponse::kEvents:
        for (const v1::RecordedEvent& event : message->events().events()) {
          WriteLine(RecordedEventToJson(event));
          if (flags->count != 0 && ++printed >= flags->count) {
            std::fflush(stdout);
            return kExitOk;
          }
        }
        break;
      case v1::SubscribeResponse::kCaughtUp:
        if (flags->heartbeats_to_stdout) {
          WriteLine(CaughtUpToJson(message->caught_up()));
        } else {
          std::fprintf(stderr, "caught up at position %s\n",
                       absl::StrCat(message->caught_up().position()).c_str());
        }
        if (flags->until_caught_up) {
          std::fflush(stdout);
          return kExitOk;
        }
        break;
      case v1::SubscribeResponse::kHeartbeat:
        if (flags->heartbeats_to_stdout) {
          WriteLine(HeartbeatToJson(message->heartbeat()));
        } else {
          std::fprintf(stderr, "heartbeat at position %s\n",
                       absl::StrCat(message->heartbeat().position()).c_str());
        }
        break;
      case v1::SubscribeResponse::MESSAGE_NOT_SET:
        // A message kind newer than this client; nothing to show.
        break;
    }
    std::fflush(stdout);
  }
}

}  // namespace

Command TailCommand() {
  return Command{
      .spec =
          {
              .name = kName,
              .summary = "Follow the customer's feed live (subscribe).",
              .usage = "evstore tail [--from start|end|N | --after N] "
                       "[flags]",
              .description =
                  "Prints matching events as NDJSON: first the recorded ones "
                  "from the\n"
                  "start point, then new ones as they are appended, until "
                  "interrupted\n"
                  "(or --count / --until-caught-up). The switch to live "
                  "events and the\n"
                  "server's heartbeats (each carrying the position up to "
                  "which everything\n"
                  "matching was sent) are reported on stderr, or as "
                  "{\"caughtUp\":{\"position\":N}}\n"
                  "and {\"heartbeat\":{\"position\":N}} lines on stdout with "
                  "--heartbeats.\n"
                  "\n"
                  "--from N starts at position N (inclusive, like `read`); "
                  "--after N\n"
                  "starts after it, which is how a consumer resumes from the "
                  "last position\n"
                  "it processed. The default is the start of the feed.",
              .examples = "evstore tail --customer orsted-dk --from end\n"
                          "evstore tail --customer orsted-dk --after 41230 "
                          "--stream-prefix contract/DS000068/ \\\n"
                          "    --type NominationResponseReceived --heartbeats\n"
                          "evstore tail --customer orsted-dk --until-caught-up "
                          "--no-data | wc -l",
              .flags =
                  {
                      {.name = "from",
                       .value_name = "WHERE",
                       .help = "start (default), end, or a position N "
                               "(inclusive)."},
                      {.name = "after",
                       .value_name = "N",
                       .help = "Start after position N (resume)."},
                      {.name = "stream-prefix",
                       .value_name = "P",
                       .help = "Only streams starting with P.",
                       .repeatable = true},
                      {.name = "type",
                       .value_name = "T",
                       .help = "Only events of type T.",
                       .repeatable = true},
                      {.name = "no-data",
                       .help = "Omit payloads (fetch them with `get`)."},
                      {.name = "heartbeats",
                       .help = "Print caught-up and heartbeat messages as "
                               "NDJSON on stdout."},
                      {.name = "heartbeat-interval",
                       .value_name = "DURATION",
                       .help = "Idle time before the server sends a "
                               "heartbeat (default 5s)."},
                      {.name = "count",
                       .value_name = "N",
                       .help = "Exit after N events."},
                      {.name = "until-caught-up",
                       .help = "Exit once all recorded events are printed."},
                  },
          },
      .run = &RunTail,
  };
}

}  // namespace evstore::cli
