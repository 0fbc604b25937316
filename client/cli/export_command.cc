// evstore export: a customer's feed, or a range of positions of it, as NDJSON
// (one recorded event per line, as `read` prints them), for migrations and
// backups of one customer. `import` reads it back.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/cli/commands.h"
#include "client/cli/event_json.h"
#include "client/cli/json_object.h"
#include "client/cli/progress_line.h"

namespace evstore::cli {
namespace {

constexpr absl::string_view kName = "export";

struct ExportRange {
  std::uint64_t from = 0;  // Inclusive; 0: the oldest retained event.
  std::uint64_t to = 0;    // Inclusive; 0: the head when the export starts.
};

// The position of the feed's last event (0: empty feed).
absl::StatusOr<std::uint64_t> LastPosition(const client::Client& client,
                                           const std::string& customer) {
  v1::ReadRequest request;
  request.set_customer(customer);
  request.set_direction(v1::READ_DIRECTION_BACKWARDS);
  request.set_max_count(1);
  request.set_include_data(false);
  absl::StatusOr<std::vector<v1::RecordedEvent>> last = client.ReadAll(request);
  if (!last.ok()) return last.status();
  return last->empty() ? 0 : last->front().position();
}

int RunExport(const GlobalOptions& global, const ParsedArgs& args) {
  ExportRange range;
  if (std::optional<std::string> text = args.Value("from")) {
    absl::StatusOr<std::uint64_t> from = ParseUint64("from", *text);
    if (!from.ok()) return ReportUsageError(kName, from.status().message());
    range.from = *from;
  }
  if (std::optional<std::string> text = args.Value("to")) {
    absl::StatusOr<std::uint64_t> to = ParseUint64("to", *text);
    if (!to.ok()) return ReportUsageError(kName, to.status().message());
    if (*to < range.from) {
      return ReportUsageError(kName, "--to must not be below --from");
    }
    range.to = *to;
  }
  std::uint64_t page_size = 1000;
  if (std::optional<std::string> text = args.Value("page-size")) {
    absl::StatusOr<std::uint64_t> size = ParseUint64("page-size", *text);
    if (!size.ok() || *size == 0) {
      return ReportUsageError(kName, "--page-size must be a positive integer");
    }
    page_size = *size;
  }
  absl::StatusOr<std::unique_ptr<client::Client>> client =
      ConnectClient(global);
  if (!client.ok()) return ReportRpcError(client.status());
  absl::StatusOr<std::uint64_t> head = LastPosition(**client, global.customer);
  if (!head.ok()) return ReportRpcError(head.status());
  if (range.to == 0) range.to = *head;

  FILE* out = stdout;
  std::unique_ptr<FILE, int (*)(FILE*)> file(nullptr, &std::fclose);
  if (std::optional<std::string> path = args.Value("file")) {
    file.reset(std::fopen(path->c_str(), "w"));
    if (file == nullptr) {
      return ReportUsageError(
          kName, absl::StrCat("--file: cannot create ", *path, ": ",
                              std::strerror(errno)));
    }
    out = file.get();
  }

  ProgressLine progress(ProgressWanted(args.Has("progress")), "export");
  const absl::Time start = absl::Now();
  std::uint64_t next = range.from;
  std::uint64_t exported = 0;
  std::uint64_t last_position = 0;
  while (range.to != 0 && next <= range.to) {
    v1::ReadRequest request;
    request.set_customer(global.customer);
    request.set_start(next);
    request.set_max_count(std::min(page_size, range.to - next + 1));
    std::uint64_t in_page = 0;
    const absl::Status status =
        (*client)->Read(request, [&](const v1::RecordedEvent& event) {
          if (event.position() > range.to) return false;
          const std::string line = RecordedEventToJson(event);
          std::fwrite(line.data(), 1, line.size(), out);
          std::fputc('\n', out);
          ++exported;
          ++in_page;
          last_position = event.position();
          next = event.position() + 1;
          progress.Update(last_position, range.to, exported);
          return true;
        });
    if (!status.ok()) {
      progress.Finish(last_position, range.to, exported);
      return ReportRpcError(status);
    }
    if (in_page == 0) break;  // Nothing more up to --to.
  }
  progress.Finish(last_position, range.to, exported);
  if (std::fflush(out) != 0 || std::ferror(out)) {
    std::fprintf(stderr, "error: writing the export failed: %s\n",
                 std::strerror(errno));
    return kExitRpcError;
  }
  const double seconds =
      std::max(absl::ToDoubleSeconds(absl::Now() - start), 1e-3);
  std::fprintf(stderr,
               "exported %s events (positions %s..%s) in %.1f s, %.0f "
               "events/s\n",
               absl::StrCat(exported).c_str(),
               range.from == 0 ? "oldest" : absl::StrCat(range.from).c_str(),
               absl::StrCat(range.to).c_str(), seconds, exported / seconds);
  return kExitOk;
}

}  // namespace

Command ExportCommand() {
  return Command{
      .spec =
          {
              .name = kName,
              .summary = "Write a customer's feed (or a range) as NDJSON.",
              .usage = "evstore export [--from N] [--to N] [--file PATH] "
                       "[--progress]",
              .description =
                  "Writes every event from position --from (default: the "
                  "oldest) to --to (the\n"
                  "last event when the export starts), inclusive, in feed "
                  "order, one JSON\n"
                  "object per line as `read` prints them, to stdout or "
                  "--file. Events appended\n"
                  "meanwhile are not included. `evstore import` replays the "
                  "file into a\n"
                  "customer (idempotent by event ids). A progress line "
                  "(position/last, events,\n"
                  "events/s) goes to stderr when it is a terminal or with "
                  "--progress; a summary\n"
                  "line always. Reading below the oldest retained position "
                  "fails with exit 7.",
              .examples =
                  "evstore export --customer orsted-dk --file "
                  "orsted-dk.ndjson\n"
                  "evstore export --customer orsted-dk --from 1000 --to 1999 "
                  "| gzip > part.ndjson.gz\n"
                  "evstore export --customer orsted-dk | evstore import "
                  "--customer orsted-dk-copy",
              .flags =
                  {
                      {.name = "from",
                       .value_name = "N",
                       .help = "First position, inclusive (default: the "
                               "oldest retained)."},
                      {.name = "to",
                       .value_name = "N",
                       .help = "Last position, inclusive (default: the last "
                               "event now)."},
                      {.name = "file",
                       .value_name = "PATH",
                       .help = "Write to PATH instead of stdout "
                               "(overwritten)."},
                      {.name = "progress",
                       .help = "Show progress on stderr even when it is not "
                               "a terminal."},
                      {.name = "page-size",
                       .value_name = "N",
                       .help = "Events per read call (default 1000)."},
                  },
          },
      .run = &RunExport,
  };
}

}  // namespace evstore::cli
