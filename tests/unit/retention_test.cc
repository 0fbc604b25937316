// Retention: the decision of which segments to drop, and the drop itself
// through the event log (EnforceRetention).
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "storage/customer_retention.h"
#include "storage/event_log.h"
#include "tests/unit/test_support.h"

using namespace evstore;
using evstore::testing::AppendSync;
using evstore::testing::OneStream;
using evstore::testing::ReadAll;
using evstore::testing::TempDir;
using evstore::testing::TestOptions;

namespace {

constexpr int64_t kSecond = 1'000'000;

std::vector<SegmentSummary> FourSegments() {
  // Segments 0..3, 100 bytes each, newest events at 10 s, 20 s, 30 s, 40 s.
  return {{0, 10 * kSecond, 100},
          {1, 20 * kSecond, 100},
          {2, 30 * kSecond, 100},
          {3, 40 * kSecond, 100}};
}

EventLogOptions SmallSegments(const TempDir& dir) {
  EventLogOptions options = TestOptions(dir.path());
  options.segment_events = 10;
  options.retention_interval_ms = 0;  // Rounds run only when asked.
  return options;
}

std::unique_ptr<EventLog> Open(const EventLogOptions& options) {
  auto log = EventLog::Open(options);
  REQUIRE(log.ok());
  return std::move(*log);
}

// Appends `count` one-event appends to `stream`.
void AppendEach(EventLog& log, const std::string& stream, int count) {
  for (int i = 0; i < count; ++i) {
    REQUIRE(AppendSync(log, OneStream("acme", stream, 1)).ok());
  }
}

}  // namespace

TEST_CASE("a policy that keeps everything drops nothing") {
  CHECK(SegmentsToDrop(FourSegments(), 3, {}, 1000 * kSecond, 400).empty());
}

TEST_CASE("age drops the segments whose newest event is older") {
  const CustomerRetention policy{.max_age_seconds = 15};
  // Now 40 s: older than 25 s are segments 0 (10 s) and 1 (20 s).
  CHECK(SegmentsToDrop(FourSegments(), 3, policy, 40 * kSecond, 400) ==
        std::vector<uint64_t>{0, 1});
}

TEST_CASE("the head segment and later ones are never dropped") {
  const CustomerRetention policy{.max_age_seconds = 1};
  CHECK(SegmentsToDrop(FourSegments(), 2, policy, 1000 * kSecond, 400) ==
        std::vector<uint64_t>{0, 1});
  CHECK(SegmentsToDrop(FourSegments(), 0, policy, 1000 * kSecond, 400).empty());
}

TEST_CASE("size drops the oldest segments until the rest fits") {
  const CustomerRetention policy{.max_bytes = 250};
  // 400 stored: dropping 0 leaves 300 (> 250), dropping 1 leaves 200.
  CHECK(SegmentsToDrop(FourSegments(), 3, policy, 0, 400) ==
        std::vector<uint64_t>{0, 1});
  CHECK(SegmentsToDrop(FourSegments(), 3, {.max_bytes = 400}, 0, 400).empty());
}

TEST_CASE("an age above the limit from a corrupt record drops nothing") {
  // Only validated ages are written, but a stored record is read back as it
  // is: a huge age must keep events, not wrap around and drop them all.
  for (const uint64_t age :
       {kMaxRetentionAgeSeconds + 1, uint64_t{1} << 63, UINT64_MAX}) {
    const CustomerRetention policy{.max_age_seconds = age};
    CHECK(
        SegmentsToDrop(FourSegments(), 3, policy, 1000 * kSecond, 400).empty());
  }
}

TEST_CASE("drops are a prefix: a young old segment stops the age rule") {
  std::vector<SegmentSummary> segments = FourSegments();
  segments[1].max_recorded_at_micros = 50 * kSecond;  // newer than the rest
  const CustomerRetention policy{.max_age_seconds = 15};
  CHECK(SegmentsToDrop(segments, 3, policy, 40 * kSecond, 400) ==
        std::vector<uint64_t>{0});
}

TEST_CASE("retention records round-trip and are validated") {
  const CustomerRetention policy{.max_age_seconds = 3600, .max_bytes = 1 << 30};
  CHECK(ParseCustomerRetention(EncodeCustomerRetention(policy)) == policy);
  CHECK_FALSE(ParseCustomerRetention("x").has_value());
  CHECK(ValidateCustomerRetention(
            {.max_age_seconds = kMaxRetentionAgeSeconds + 1})
            .code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a size policy drops whole old segments and keeps the head") {
  TempDir dir;
  const EventLogOptions options = SmallSegments(dir);
  std::unique_ptr<EventLog> log = Open(options);
  AppendEach(*log, "contract/1", 15);  // positions 1..15
  AppendEach(*log, "contract/2", 20);  // positions 16..35: segments 0..3
  const uint64_t stored_before = log->Usage("acme")->stored_bytes;

  // Keep about one segment's worth: segments 0..2 go, segment 3 (the
  // head's) stays although the customer is still above the limit.
  REQUIRE(log->SetRetention("acme", {.max_bytes = 1}).ok());
  absl::StatusOr<RetentionRound> round = log->EnforceRetention();
  REQUIRE(round.ok());
  CHECK(round->segments == 3);
  CHECK(round->events == 30);
  CHECK(log->FirstRetained("acme") == FeedPosition(31));
  CHECK(log->Customer("acme")->first_retained == FeedPosition(31));
  CHECK(log->Usage("acme")->stored_bytes < stored_before);
  CHECK(log->Usage("acme")->stored_bytes > 0);

  std::vector<RecordedEvent> events = ReadAll(*log, "acme");
  REQUIRE(events.size() == 5);
  CHECK(events.front().position == FeedPosition(31));

  // Dropped ids are gone, positions too; the stream keeps its numbering.
  absl::StatusOr<LookupResult> lookup =
      log->Lookup("acme", {}, {FeedPosition(1), FeedPosition(31)}, true);
  REQUIRE(lookup.ok());
  CHECK(lookup->missing_positions ==
        std::vector<FeedPosition>{FeedPosition(1)});
  absl::StatusOr<StreamReadResult> stream = log->ReadStream(
      "acme", "contract/1", StreamRevision(0), ReadDirection::kForwards, {});
  REQUIRE(stream.ok());
  CHECK(stream->events.empty());
  CHECK(stream->end);
  absl::StatusOr<AppendResult> next =
      AppendSync(*log, OneStream("acme", "contract/1", 1));
  REQUIRE(next.ok());
  CHECK(next->streams[0].first_revision == StreamRevision(16));
  absl::StatusOr<StreamReadResult> second = log->ReadStream(
      "acme", "contract/2", StreamRevision(1), ReadDirection::kForwards, {});
  REQUIRE(second.ok());
  REQUIRE(second->events.size() == 5);
  CHECK(second->events.front().revision == StreamRevision(16));

  // A second round has nothing left to drop.
  round = log->EnforceRetention();
  REQUIRE(round.ok());
  CHECK(round->segments == 0);

  // The floor and the stream revision survive a restart.
  log->Close();
  log.reset();
  log = Open(options);
  CHECK(log->FirstRetained("acme") == FeedPosition(31));
  CHECK(log->Customer("acme")->retention.max_bytes == 1);
  next = AppendSync(*log, OneStream("acme", "contract/1", 1));
  REQUIRE(next.ok());
  CHECK(next->streams[0].first_revision == StreamRevision(17));
  CHECK(next->first_position == FeedPosition(37));
}

TEST_CASE("an age policy drops segments once their newest event is old") {
  TempDir dir;
  std::unique_ptr<EventLog> log = Open(SmallSegments(dir));
  AppendEach(*log, "s", 25);  // segments 0, 1 and the head's, 2
  REQUIRE(log->SetRetention("acme", {.max_age_seconds = 3600}).ok());
  absl::StatusOr<RetentionRound> round = log->EnforceRetention();
  REQUIRE(round.ok());
  CHECK(round->segments == 0);  // an hour has not passed
  CHECK(log->FirstRetained("acme") == FeedPosition(1));

  REQUIRE(log->SetRetention("acme", {.max_age_seconds = 1}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  round = log->EnforceRetention();
  REQUIRE(round.ok());
  CHECK(round->segments == 2);
  CHECK(log->FirstRetained("acme") == FeedPosition(21));
  CHECK(ReadAll(*log, "acme").size() == 5);
}
