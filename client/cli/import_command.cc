// evstore import: replays NDJSON events (as `export`, `read` or `tail` print
// them) into a customer, in batched appends, idempotently by event ids.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/cli/commands.h"
#include "client/cli/event_input.h"
#include "client/cli/json_object.h"
#include "client/cli/progress_line.h"

namespace evstore::cli {
namespace {

constexpr absl::string_view kName = "import";
// A batch stays well below the server's default append size limit.
constexpr std::size_t kMaxBatchBytes = std::size_t{1} << 20;

struct ImportCounts {
  std::uint64_t events = 0;      // Read from the input.
  std::uint64_t appended = 0;    // Newly recorded.
  std::uint64_t duplicates = 0;  // Recorded before (by id).
  std::uint64_t appends = 0;     // Append calls that succeeded.
  std::uint64_t last_position = 0;
};

// Consecutive input events in input order, as one AppendRequest: a stream
// that comes back after another one starts a new batch, so that feed order is
// kept exactly.
class Batch {
 public:
  explicit Batch(std::string customer) { request_.set_customer(customer); }

  // Whether `event` can join without reordering or growing too large.
  bool Accepts(const InputEvent& input, std::size_t max_events) const {
    if (events_ == 0) return true;
    if (events_ >= max_events) return false;
    if (bytes_ + input.event.ByteSizeLong() > kMaxBatchBytes) return false;
    const bool continues_last =
        request_.writes(request_.writes_size() - 1).stream() == input.stream;
    return continues_last || !streams_.contains(input.stream);
  }
  void Add(InputEvent input) {
    if (events_ == 0 ||
        request_.writes(request_.writes_size() - 1).stream() != input.stream) {
      request_.add_writes()->set_stream(input.stream);
      streams_.insert(input.stream);
    }
    bytes_ += input.event.ByteSizeLong();
    *request_.mutable_writes(request_.writes_size() - 1)->add_events() =
        std::move(input.event);
    ++events_;
  }
  std::size_t events() const { return events_; }
  const v1::AppendRequest& request() const { return request_; }
  void Clear() {
    const std::string customer = request_.customer();
    request_.Clear();
    request_.set_customer(customer);
    streams_.clear();
    events_ = 0;
    bytes_ = 0;
  }

 private:
  v1::AppendRequest request_;
  absl::flat_hash_set<std::string> streams_;
  std::size_t events_ = 0;
  std::size_t bytes_ = 0;
};

// For a batch whose ids are partly or wholly recorded, but not by one
// identical append (ALREADY_EXISTS), e.g. a second import with another
// --batch-size or after an interrupted one: looks the ids up and appends only
// the events that are not recorded yet, in order.
absl::Status AppendUnrecorded(const client::Client& client, const Batch& batch,
                              ImportCounts& counts) {
  v1::GetEventsRequest lookup;
  lookup.set_customer(batch.request().customer());
  lookup.set_include_data(false);
  for (const v1::StreamWrite& write : batch.request().writes()) {
    for (const v1::ProposedEvent& event : write.events()) {
      lookup.add_ids(event.id());
    }
  }
  absl::StatusOr<v1::GetEventsResponse> found = client.GetEvents(lookup);
  if (!found.ok()) return found.status();
  const absl::flat_hash_set<std::string> missing(found->missing_ids().begin(),
                                                 found->missing_ids().end());
  v1::AppendRequest rest;
  rest.set_customer(batch.request().customer());
  std::uint64_t new_events = 0;
  for (const v1::StreamWrite& write : batch.request().writes()) {
    v1::StreamWrite* kept = nullptr;
    for (const v1::ProposedEvent& event : write.events()) {
      if (!missing.contains(event.id())) {
        ++counts.duplicates;
        continue;
      }
      if (kept == nullptr) {
        kept = rest.add_writes();
        kept->set_stream(write.stream());
      }
      *kept->add_events() = event;
      ++new_events;
    }
  }
  if (new_events == 0) return absl::OkStatus();
  absl::StatusOr<v1::AppendResponse> response = client.Append(rest);
  if (!response.ok()) return response.status();
  ++counts.appends;
  (response->duplicate() ? counts.duplicates : counts.appended) += new_events;
  counts.last_position = response->last_position();
  return absl::OkStatus();
}

absl::Status Flush(const client::Client& client, Batch& batch,
                   ImportCounts& counts) {
  if (batch.events() == 0) return absl::OkStatus();
  absl::StatusOr<v1::AppendResponse> response = client.Append(batch.request());
  if (response.ok()) {
    ++counts.appends;
    (response->duplicate() ? counts.duplicates : counts.appended) +=
        batch.events();
    counts.last_position = response->last_position();
  } else if (absl::IsAlreadyExists(response.status())) {
    if (absl::Status status = AppendUnrecorded(client, batch, counts);
        !status.ok()) {
      return status;
    }
  } else {
    return response.status();
  }
  batch.Clear();
  return absl::OkStatus();
}

int RunImport(const GlobalOptions& global, const ParsedArgs& args) {
  std::size_t batch_size = 100;
  if (std::optional<std::string> text = args.Value("batch-size")) {
    absl::StatusOr<std::uint64_t> size = ParseUint64("batch-size", *text);
    if (!size.ok() || *size == 0 || *size > 10000) {
      return ReportUsageError(kName, "--batch-size must be 1 to 10000");
    }
    batch_size = *size;
  }
  std::string path = args.Value("file").value_or("-");
  if (!args.arguments().empty()) {
    if (args.arguments().size() > 1 || args.Has("file")) {
      return ReportUsageError(kName, "give one input: FILE or --file");
    }
    path = args.arguments()[0];
  }
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path);
    if (!file) {
      return ReportUsageError(kName, absl::StrCat("cannot open ", path, ": ",
                                                  std::strerror(errno)));
    }
    in = &file;
  }
  absl::StatusOr<std::unique_ptr<client::Client>> client =
      ConnectClient(global, client::RetryPolicy::Standard());
  if (!client.ok()) return ReportRpcError(client.status());

  const EventLineParser parser(EventDefaults{}, LineFormat::kRecorded);
  ProgressLine progress(ProgressWanted(args.Has("progress")), "import");
  ImportCounts counts;
  Batch batch(global.customer);
  std::string line;
  std::uint64_t line_number = 0;
  while (std::getline(*in, line)) {
    ++line_number;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    absl::StatusOr<InputEvent> input = parser.Parse(line);
    if (!input.ok()) {
      progress.Finish(counts.last_position, 0, counts.events);
      return ReportUsageError(
          kName,
          absl::StrCat("line ", line_number, ": ", input.status().message(),
                       " (events before it were imported)"));
    }
    ++counts.events;
    if (!batch.Accepts(*input, batch_size)) {
      if (absl::Status status = Flush(**client, batch, counts); !status.ok()) {
        progress.Finish(counts.last_position, 0, counts.events);
        return ReportRpcError(status);
      }
    }
    batch.Add(*std::move(input));
    progress.Update(counts.last_position, 0, counts.events);
  }
  if (absl::Status status = Flush(**client, batch, counts); !status.ok()) {
    progress.Finish(counts.last_position, 0, counts.events);
    return ReportRpcError(status);
  }
  progress.Finish(counts.last_position, 0, counts.events);
  WriteLine(std::move(JsonObject()
                          .Number("events", counts.events)
                          .Number("appended", counts.appended)
                          .Number("duplicates", counts.duplicates)
                          .Number("appends", counts.appends))
                .Finish());
  return kExitOk;
}

}  // namespace

Command ImportCommand() {
  return Command{
      .spec =
          {
              .name = kName,
              .summary = "Replay NDJSON events into a customer "
                         "(idempotent).",
              .usage = "evstore import [FILE | --file PATH] [--batch-size N] "
                       "[--progress]",
              .description =
                  "Reads events, one JSON object per line, as `export`, "
                  "`read` and `tail`\n"
                  "print them (stream, type, id, contentType, data, "
                  "metadata; customer,\n"
                  "revision, position and recordedAt are ignored), from FILE "
                  "or stdin, and\n"
                  "appends them to --customer in input order, in atomic "
                  "batches of up to\n"
                  "--batch-size events (a stream that reappears after "
                  "another one starts a new\n"
                  "batch). Every line needs its \"id\": events keep their "
                  "ids, so importing\n"
                  "the same input again appends nothing (its events are "
                  "counted as\n"
                  "duplicates), and an interrupted import can simply be run "
                  "again. Stream\n"
                  "revisions and positions are assigned anew. Prints "
                  "{\"events\",\"appended\",\n"
                  "\"duplicates\",\"appends\"}; progress on stderr as for "
                  "export.",
              .examples =
                  "evstore import --customer orsted-dk-copy orsted-dk.ndjson\n"
                  "gunzip -c part.ndjson.gz | evstore import --customer "
                  "orsted-dk --batch-size 500",
              .flags =
                  {
                      {.name = "file",
                       .value_name = "PATH",
                       .help = "Read PATH instead of stdin (or give FILE)."},
                      {.name = "batch-size",
                       .value_name = "N",
                       .help = "Most events per append (default 100)."},
                      {.name = "progress",
                       .help = "Show progress on stderr even when it is not "
                               "a terminal."},
                  },
              .takes_arguments = true,
          },
      .run = &RunImport,
  };
}

}  // namespace evstore::cli
