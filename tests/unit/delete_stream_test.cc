// EventLog::DeleteStream: truncate and tombstone.
#include <catch2/catch.hpp>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "storage/event_log.h"
#include "tests/unit/test_support.h"

using namespace evstore;
using evstore::testing::AppendSync;
using evstore::testing::OneStream;
using evstore::testing::ReadAll;
using evstore::testing::TempDir;
using evstore::testing::TestOptions;

namespace {

std::unique_ptr<EventLog> Open(const EventLogOptions& options) {
  auto log = EventLog::Open(options);
  REQUIRE(log.ok());
  return std::move(*log);
}

absl::StatusOr<AppendResult> DeleteSync(
    EventLog& log, const std::string& stream, bool tombstone,
    ExpectedRevision expected = ExpectedRevision::Any()) {
  std::promise<absl::StatusOr<AppendResult>> promise;
  log.DeleteStream("acme", stream, expected, tombstone,
                   [&promise](absl::StatusOr<AppendResult> result) {
                     promise.set_value(std::move(result));
                   });
  return promise.get_future().get();
}

std::vector<uint64_t> Positions(const std::vector<RecordedEvent>& events) {
  std::vector<uint64_t> positions;
  positions.reserve(events.size());
  for (const RecordedEvent& event : events) {
    positions.push_back(event.position.value());
  }
  return positions;
}

}  // namespace

TEST_CASE("truncate removes the stream's events and the stream continues") {
  TempDir dir;
  EventLogOptions options = TestOptions(dir.path());
  options.segment_events = 4;
  options.retention_interval_ms = 0;
  std::unique_ptr<EventLog> log = Open(options);
  AppendBatch first = OneStream("acme", "a", 3);  // 1..3
  const EventId removed_id = first.writes[0].events[1].id;
  REQUIRE(AppendSync(*log, first).ok());
  REQUIRE(AppendSync(*log, OneStream("acme", "b", 2)).ok());  // 4..5
  REQUIRE(AppendSync(*log, OneStream("acme", "a", 2)).ok());  // 6..7
  const uint64_t stored_before = log->Usage("acme")->stored_bytes;

  absl::StatusOr<AppendResult> wrong =
      DeleteSync(*log, "a", false, ExpectedRevision::Exact(StreamRevision(4)));
  CHECK(wrong.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(ReadAll(*log, "acme").size() == 7);

  absl::StatusOr<AppendResult> deleted =
      DeleteSync(*log, "a", false, ExpectedRevision::Exact(StreamRevision(5)));
  REQUIRE(deleted.ok());
  CHECK(deleted->removed_events == 5);
  CHECK(deleted->streams[0].last_revision == StreamRevision(5));
  CHECK_FALSE(deleted->tombstoned);
  CHECK(Positions(ReadAll(*log, "acme")) == std::vector<uint64_t>{4, 5});
  CHECK(log->Usage("acme")->stored_bytes < stored_before);

  absl::StatusOr<StreamReadResult> stream = log->ReadStream(
      "acme", "a", StreamRevision(0), ReadDirection::kForwards, {});
  REQUIRE(stream.ok());
  CHECK(stream->events.empty());
  absl::StatusOr<LookupResult> lookup = log->Lookup(
      "acme", {removed_id}, {FeedPosition(2), FeedPosition(4)}, true);
  REQUIRE(lookup.ok());
  CHECK(lookup->missing_ids == std::vector<EventId>{removed_id});
  CHECK(lookup->missing_positions ==
        std::vector<FeedPosition>{FeedPosition(2)});

  // Retrying the removed append is a duplicate, not a new event.
  absl::StatusOr<AppendResult> retry = AppendSync(*log, first);
  REQUIRE(retry.ok());
  CHECK(retry->duplicate);
  CHECK(retry->first_position == FeedPosition(1));

  // The stream continues after its last revision; positions go on.
  absl::StatusOr<AppendResult> next = AppendSync(
      *log,
      OneStream("acme", "a", 1, ExpectedRevision::Exact(StreamRevision(5))));
  REQUIRE(next.ok());
  CHECK(next->streams[0].first_revision == StreamRevision(6));
  CHECK(next->first_position == FeedPosition(8));
  stream = log->ReadStream("acme", "a", StreamRevision(1),
                           ReadDirection::kForwards, {});
  REQUIRE(stream.ok());
  REQUIRE(stream->events.size() == 1);
  CHECK(stream->events[0].revision == StreamRevision(6));
  stream = log->ReadStream("acme", "a", StreamRevision(0),
                           ReadDirection::kBackwards, {});
  REQUIRE(stream.ok());
  REQUIRE(stream->events.size() == 1);
  CHECK(stream->events[0].revision == StreamRevision(6));
}

TEST_CASE("removing the newest events never reuses their positions") {
  TempDir dir;
  EventLogOptions options = TestOptions(dir.path());
  options.retention_interval_ms = 0;
  std::unique_ptr<EventLog> log = Open(options);
  REQUIRE(AppendSync(*log, OneStream("acme", "b", 2)).ok());  // 1..2
  REQUIRE(AppendSync(*log, OneStream("acme", "a", 3)).ok());  // 3..5
  REQUIRE(DeleteSync(*log, "a", false).ok());
  log->Close();
  log.reset();
  log = Open(options);
  CHECK(log->Head("acme") == FeedPosition(5));
  absl::StatusOr<AppendResult> next =
      AppendSync(*log, OneStream("acme", "a", 1));
  REQUIRE(next.ok());
  CHECK(next->first_position == FeedPosition(6));
  CHECK(next->streams[0].first_revision == StreamRevision(4));
  CHECK(Positions(ReadAll(*log, "acme")) == std::vector<uint64_t>{1, 2, 6});
}

TEST_CASE("a tombstoned stream refuses appends for ever") {
  TempDir dir;
  EventLogOptions options = TestOptions(dir.path());
  options.retention_interval_ms = 0;
  std::unique_ptr<EventLog> log = Open(options);
  REQUIRE(AppendSync(*log, OneStream("acme", "a", 2)).ok());
  absl::StatusOr<AppendResult> deleted = DeleteSync(*log, "a", true);
  REQUIRE(deleted.ok());
  CHECK(deleted->tombstoned);
  CHECK(deleted->removed_events == 2);

  absl::StatusOr<AppendResult> refused =
      AppendSync(*log, OneStream("acme", "a", 1));
  CHECK(refused.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(refused.status().message().find("\"a\"") != std::string::npos);
  CHECK(DeleteSync(*log, "a", false).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<AppendResult> again = DeleteSync(*log, "a", true);
  REQUIRE(again.ok());
  CHECK(again->removed_events == 0);

  log->Close();
  log.reset();
  log = Open(options);
  CHECK(AppendSync(*log, OneStream("acme", "a", 1)).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(AppendSync(*log, OneStream("acme", "other", 1)).ok());
}
