// evstore tail: follow the customer's feed (Subscribe).

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/cli/commands.h"
#include "client/cli/consumer_flags.h"
#include "client/cli/event_json.h"
#include "client/resuming_subscription.h"

namespace evstore::cli {
namespace {

constexpr absl::string_view kName = "tail";

struct TailFlags {
  client::ResumingSubscriptionOptions options;
  bool heartbeats_to_stdout = false;
  std::uint64_t count = 0;  // 0: no limit.
  bool until_caught_up = false;
};

absl::Status ParseStart(const ParsedArgs& args, TailFlags& flags) {
  client::ResumingSubscriptionOptions& options = flags.options;
  if (args.Has("from") && args.Has("after")) {
    return absl::InvalidArgumentError("give --from or --after, not both");
  }
  if (std::optional<std::string> from = args.Value("from")) {
    absl::StatusOr<TailStart> start = ParseTailStart(*from);
    if (!start.ok()) return start.status();
    options.start = start->start;
    if (!start->checkpoint.empty()) {
      if (args.Has("checkpoint") &&
          *args.Value("checkpoint") != start->checkpoint) {
        return absl::InvalidArgumentError(
            "--checkpoint names another checkpoint than --from "
            "checkpoint:NAME");
      }
      options.checkpoint = start->checkpoint;
    }
  } else if (std::optional<std::string> after = args.Value("after")) {
    absl::StatusOr<std::uint64_t> position = ParseUint64("after", *after);
    if (!position.ok()) return position.status();
    options.start = client::SubscriptionStart::After(*position);
  }
  if (std::optional<std::string> name = args.Value("checkpoint")) {
    options.checkpoint = *name;
  }
  if (std::optional<std::string> text = args.Value("if-missing")) {
    if (*text != "start" && *text != "end") {
      return absl::InvalidArgumentError(
          absl::StrCat("--if-missing: '", *text, "' is not start or end"));
    }
    options.start.checkpoint_default = *text == "end"
                                           ? v1::SUBSCRIBE_START_END
                                           : v1::SUBSCRIBE_START_BEGINNING;
  }
  return absl::OkStatus();
}

absl::Status ParseCommit(const ParsedArgs& args, TailFlags& flags) {
  client::AutoCommit& auto_commit = flags.options.auto_commit;
  auto_commit.enabled = args.Has("commit");
  if (auto_commit.enabled && flags.options.checkpoint.empty()) {
    return absl::InvalidArgumentError(
        "--commit needs a checkpoint: --checkpoint NAME or --from "
        "checkpoint:NAME");
  }
  if (std::optional<std::string> text = args.Value("commit-every")) {
    absl::StatusOr<std::uint64_t> every = ParseUint64("commit-every", *text);
    if (!every.ok()) return every.status();
    if (*every == 0) {
      return absl::InvalidArgumentError("--commit-every must be >= 1");
    }
    auto_commit.every_events = *every;
  }
  if (std::optional<std::string> text = args.Value("commit-interval")) {
    if (!absl::ParseDuration(*text, &auto_commit.every) ||
        auto_commit.every <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--commit-interval: '", *text, "' is not a positive duration"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<TailFlags> ParseTailFlags(const GlobalOptions& global,
                                         const ParsedArgs& args) {
  TailFlags flags;
  client::ResumingSubscriptionOptions& options = flags.options;
  options.customer = global.customer;
  if (absl::Status status = ParseStart(args, flags); !status.ok()) {
    return status;
  }
  if (std::optional<std::string> text = args.Value("partition")) {
    absl::StatusOr<v1::Partition> partition = ParsePartition(*text);
    if (!partition.ok()) return partition.status();
    options.partition = *partition;
  }
  if (absl::Status status = ParseCommit(args, flags); !status.ok()) {
    return status;
  }
  for (const std::string& prefix : args.Values("stream-prefix")) {
    options.stream_prefixes.push_back(prefix);
  }
  for (const std::string& type : args.Values("type")) {
    options.event_types.push_back(type);
  }
  options.include_data = !args.Has("no-data");
  options.start_at_oldest_retained = args.Has("oldest-retained");
  if (std::optional<std::string> text = args.Value("heartbeat-interval")) {
    absl::Duration interval;
    if (!absl::ParseDuration(*text, &interval) ||
        interval < absl::Milliseconds(100) || interval > absl::Hours(1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--heartbeat-interval: '", *text,
                       "' is not a duration from 100ms to 1h"));
    }
    options.heartbeat_interval_ms =
        static_cast<std::uint32_t>(absl::ToInt64Milliseconds(interval));
  }
  if (std::optional<std::string> text = args.Value("give-up-after")) {
    if (!absl::ParseDuration(*text, &options.give_up_after) ||
        options.give_up_after <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--give-up-after: '", *text, "' is not a positive duration"));
    }
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

// Ends the tail cleanly: commits (with --commit) and flushes.
int Finish(client::ResumingSubscription& subscription) {
  std::fflush(stdout);
  const absl::Status closed = subscription.Close();
  return closed.ok() ? kExitOk : ReportRpcError(closed);
}

int RunTail(const GlobalOptions& global, const ParsedArgs& args) {
  absl::StatusOr<TailFlags> flags = ParseTailFlags(global, args);
  if (!flags.ok()) return ReportUsageError(kName, flags.status().message());
  absl::StatusOr<std::unique_ptr<client::Client>> client =
      ConnectClient(global, client::RetryPolicy::Standard());
  if (!client.ok()) return ReportRpcError(client.status());
  std::unique_ptr<client::ResumingSubscription> subscription =
      (*client)->SubscribeResuming(flags->options);

  std::uint64_t printed = 0;
  std::uint64_t reconnects_reported = 0;
  while (true) {
    absl::StatusOr<client::SubscriptionItem> item =
        subscription->Next(absl::Seconds(1));
    if (subscription->reconnects() != reconnects_reported) {
      reconnects_reported = subscription->reconnects();
      std::fprintf(stderr, "connection lost; resuming after position %s\n",
                   absl::StrCat(subscription->delivered_position()).c_str());
    }
    if (!item.ok()) {
      if (absl::IsDeadlineExceeded(item.status())) continue;
      return ReportRpcError(item.status());
    }
    switch (item->kind) {
      case client::SubscriptionItem::Kind::kEvent:
        WriteLine(RecordedEventToJson(item->event));
        if (flags->count != 0 && ++printed >= flags->count) {
          return Finish(*subscription);
        }
        break;
      case client::SubscriptionItem::Kind::kCaughtUp: {
        v1::CaughtUp caught_up;
        caught_up.set_position(item->position);
        if (flags->heartbeats_to_stdout) {
          WriteLine(CaughtUpToJson(caught_up));
        } else {
          std::fprintf(stderr, "caught up at position %s\n",
                       absl::StrCat(item->position).c_str());
        }
        if (flags->until_caught_up) return Finish(*subscription);
        break;
      }
      case client::SubscriptionItem::Kind::kHeartbeat: {
        v1::Heartbeat heartbeat;
        heartbeat.set_position(item->position);
        if (flags->heartbeats_to_stdout) {
          WriteLine(HeartbeatToJson(heartbeat));
        } else {
          std::fprintf(stderr, "heartbeat at position %s\n",
                       absl::StrCat(item->position).c_str());
        }
        break;
      }
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
              .usage = "evstore tail [--from start|end|N|checkpoint:NAME | "
                       "--after N] [--partition I/N] [--commit] [flags]",
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
                  "it processed. The default is the start of the feed.\n"
                  "--from checkpoint:NAME starts after the server-side "
                  "checkpoint NAME (or\n"
                  "at --if-missing when it does not exist); --commit "
                  "commits it as events are\n"
                  "printed (every --commit-every events or "
                  "--commit-interval, and on exit\n"
                  "after --count / --until-caught-up). An event counts as "
                  "processed once the\n"
                  "next one is printed, so a crash may print up to "
                  "--commit-every events again.\n"
                  "\n"
                  "tail survives server restarts and lost connections: it "
                  "reconnects with\n"
                  "backoff and resumes after the last position it printed, "
                  "so no event is\n"
                  "printed twice or skipped (reported on stderr). It stops "
                  "on permanent errors\n"
                  "(permission, not found, out of range), or after "
                  "--give-up-after without a\n"
                  "connection.",
              .examples = "evstore tail --customer orsted-dk --from end\n"
                          "evstore tail --customer orsted-dk --after 41230 "
                          "--stream-prefix contract/DS000068/ \\\n"
                          "    --type NominationResponseReceived --heartbeats\n"
                          "evstore tail --customer orsted-dk --until-caught-up "
                          "--no-data | wc -l\n"
                          "evstore tail --customer orsted-dk --from "
                          "checkpoint:warehouse-loader --commit \\\n"
                          "    --partition 0/4 | ./load-warehouse",
              .flags =
                  {
                      {.name = "from",
                       .value_name = "WHERE",
                       .help = "start (default), end, a position N "
                               "(inclusive),\nor checkpoint:NAME."},
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
                      {.name = "partition",
                       .value_name = "I/N",
                       .help = "Only partition I of N (by stream name "
                               "hash), e.g. 0/4."},
                      {.name = "checkpoint",
                       .value_name = "NAME",
                       .help = "The checkpoint --commit commits (implied "
                               "by --from\ncheckpoint:NAME)."},
                      {.name = "if-missing",
                       .value_name = "WHERE",
                       .help = "start (default) or end: where --from "
                               "checkpoint:NAME\nstarts when NAME does "
                               "not exist."},
                      {.name = "commit",
                       .help = "Commit the checkpoint as events are "
                               "printed."},
                      {.name = "commit-every",
                       .value_name = "N",
                       .help = "Commit after N printed events (default "
                               "100)."},
                      {.name = "commit-interval",
                       .value_name = "DURATION",
                       .help = "Commit at least this often while events "
                               "flow (default 1s)."},
                      {.name = "oldest-retained",
                       .help = "Start at the oldest retained event when "
                               "retention dropped\nthe start (else exit "
                               "7)."},
                      {.name = "give-up-after",
                       .value_name = "DURATION",
                       .help = "Exit 5 after this long without reaching "
                               "the server\n(default: retry for ever)."},
                  },
          },
      .run = &RunTail,
  };
}

}  // namespace evstore::cli
