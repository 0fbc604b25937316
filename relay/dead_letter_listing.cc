#include "relay/dead_letter_listing.h"

#include <simdjson.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace evstore::relay {
namespace {

// What a line of a dead-letter file is.
enum class Line {
  kRecord,
  // Not JSON: the start of a record whose append was cut short by a crash.
  kTorn,
  // JSON, but not a dead-letter record.
  kForeign,
};

// Parses one line.
Line ParseSummary(simdjson::dom::parser& parser, const std::string& line,
                  DeadLetterSummary& out) {
  simdjson::dom::element root;
  if (parser.parse(line).get(root) != simdjson::SUCCESS) return Line::kTorn;
  std::string_view customer;
  std::string_view sink;
  std::string_view stream;
  std::string_view id;
  std::string_view last_error;
  if (root["customer"].get(customer) != simdjson::SUCCESS ||
      root["sink"].get(sink) != simdjson::SUCCESS ||
      root["position"].get(out.position) != simdjson::SUCCESS ||
      root["stream"].get(stream) != simdjson::SUCCESS ||
      root["id"].get(id) != simdjson::SUCCESS ||
      root["attempts"].get(out.attempts) != simdjson::SUCCESS ||
      root["last_error"].get(last_error) != simdjson::SUCCESS) {
    return Line::kForeign;
  }
  out.customer = std::string(customer);
  out.sink = std::string(sink);
  out.stream = std::string(stream);
  out.id = std::string(id);
  out.last_error = std::string(last_error);
  return Line::kRecord;
}

// Parses one line with its CloudEvent. The CloudEvent is the raw text of the
// `event` object (on-demand parsing keeps it byte for byte, where the DOM would
// re-serialize it).
Line ParseRecord(simdjson::dom::parser& parser,
                 simdjson::ondemand::parser& raw_parser,
                 const std::string& line, DeadLetterRecord& out) {
  const Line kind = ParseSummary(parser, line, out.summary);
  if (kind != Line::kRecord) return kind;
  const simdjson::padded_string padded(line);
  simdjson::ondemand::document document;
  simdjson::ondemand::object event;
  std::string_view raw;
  if (raw_parser.iterate(padded).get(document) != simdjson::SUCCESS ||
      document["event"].get_object().get(event) != simdjson::SUCCESS ||
      event.raw_json().get(raw) != simdjson::SUCCESS) {
    return Line::kForeign;
  }
  out.cloud_event_json = std::string(raw);
  return Line::kRecord;
}

Line ParseRecord(simdjson::dom::parser& parser,
                 simdjson::ondemand::parser& /*raw_parser*/,
                 const std::string& line, DeadLetterSummary& out) {
  return ParseSummary(parser, line, out);
}

// Reads the file's records as `Record`s (see ReadDeadLetters).
template <typename Record>
absl::StatusOr<std::vector<Record>> ReadRecords(const std::string& path) {
  std::ifstream in(path);
  std::vector<Record> records;
  if (!in) {
    if (errno == ENOENT) return records;
    return absl::ErrnoToStatus(errno, absl::StrCat("open ", path));
  }
  simdjson::dom::parser parser;
  simdjson::ondemand::parser raw_parser;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    Record record;
    switch (ParseRecord(parser, raw_parser, line, record)) {
      case Line::kRecord:
        records.push_back(std::move(record));
        break;
      case Line::kTorn:
        break;  // Never confirmed: the relay sent that event again.
      case Line::kForeign:
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", number, ": not a dead-letter record"));
    }
  }
  return records;
}

}  // namespace

absl::StatusOr<std::vector<DeadLetterSummary>> ReadDeadLetters(
    const std::string& path) {
  return ReadRecords<DeadLetterSummary>(path);
}

absl::StatusOr<std::vector<DeadLetterRecord>> ReadDeadLetterRecords(
    const std::string& path) {
  return ReadRecords<DeadLetterRecord>(path);
}

}  // namespace evstore::relay
