// Bad input, one table: every limit and name rule of an append, each sent as
// a unary Append and as an append on an AppendSession to a real evstored
// with small configured limits. Each row names the expected status code and
// the parts the message must contain (field path with the event index, and
// the limit); after each rejected request the customer's feed must be
// unchanged (same head, same events) and none of the request's ids recorded.
// (Oversized gRPC messages: oversized_messages_test.cc.)
#include <catch2/catch.hpp>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/append_session.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;

// The limits evstored runs with here: small, so that rows stay small.
const std::vector<std::string> kLimits = {
    "--max_event_bytes=1024",   "--max_append_events=50",
    "--max_append_bytes=4096",  "--max_metadata_entries=4",
    "--max_metadata_bytes=128",
};

struct Row {
  const char* name;
  // Breaks a valid two-stream append (writes[0]: 2 events to kNominations,
  // writes[1]: 2 events to kForecast) in one place.
  std::function<void(v1::AppendRequest&)> change;
  absl::StatusCode code;
  std::vector<std::string> message_parts;
};

// Replaces the event's metadata with `entries` entries "k0", "k1", ... of
// `value_bytes` each.
void SetMetadata(v1::ProposedEvent* event, int entries, size_t value_bytes) {
  event->clear_metadata();
  for (int i = 0; i < entries; ++i) {
    (*event->mutable_metadata())["k" + std::to_string(i)] =
        std::string(value_bytes, 'v');
  }
}

std::vector<Row> Rows() {
  return {
      // --- customer name ---
      {"empty customer",
       [](v1::AppendRequest& r) { r.clear_customer(); },
       absl::StatusCode::kInvalidArgument,
       {"customer is empty"}},
      {"customer with upper-case letters",
       [](v1::AppendRequest& r) { r.set_customer("Orsted-DK"); },
       absl::StatusCode::kInvalidArgument,
       {"customer", "invalid character at index 0"}},
      {"customer with a slash",
       [](v1::AppendRequest& r) { r.set_customer("orsted/dk"); },
       absl::StatusCode::kInvalidArgument,
       {"customer", "invalid character at index 6"}},
      {"customer longer than 64 characters",
       [](v1::AppendRequest& r) { r.set_customer(std::string(65, 'g')); },
       absl::StatusCode::kInvalidArgument,
       {"customer is 65 characters long", "at most 64"}},
      // --- shape of the append ---
      {"empty append (no stream writes)",
       [](v1::AppendRequest& r) { r.clear_writes(); },
       absl::StatusCode::kInvalidArgument,
       {"writes: at least one stream write is required"}},
      {"stream write without events",
       [](v1::AppendRequest& r) { r.mutable_writes(1)->clear_events(); },
       absl::StatusCode::kInvalidArgument,
       {"writes[1].events: at least one event is required"}},
      {"stream appearing twice",
       [](v1::AppendRequest& r) {
         r.mutable_writes(1)->set_stream(kNominations);
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[1].stream", kNominations, "already appears in writes[0]"}},
      // --- stream name ---
      {"empty stream name",
       [](v1::AppendRequest& r) { r.mutable_writes(1)->clear_stream(); },
       absl::StatusCode::kInvalidArgument,
       {"writes[1].stream is empty"}},
      {"stream name with a control character",
       [](v1::AppendRequest& r) {
         r.mutable_writes(1)->set_stream("contract/DS000068\n/forecast");
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[1].stream", "control character (at byte 17)"}},
      {"stream name with a C1 control character (U+0085)",
       [](v1::AppendRequest& r) {
         r.mutable_writes(0)->set_stream(
             "contract/DS000068/\xc2\x85nominations");
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[0].stream", "control character"}},
      {"stream name longer than 256 bytes",
       [](v1::AppendRequest& r) {
         r.mutable_writes(0)->set_stream("contract/" + std::string(250, 'x'));
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[0].stream is 259 bytes long", "at most 256"}},
      // --- expected revision forms ---
      {"unknown expected state",
       [](v1::AppendRequest& r) {
         r.mutable_writes(1)->set_expected_state(
             static_cast<v1::ExpectedState>(99));
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[1].expected_state: unknown value 99"}},
      {"expected revision that is not the stream's",
       [](v1::AppendRequest& r) {
         r.mutable_writes(0)->set_expected_revision(7);
       },
       absl::StatusCode::kFailedPrecondition,
       {"writes[0]", "expected revision 7", "actual revision is 3"}},
      {"expected revision 0 (no stream) of an existing stream",
       [](v1::AppendRequest& r) {
         r.mutable_writes(0)->set_expected_revision(0);
       },
       absl::StatusCode::kFailedPrecondition,
       {"writes[0]", "actual revision is 3"}},
      {"expected no stream of an existing stream",
       [](v1::AppendRequest& r) {
         r.mutable_writes(0)->set_expected_state(v1::EXPECTED_STATE_NO_STREAM);
       },
       absl::StatusCode::kFailedPrecondition,
       {"writes[0]", "expected no stream", "revision 3"}},
      {"expected an existing stream of a new stream",
       [](v1::AppendRequest& r) {
         r.mutable_writes(1)->set_expected_state(
             v1::EXPECTED_STATE_STREAM_EXISTS);
       },
       absl::StatusCode::kFailedPrecondition,
       {"writes[1]", "expected the stream to exist"}},
      // --- event ids ---
      {"event id that is not a UUID",
       [](v1::AppendRequest& r) {
         r.mutable_writes(1)->mutable_events(1)->set_id("nomres-2026-11-27");
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[1].events[1].id", "\"nomres-2026-11-27\"", "is not a UUID"}},
      {"event id without dashes",
       [](v1::AppendRequest& r) {
         r.mutable_writes(0)->mutable_events(0)->set_id(
             "0f8fad5bd9cb469fa16570867728950e");
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[0].events[0].id", "is not a UUID"}},
      {"empty event id",
       [](v1::AppendRequest& r) {
         r.mutable_writes(0)->mutable_events(1)->clear_id();
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[0].events[1].id", "is not a UUID"}},
      {"nil UUID as event id",
       [](v1::AppendRequest& r) {
         r.mutable_writes(0)->mutable_events(1)->set_id(
             "00000000-0000-0000-0000-000000000000");
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[0].events[1].id", "nil UUID"}},
      {"duplicate ids within the append",
       [](v1::AppendRequest& r) {
         r.mutable_writes(1)->mutable_events(1)->set_id(
             r.writes(0).events(1).id());
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[1].events[1].id", "is also the id of writes[0].events[1]",
        "unique"}},
      {"recorded and new ids mixed",
       [](v1::AppendRequest& r) {
         // The id of the first event appended before the table.
         r.mutable_writes(1)->mutable_events(0)->set_id(TestUuid(60, 1));
       },
       absl::StatusCode::kAlreadyExists,
       {"mixes recorded and new event ids", "event #2 of the append"}},
      // --- event type and content type ---
      {"empty event type",
       [](v1::AppendRequest& r) {
         r.mutable_writes(1)->mutable_events(1)->clear_type();
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[1].events[1].type is empty"}},
      {"event type longer than 256 bytes",
       [](v1::AppendRequest& r) {
         r.mutable_writes(0)->mutable_events(0)->set_type(
             std::string(257, 'T'));
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[0].events[0].type is 257 bytes long", "at most 256"}},
      {"event type with a control character",
       [](v1::AppendRequest& r) {
         r.mutable_writes(0)->mutable_events(1)->set_type("Nomination\t");
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[0].events[1].type", "control character"}},
      {"content type longer than 256 bytes",
       [](v1::AppendRequest& r) {
         r.mutable_writes(1)->mutable_events(0)->set_content_type(
             "application/" + std::string(250, 'x'));
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[1].events[0].content_type is 262 bytes long", "at most 256"}},
      {"content type with a control character",
       [](v1::AppendRequest& r) {
         r.mutable_writes(1)->mutable_events(1)->set_content_type(
             "application/json\r\n");
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[1].events[1].content_type", "control character"}},
      // --- JSON validity ---
      {"invalid JSON under the default content type",
       [](v1::AppendRequest& r) {
         r.mutable_writes(1)->mutable_events(0)->set_data(
             R"({"contract":"DS000068","gasDay":"2026-11-27",)");
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[1].events[0].data", "not valid JSON", "\"application/json\""}},
      {"empty data under the default content type",
       [](v1::AppendRequest& r) {
         r.mutable_writes(0)->mutable_events(0)->clear_data();
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[0].events[0].data", "not valid JSON"}},
      {"invalid JSON under a +json content type",
       [](v1::AppendRequest& r) {
         v1::ProposedEvent* e = r.mutable_writes(0)->mutable_events(1);
         e->set_content_type("application/vnd.edigas.nomres+json");
         e->set_data("<NominationResponse/>");
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[0].events[1].data", "not valid JSON",
        "application/vnd.edigas.nomres+json"}},
      // --- metadata ---
      {"metadata with an empty key",
       [](v1::AppendRequest& r) {
         (*r.mutable_writes(0)->mutable_events(1)->mutable_metadata())[""] =
             "x";
       },
       absl::StatusCode::kInvalidArgument,
       {"writes[0].events[1].metadata: a key is empty"}},
      {"more metadata entries than --max_metadata_entries",
       [](v1::AppendRequest& r) {
         SetMetadata(r.mutable_writes(1)->mutable_events(0), 5, 1);
       },
       absl::StatusCode::kResourceExhausted,
       {"writes[1].events[0].metadata: 5 entries", "at most 4"}},
      {"more metadata bytes than --max_metadata_bytes",
       [](v1::AppendRequest& r) {
         SetMetadata(r.mutable_writes(0)->mutable_events(1), 2, 63);
       },
       absl::StatusCode::kResourceExhausted,
       {"writes[0].events[1].metadata: 130 bytes", "at most 128"}},
      // --- sizes ---
      {"event data over --max_event_bytes",
       [](v1::AppendRequest& r) {
         v1::ProposedEvent* e = r.mutable_writes(1)->mutable_events(1);
         e->set_content_type("application/octet-stream");
         e->set_data(std::string(1025, '\x7f'));
       },
       absl::StatusCode::kResourceExhausted,
       {"writes[1].events[1].data: 1025 bytes", "at most 1024"}},
      {"more bytes than --max_append_bytes",
       [](v1::AppendRequest& r) {
         // Six events of 1000 bytes of data (+ 26 of type + 30 of metadata):
         // each within --max_event_bytes, the fourth over
         // --max_append_bytes.
         for (int i = 0; i < 2; ++i) {
           *r.mutable_writes(1)->add_events() = Nomination(TestUuid(63, i), i);
         }
         for (v1::StreamWrite& w : *r.mutable_writes()) {
           for (v1::ProposedEvent& e : *w.mutable_events()) {
             e.set_content_type("application/octet-stream");
             e.set_data(std::string(1000, 'q'));
           }
         }
       },
       absl::StatusCode::kResourceExhausted,
       {"at most 4096 are allowed per append",
        "writes[1].events[1] is the first over the limit"}},
      {"more events than --max_append_events",
       [](v1::AppendRequest& r) {
         for (int i = 0; i < 47; ++i) {
           *r.mutable_writes(1)->add_events() = Nomination(TestUuid(62, i), i);
         }
       },
       absl::StatusCode::kResourceExhausted,
       {"51 events", "at most 50 are allowed per append",
        "writes[1].events[48] is the first over the limit"}},
  };
}

// The valid request each row breaks.
v1::AppendRequest ValidAppend() {
  v1::AppendRequest request;
  request.set_customer(kOrsted);
  AddWrite(request, kNominations, 61, 1, 2);
  AddWrite(request, kForecast, 61, 3, 2);
  return request;
}

// Appends over `session` and waits for the result.
absl::Status SessionAppend(client::AppendSession& session,
                           v1::AppendRequest request) {
  std::promise<absl::Status> result;
  session.AppendAsync(
      std::move(request),
      [&result](const absl::StatusOr<v1::AppendResponse>& outcome) {
        result.set_value(outcome.status());
      });
  std::future<absl::Status> done = result.get_future();
  REQUIRE(done.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  return done.get();
}

void RequireRejected(const absl::Status& status, const Row& row) {
  INFO("result: " << status);
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == row.code);
  for (const std::string& part : row.message_parts) {
    CHECK_THAT(MessageOf(status), Contains(part));
  }
}

// Requires that none of the well-formed ids of `request` is recorded.
void RequireIdsNotRecorded(const client::Client& client,
                           const v1::AppendRequest& request) {
  v1::GetEventsRequest lookup;
  lookup.set_customer(kOrsted);
  for (const std::string& id : IdsOf(request)) {
    if (id.size() == 36 && id != "00000000-0000-0000-0000-000000000000" &&
        id != TestUuid(60, 1)) {
      lookup.add_ids(id);
    }
  }
  if (lookup.ids_size() == 0) return;
  absl::StatusOr<v1::GetEventsResponse> found = client.GetEvents(lookup);
  REQUIRE(found.ok());
  CHECK(found->events_size() == 0);
}

}  // namespace

TEST_CASE(
    "every limit and name rule rejects appends and sessions naming the field "
    "and the limit and nothing is written") {
  EvstoredProcess server(kLimits);
  auto client = server.Connect();
  // Three events on kNominations (revision 3); kForecast does not exist.
  MustAppend(*client, SingleWrite(kOrsted, kNominations, 60, 1, 3));
  const std::vector<v1::RecordedEvent> feed_before = ReadFeed(*client, kOrsted);
  const uint64_t head_before = FeedHead(*client, kOrsted);
  REQUIRE(head_before == feed_before.size());
  std::unique_ptr<client::AppendSession> session = client->OpenAppendSession();

  for (const Row& row : Rows()) {
    INFO("row: " << row.name);
    v1::AppendRequest request = ValidAppend();
    row.change(request);
    {
      INFO("unary Append");
      RequireRejected(client->Append(request).status(), row);
    }
    {
      INFO("AppendSession");
      RequireRejected(SessionAppend(*session, request), row);
    }
    // Nothing written: same head, same events, no id recorded.
    CHECK(FeedHead(*client, kOrsted) == head_before);
    const std::vector<v1::RecordedEvent> feed_after =
        ReadFeed(*client, kOrsted);
    CHECK(IdsOf(feed_after) == IdsOf(feed_before));
    CHECK(PositionsOf(feed_after) == PositionsOf(feed_before));
    RequireIdsNotRecorded(*client, request);
  }
  CHECK(session->Close(absl::Seconds(30)).ok());
  // The request every row broke is itself valid.
  MustAppend(*client, ValidAppend());
}

}  // namespace evstore::testing
