// evstore append: one atomic append from DATA arguments, or batched appends
// from NDJSON on stdin.

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/event_input.h"
#include "client/cli/event_json.h"

namespace evstore::cli {
namespace {

constexpr absl::string_view kName = "append";

// A --expected-revision condition.
struct Expectation {
  enum class Kind { kAny, kNoStream, kStreamExists, kRevision };
  Kind kind = Kind::kAny;
  std::uint64_t revision = 0;  // For kRevision.
};

absl::StatusOr<Expectation> ParseExpectation(absl::string_view text) {
  using Kind = Expectation::Kind;
  if (text == "any") return Expectation{Kind::kAny};
  if (text == "no_stream" || text == "no-stream") {
    return Expectation{Kind::kNoStream};
  }
  if (text == "stream_exists" || text == "stream-exists") {
    return Expectation{Kind::kStreamExists};
  }
  absl::StatusOr<std::uint64_t> revision =
      ParseUint64("expected-revision", text);
  if (!revision.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--expected-revision: '", text,
                     "' is not a revision, any, no_stream or stream_exists"));
  }
  return Expectation{Kind::kRevision, *revision};
}

void ApplyExpectation(const Expectation& expectation, v1::StreamWrite& write) {
  switch (expectation.kind) {
    case Expectation::Kind::kAny:
      write.set_expected_state(v1::EXPECTED_STATE_ANY);
      break;
    case Expectation::Kind::kNoStream:
      write.set_expected_state(v1::EXPECTED_STATE_NO_STREAM);
      break;
    case Expectation::Kind::kStreamExists:
      write.set_expected_state(v1::EXPECTED_STATE_STREAM_EXISTS);
      break;
    case Expectation::Kind::kRevision:
      write.set_expected_revision(expectation.revision);
      break;
  }
}

// Carries --expected-revision of --stream across the appends of a stdin
// import. After an append under an exact condition (a revision or
// no_stream) succeeds, the next write to the stream expects the revision
// that append produced, so a batched import is one unbroken optimistic-
// concurrency chain: it fails as soon as anyone else writes to the stream.
class ExpectationChain {
 public:
  ExpectationChain(std::string stream, std::optional<Expectation> expectation)
      : stream_(std::move(stream)), next_(expectation) {}

  void Apply(v1::AppendRequest& request) const {
    if (!next_.has_value()) return;
    for (v1::StreamWrite& write : *request.mutable_writes()) {
      if (write.stream() == stream_) ApplyExpectation(*next_, write);
    }
  }

  void Advance(const v1::AppendResponse& response) {
    if (!next_.has_value() || next_->kind == Expectation::Kind::kAny ||
        next_->kind == Expectation::Kind::kStreamExists) {
      return;
    }
    for (const v1::StreamAppendResult& result : response.streams()) {
      if (result.stream() == stream_) {
        next_ =
            Expectation{Expectation::Kind::kRevision, result.last_revision()};
      }
    }
  }

 private:
  const std::string stream_;
  std::optional<Expectation> next_;
};

// Groups stdin events into append requests of at most `batch_size` events.
// Consecutive events of one stream form one StreamWrite. A stream that comes
// back after another stream starts a new request: a request may name a
// stream only once, and merging the writes would change the event order.
class BatchBuilder {
 public:
  BatchBuilder(std::string customer, std::size_t batch_size)
      : customer_(std::move(customer)), batch_size_(batch_size) {
    request_.set_customer(customer_);
  }

  bool empty() const { return events_ == 0; }
  bool full() const { return events_ >= batch_size_; }

  // Whether `input` may join the current request.
  bool Accepts(const InputEvent& input) const {
    if (full()) return false;
    if (request_.writes_size() > 0 &&
        request_.writes(request_.writes_size() - 1).stream() == input.stream) {
      return true;
    }
    return !streams_.contains(input.stream);
  }

  void Add(InputEvent input) {
    if (request_.writes_size() == 0 ||
        request_.writes(request_.writes_size() - 1).stream() != input.stream) {
      request_.add_writes()->set_stream(input.stream);
      streams_.insert(input.stream);
    }
    *request_.mutable_writes(request_.writes_size() - 1)->add_events() =
        std::move(input.event);
    ++events_;
  }

  v1::AppendRequest Take() {
    v1::AppendRequest taken = std::move(request_);
    request_ = v1::AppendRequest();
    request_.set_customer(customer_);
    streams_.clear();
    events_ = 0;
    return taken;
  }

 private:
  const std::string customer_;
  const std::size_t batch_size_;
  v1::AppendRequest request_;
  absl::flat_hash_set<std::string> streams_;
  std::size_t events_ = 0;
};

struct AppendFlags {
  EventDefaults defaults;
  std::vector<std::string> ids;
  std::optional<Expectation> expectation;
  std::size_t batch_size = 100;
  LineFormat line_format = LineFormat::kAuto;
};

absl::StatusOr<AppendFlags> ParseAppendFlags(const ParsedArgs& args) {
  AppendFlags flags;
  flags.defaults.stream = args.Value("stream").value_or("");
  flags.defaults.type = args.Value("type").value_or("");
  flags.defaults.content_type = args.Value("content-type").value_or("");
  for (const std::string& entry : args.Values("metadata")) {
    absl::StatusOr<std::pair<std::string, std::string>> metadata =
        ParseMetadataFlag(entry);
    if (!metadata.ok()) return metadata.status();
    flags.defaults.metadata.push_back(*std::move(metadata));
  }
  flags.ids = args.Values("id");
  if (std::optional<std::string> text = args.Value("expected-revision")) {
    absl::StatusOr<Expectation> expectation = ParseExpectation(*text);
    if (!expectation.ok()) return expectation.status();
    if (flags.defaults.stream.empty()) {
      return absl::InvalidArgumentError(
          "--expected-revision applies to --stream, which is missing");
    }
    flags.expectation = *expectation;
  }
  if (std::optional<std::string> text = args.Value("batch")) {
    absl::StatusOr<std::uint64_t> batch = ParseUint64("batch", *text);
    if (!batch.ok()) return batch.status();
    if (*batch == 0) return absl::InvalidArgumentError("--batch must be >= 1");
    flags.batch_size = static_cast<std::size_t>(*batch);
  }
  if (std::optional<std::string> text = args.Value("stdin-format")) {
    absl::StatusOr<LineFormat> format = ParseLineFormat(*text);
    if (!format.ok()) return format.status();
    flags.line_format = *format;
  }
  return flags;
}

// Sends one append and prints its result line.
absl::Status SendAppend(const client::Client& client,
                        const v1::AppendRequest& request,
                        ExpectationChain& chain) {
  absl::StatusOr<v1::AppendResponse> response = client.Append(request);
  if (!response.ok()) return response.status();
  WriteLine(AppendResponseToJson(*response));
  std::fflush(stdout);
  chain.Advance(*response);
  return absl::OkStatus();
}

int AppendArguments(const client::Client& client, const GlobalOptions& global,
                    const AppendFlags& flags,
                    const std::vector<std::string>& data) {
  if (flags.defaults.stream.empty()) {
    return ReportUsageError(kName, "--stream is required with DATA arguments");
  }
  if (flags.defaults.type.empty()) {
    return ReportUsageError(kName, "--type is required with DATA arguments");
  }
  if (!flags.ids.empty() && flags.ids.size() != data.size()) {
    return ReportUsageError(
        kName, absl::StrCat("got ", flags.ids.size(), " --id for ", data.size(),
                            " DATA arguments; give one per event "
                            "or none"));
  }
  v1::AppendRequest request;
  request.set_customer(global.customer);
  v1::StreamWrite& write = *request.add_writes();
  write.set_stream(flags.defaults.stream);
  for (std::size_t i = 0; i < data.size(); ++i) {
    absl::StatusOr<v1::ProposedEvent> event = EventFromArgument(
        data[i], flags.ids.empty() ? "" : flags.ids[i], flags.defaults);
    if (!event.ok()) {
      return ReportUsageError(kName, absl::StrCat("DATA argument ", i + 1, ": ",
                                                  event.status().message()));
    }
    *write.add_events() = *std::move(event);
  }
  ExpectationChain chain(flags.defaults.stream, flags.expectation);
  chain.Apply(request);
  const absl::Status status = SendAppend(client, request, chain);
  return status.ok() ? kExitOk : ReportRpcError(status);
}

int AppendStdin(const client::Client& client, const GlobalOptions& global,
                const AppendFlags& flags) {
  if (!flags.ids.empty()) {
    return ReportUsageError(
        kName,
        "--id applies to DATA arguments; give ids as \"id\" in stdin "
        "lines");
  }
  if (isatty(STDIN_FILENO)) {
    std::fprintf(stderr,
                 "Reading NDJSON events from stdin (end with Ctrl-D).\n");
  }
  const EventLineParser parser(flags.defaults, flags.line_format);
  BatchBuilder batch(global.customer, flags.batch_size);
  ExpectationChain chain(flags.defaults.stream, flags.expectation);
  auto send = [&]() {
    v1::AppendRequest request = batch.Take();
    chain.Apply(request);
    return SendAppend(client, request, chain);
  };

  std::ios_base::sync_with_stdio(false);
  std::string line;
  std::uint64_t line_number = 0;
  std::uint64_t events = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    absl::StatusOr<InputEvent> input = parser.Parse(line);
    if (!input.ok()) {
      return ReportUsageError(kName,
                              absl::StrCat("stdin line ", line_number, ": ",
                                           input.status().message()));
    }
    if (!batch.Accepts(*input)) {
      if (absl::Status status = send(); !status.ok()) {
        return ReportRpcError(status);
      }
    }
    batch.Add(*std::move(input));
    ++events;
    if (batch.full()) {
      if (absl::Status status = send(); !status.ok()) {
        return ReportRpcError(status);
      }
    }
  }
  if (std::cin.bad()) {
    return ReportUsageError(kName, "reading stdin failed");
  }
  if (!batch.empty()) {
    if (absl::Status status = send(); !status.ok()) {
      return ReportRpcError(status);
    }
  }
  if (events == 0) {
    return ReportUsageError(
        kName, "no events: give DATA arguments or NDJSON on stdin");
  }
  return kExitOk;
}

int RunAppend(const GlobalOptions& global, const ParsedArgs& args) {
  absl::StatusOr<AppendFlags> flags = ParseAppendFlags(args);
  if (!flags.ok()) return ReportUsageError(kName, flags.status().message());
  absl::StatusOr<std::unique_ptr<client::Client>> client =
      ConnectClient(global);
  if (!client.ok()) return ReportRpcError(client.status());
  if (!args.arguments().empty()) {
    return AppendArguments(**client, global, *flags, args.arguments());
  }
  return AppendStdin(**client, global, *flags);
}

}  // namespace

Command AppendCommand() {
  return Command{
      .spec =
          {
              .name = kName,
              .summary =
                  "Append events to streams of one customer, atomically.",
              .usage = "evstore append --stream STREAM --type TYPE [flags] "
                       "DATA...\n"
                       "       evstore append [--stream STREAM] [flags] "
                       "< events.ndjson",
              .description =
                  "With DATA arguments, appends one event per argument (JSON "
                  "text unless\n"
                  "--content-type says otherwise) to --stream in one atomic "
                  "append.\n"
                  "\n"
                  "Without DATA, reads NDJSON from stdin, one event per line. "
                  "A line is\n"
                  "either a bare JSON payload (stream and type from the "
                  "flags) or an event\n"
                  "object {\"stream\":..,\"type\":..,\"id\":..,"
                  "\"contentType\":..,\"data\":{..},\"metadata\":{..}}\n"
                  "where only \"data\" is required and the rest defaults to "
                  "the flags.\n"
                  "Lines are sent in appends of --batch events: consecutive "
                  "lines of one\n"
                  "stream form one stream write, several streams in a batch "
                  "are appended\n"
                  "together, all or nothing, in line order. Appends are sent "
                  "one after\n"
                  "another; the first failure (or malformed line) stops the "
                  "command and\n"
                  "the appends before it stay recorded.\n"
                  "\n"
                  "Events without an id get a random UUID. --expected-revision "
                  "applies to\n"
                  "--stream; with stdin, an exact condition (N or no_stream) "
                  "is carried\n"
                  "from append to append, so the import fails if anyone else "
                  "writes to\n"
                  "the stream meanwhile.\n"
                  "\n"
                  "Prints each append's result as one JSON line.",
              .examples =
                  "evstore append --customer orsted-dk "
                  "--stream contract/DS000068/nominations \\\n"
                  "    --type NominationResponseReceived "
                  "--expected-revision no_stream \\\n"
                  "    '{\"contract\":\"DS000068\",\"gasDay\":\"2026-11-27\","
                  "\"status\":\"16G\"}'\n"
                  "evstore append --customer orsted-dk "
                  "--stream contract/DS000068/forecast \\\n"
                  "    --type ForecastImported --batch 500 < forecasts.ndjson\n"
                  "echo '{\"stream\":\"contract/DS000068/nominations\","
                  "\"type\":\"NominationResponseReceived\",\"data\":"
                  "{\"status\":\"15G\"}}' \\\n"
                  "    | evstore append --customer orsted-dk",
              .flags =
                  {
                      {.name = "stream",
                       .value_name = "STREAM",
                       .help = "Stream to append to (default for stdin "
                               "lines)."},
                      {.name = "type",
                       .value_name = "TYPE",
                       .help = "Event type, e.g. NominationResponseReceived."},
                      {.name = "expected-revision",
                       .value_name = "COND",
                       .help = "N, any, no_stream or stream_exists: "
                               "condition on --stream."},
                      {.name = "id",
                       .value_name = "UUID",
                       .help = "Event id, one per DATA argument (default: "
                               "random).",
                       .repeatable = true},
                      {.name = "content-type",
                       .value_name = "TYPE",
                       .help = "Media type of the data (default "
                               "application/json)."},
                      {.name = "metadata",
                       .value_name = "KEY=VALUE",
                       .help = "Metadata for every event.",
                       .repeatable = true},
                      {.name = "batch",
                       .value_name = "N",
                       .help = "Events per append when reading stdin "
                               "(default 100)."},
                      {.name = "stdin-format",
                       .value_name = "FORMAT",
                       .help = "auto (default), envelope (every line is an "
                               "event object)\nor payload (every line is a "
                               "bare payload)."},
                  },
              .takes_arguments = true,
          },
      .run = &RunAppend,
  };
}

}  // namespace evstore::cli
