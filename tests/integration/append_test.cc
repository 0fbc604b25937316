// Append against a real evstored: atomicity, positions and revisions,
// optimistic concurrency, idempotency, validation and customer isolation.
#include <barrier>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;

// Requires that `request` fails with `code` and a message containing every
// one of `parts`.
void RequireAppendFails(const client::Client& client,
                        const v1::AppendRequest& request, absl::StatusCode code,
                        const std::vector<std::string>& parts) {
  absl::StatusOr<v1::AppendResponse> response = client.Append(request);
  INFO("append result: " << response.status());
  REQUIRE_FALSE(response.ok());
  CHECK(response.status().code() == code);
  for (const std::string& part : parts) {
    CHECK_THAT(MessageOf(response.status()), Contains(part));
  }
}

// Requires that none of the ids is recorded for `customer`.
void RequireIdsNotRecorded(const client::Client& client,
                           const std::string& customer,
                           const std::vector<std::string>& ids) {
  v1::GetEventsRequest lookup;
  lookup.set_customer(customer);
  int valid = 0;
  for (const std::string& id : ids) {
    // Only well-formed ids can be looked up.
    if (id.size() == 36 && id != "00000000-0000-0000-0000-000000000000" &&
        id.find_first_not_of("0123456789abcdef-") == std::string::npos) {
      lookup.add_ids(id);
      ++valid;
    }
  }
  if (valid == 0) return;
  absl::StatusOr<v1::GetEventsResponse> found = client.GetEvents(lookup);
  REQUIRE(found.ok());
  CHECK(found->events_size() == 0);
  CHECK(found->missing_ids_size() == valid);
}

TEST_CASE(
    "a multi-stream append whose expected revision fails for one stream writes "
    "nothing") {
  EvstoredProcess server;
  auto client = server.Connect();

  v1::AppendRequest seed;
  seed.set_customer(kOrsted);
  AddWrite(seed, kNominations, 1, 1, 2);
  AddWrite(seed, kForecast, 1, 3, 1);
  MustAppend(*client, seed);
  const std::vector<v1::RecordedEvent> before = ReadFeed(*client, kOrsted);
  REQUIRE(before.size() == 3);

  // The nominations condition holds (revision 2), the forecast one does not
  // (the stream is at revision 1).
  v1::AppendRequest request;
  request.set_customer(kOrsted);
  AddWrite(request, kNominations, 2, 1, 3)->set_expected_revision(2);
  AddWrite(request, kForecast, 2, 4, 2)->set_expected_revision(5);
  RequireAppendFails(
      *client, request, absl::StatusCode::kFailedPrecondition,
      {"writes[1]", "contract/DS000068/forecast", "expected revision 5",
       "the stream's actual revision is 1"});

  // Nothing of either stream was written.
  const std::vector<v1::RecordedEvent> after = ReadFeed(*client, kOrsted);
  CHECK(IdsOf(after) == IdsOf(before));
  CHECK(ReadStream(*client, kOrsted, kNominations).size() == 2);
  CHECK(ReadStream(*client, kOrsted, kForecast).size() == 1);
  RequireIdsNotRecorded(*client, kOrsted, IdsOf(request));

  // With the right condition the same append goes through, right after the
  // seed: the failed attempt used no positions or revisions.
  request.mutable_writes(1)->set_expected_revision(1);
  const v1::AppendResponse response = MustAppend(*client, request);
  CHECK(response.first_position() == 4);
  CHECK(response.last_position() == 8);
  REQUIRE(response.streams_size() == 2);
  CHECK(response.streams(0).first_revision() == 3);
  CHECK(response.streams(0).last_revision() == 5);
  CHECK(response.streams(1).first_revision() == 2);
  CHECK(response.streams(1).last_revision() == 3);
}

TEST_CASE(
    "the events of an append get dense consecutive positions in request "
    "order") {
  EvstoredProcess server;
  auto client = server.Connect();

  v1::AppendRequest first;
  first.set_customer(kOrsted);
  AddWrite(first, kNominations, 10, 1, 2);
  AddWrite(first, kForecast, 10, 3, 3);
  AddWrite(first, kOtherNominations, 10, 6, 1);
  const v1::AppendResponse r1 = MustAppend(*client, first);
  CHECK(r1.first_position() == 1);
  CHECK(r1.last_position() == 6);
  CHECK_FALSE(r1.duplicate());
  CHECK(r1.has_recorded_at());
  CHECK(r1.recorded_at().seconds() > 1'700'000'000);

  // The second append interleaves the streams in another order.
  v1::AppendRequest second;
  second.set_customer(kOrsted);
  AddWrite(second, kOtherNominations, 11, 1, 2);
  AddWrite(second, kNominations, 11, 3, 1);
  const v1::AppendResponse r2 = MustAppend(*client, second);
  CHECK(r2.first_position() == 7);
  CHECK(r2.last_position() == 9);

  const std::vector<v1::RecordedEvent> feed = ReadFeed(*client, kOrsted);
  CHECK(PositionsOf(feed) == Sequence(1, 9));
  std::vector<std::string> expected_ids = IdsOf(first);
  for (const std::string& id : IdsOf(second)) expected_ids.push_back(id);
  CHECK(IdsOf(feed) == expected_ids);

  // Every event carries what was proposed, plus its place in the store.
  REQUIRE(feed.size() == 9);
  const v1::RecordedEvent& event = feed[3];  // forecast, second event
  CHECK(event.customer() == kOrsted);
  CHECK(event.stream() == kForecast);
  CHECK(event.revision() == 2);
  CHECK(event.type() == kNominationResponse);
  CHECK(event.content_type() == "application/json");
  CHECK(event.data() == NominationJson(4));
  CHECK(event.metadata().at("source") == "tso");
  CHECK(event.metadata().at("correlationId") == "nomres-4");
  CHECK(event.recorded_at().seconds() == r1.recorded_at().seconds());
  CHECK(event.recorded_at().nanos() == r1.recorded_at().nanos());
  CHECK(feed[6].stream() == kOtherNominations);
  CHECK(feed[6].revision() == 2);
  CHECK(feed[8].stream() == kNominations);
  CHECK(feed[8].revision() == 3);
}

TEST_CASE(
    "an append reports the first and last revision of every stream write in "
    "request order") {
  EvstoredProcess server;
  auto client = server.Connect();

  MustAppend(*client, SingleWrite(kOrsted, kForecast, 20, 1, 4));

  v1::AppendRequest request;
  request.set_customer(kOrsted);
  AddWrite(request, kNominations, 21, 1, 3);  // new stream
  AddWrite(request, kForecast, 21, 4, 2);     // at revision 4
  const v1::AppendResponse response = MustAppend(*client, request);
  CHECK(response.first_position() == 5);
  CHECK(response.last_position() == 9);
  REQUIRE(response.streams_size() == 2);
  CHECK(response.streams(0).stream() == kNominations);
  CHECK(response.streams(0).first_revision() == 1);
  CHECK(response.streams(0).last_revision() == 3);
  CHECK(response.streams(1).stream() == kForecast);
  CHECK(response.streams(1).first_revision() == 5);
  CHECK(response.streams(1).last_revision() == 6);

  std::vector<uint64_t> revisions;
  for (const v1::RecordedEvent& e : ReadStream(*client, kOrsted, kForecast)) {
    revisions.push_back(e.revision());
  }
  CHECK(revisions == Sequence(1, 6));
}

TEST_CASE("every kind of expected revision is enforced") {
  EvstoredProcess server;
  auto client = server.Connect();
  uint32_t series = 100;
  // An append of one event to `stream` under `condition`.
  const auto attempt =
      [&](const std::string& stream,
          const std::function<void(v1::StreamWrite*)>& condition) {
        v1::AppendRequest request =
            SingleWrite(kOrsted, stream, ++series, 1, 1);
        condition(request.mutable_writes(0));
        return request;
      };
  const auto state = [](v1::ExpectedState s) {
    return [s](v1::StreamWrite* w) { w->set_expected_state(s); };
  };
  const auto revision = [](uint64_t r) {
    return [r](v1::StreamWrite* w) { w->set_expected_revision(r); };
  };
  const auto none = [](v1::StreamWrite*) {};

  SECTION("no condition and any append whatever the revision") {
    CHECK(MustAppend(*client, attempt(kNominations, none))
              .streams(0)
              .last_revision() == 1);
    CHECK(MustAppend(*client, attempt(kNominations, none))
              .streams(0)
              .last_revision() == 2);
    CHECK(MustAppend(*client,
                     attempt(kNominations, state(v1::EXPECTED_STATE_ANY)))
              .streams(0)
              .last_revision() == 3);
    CHECK(MustAppend(*client, attempt(kNominations,
                                      state(v1::EXPECTED_STATE_UNSPECIFIED)))
              .streams(0)
              .last_revision() == 4);
    CHECK(MustAppend(*client, attempt(kForecast, state(v1::EXPECTED_STATE_ANY)))
              .streams(0)
              .last_revision() == 1);
  }

  SECTION("no_stream holds only for a stream without events") {
    CHECK(MustAppend(*client,
                     attempt(kNominations, state(v1::EXPECTED_STATE_NO_STREAM)))
              .streams(0)
              .last_revision() == 1);
    const v1::AppendRequest again =
        attempt(kNominations, state(v1::EXPECTED_STATE_NO_STREAM));
    RequireAppendFails(*client, again, absl::StatusCode::kFailedPrecondition,
                       {"writes[0]", kNominations, "expected no stream",
                        "exists at revision 1"});
    RequireIdsNotRecorded(*client, kOrsted, IdsOf(again));
  }

  SECTION("stream_exists holds only for a stream with events") {
    const v1::AppendRequest early =
        attempt(kNominations, state(v1::EXPECTED_STATE_STREAM_EXISTS));
    RequireAppendFails(*client, early, absl::StatusCode::kFailedPrecondition,
                       {"writes[0]", kNominations,
                        "expected the stream to exist", "revision 0"});
    RequireIdsNotRecorded(*client, kOrsted, IdsOf(early));
    CHECK(FeedHead(*client, kOrsted) == 0);
    MustAppend(*client, attempt(kNominations, none));
    CHECK(MustAppend(*client, attempt(kNominations,
                                      state(v1::EXPECTED_STATE_STREAM_EXISTS)))
              .streams(0)
              .last_revision() == 2);
  }

  SECTION("an exact revision of 0 means the stream has no events") {
    CHECK(MustAppend(*client, attempt(kNominations, revision(0)))
              .streams(0)
              .last_revision() == 1);
    RequireAppendFails(*client, attempt(kNominations, revision(0)),
                       absl::StatusCode::kFailedPrecondition,
                       {"writes[0]", kNominations, "expected revision 0",
                        "actual revision is 1"});
  }

  SECTION("an exact revision must equal the stream's revision") {
    MustAppend(*client, SingleWrite(kOrsted, kNominations, 99, 1, 3));
    RequireAppendFails(*client, attempt(kNominations, revision(2)),
                       absl::StatusCode::kFailedPrecondition,
                       {"expected revision 2", "actual revision is 3"});
    RequireAppendFails(*client, attempt(kNominations, revision(4)),
                       absl::StatusCode::kFailedPrecondition,
                       {"expected revision 4", "actual revision is 3"});
    // A condition on a stream that does not exist fails with revision 0.
    RequireAppendFails(
        *client, attempt(kForecast, revision(1)),
        absl::StatusCode::kFailedPrecondition,
        {kForecast, "expected revision 1", "actual revision is 0"});
    const v1::AppendResponse ok =
        MustAppend(*client, attempt(kNominations, revision(3)));
    CHECK(ok.streams(0).first_revision() == 4);
    CHECK(ok.first_position() == 4);
    CHECK(FeedHead(*client, kOrsted) == 4);
  }
}

TEST_CASE(
    "retrying an append returns the original result marked duplicate and "
    "writes nothing") {
  EvstoredProcess server;
  auto client = server.Connect();

  v1::AppendRequest request;
  request.set_customer(kOrsted);
  AddWrite(request, kNominations, 30, 1, 2)
      ->set_expected_state(v1::EXPECTED_STATE_NO_STREAM);
  AddWrite(request, kForecast, 30, 3, 1);
  const v1::AppendResponse original = MustAppend(*client, request);
  CHECK_FALSE(original.duplicate());
  // Others write meanwhile, so the head and the stream revision move on.
  MustAppend(*client, SingleWrite(kOrsted, kNominations, 31, 1, 2));

  // The retry's no_stream condition no longer holds; an idempotent retry
  // must still be recognised as the append that already happened.
  const v1::AppendResponse retry = MustAppend(*client, request);
  CHECK(retry.duplicate());
  CHECK(retry.first_position() == original.first_position());
  CHECK(retry.last_position() == original.last_position());
  REQUIRE(retry.streams_size() == 2);
  for (int i = 0; i < 2; ++i) {
    CHECK(retry.streams(i).stream() == original.streams(i).stream());
    CHECK(retry.streams(i).first_revision() ==
          original.streams(i).first_revision());
    CHECK(retry.streams(i).last_revision() ==
          original.streams(i).last_revision());
  }
  CHECK(retry.recorded_at().seconds() == original.recorded_at().seconds());
  CHECK(retry.recorded_at().nanos() == original.recorded_at().nanos());

  CHECK(PositionsOf(ReadFeed(*client, kOrsted)) == Sequence(1, 5));
  CHECK(ReadStream(*client, kOrsted, kNominations).size() == 4);
  // The next new append follows right after: the retry took no position.
  CHECK(MustAppend(*client, SingleWrite(kOrsted, kForecast, 32, 1, 1))
            .first_position() == 6);
}

TEST_CASE(
    "an append mixing recorded and new event ids is rejected with "
    "ALREADY_EXISTS") {
  EvstoredProcess server;
  auto client = server.Connect();

  MustAppend(*client, SingleWrite(kOrsted, kNominations, 40, 1, 2));
  // Event #0 is new, #1 was recorded at position 2, #2 is new.
  v1::AppendRequest mixed;
  mixed.set_customer(kOrsted);
  v1::StreamWrite* write = mixed.add_writes();
  write->set_stream(kNominations);
  *write->add_events() = Nomination(TestUuid(41, 1), 1);
  *write->add_events() = Nomination(TestUuid(40, 2), 2);
  *write->add_events() = Nomination(TestUuid(41, 3), 3);
  RequireAppendFails(*client, mixed, absl::StatusCode::kAlreadyExists,
                     {"mixes recorded and new event ids", "event #1",
                      "recorded at feed position 2"});
  RequireIdsNotRecorded(*client, kOrsted, {TestUuid(41, 1), TestUuid(41, 3)});
  CHECK(FeedHead(*client, kOrsted) == 2);

  // All ids recorded, but split differently (one event of the original) is
  // not the original append either.
  v1::AppendRequest partial;
  partial.set_customer(kOrsted);
  partial.add_writes()->set_stream(kNominations);
  *partial.mutable_writes(0)->add_events() = Nomination(TestUuid(40, 2), 2);
  RequireAppendFails(*client, partial, absl::StatusCode::kAlreadyExists,
                     {"already recorded", "different append"});

  // The same ids under another stream are not the original append.
  v1::AppendRequest moved = SingleWrite(kOrsted, kForecast, 40, 1, 2);
  RequireAppendFails(*client, moved, absl::StatusCode::kAlreadyExists,
                     {"different append"});
  CHECK(FeedHead(*client, kOrsted) == 2);
  CHECK(ReadStream(*client, kOrsted, kForecast).empty());
}

TEST_CASE(
    "an append with the same event id twice is rejected naming both places") {
  EvstoredProcess server;
  auto client = server.Connect();

  v1::AppendRequest request;
  request.set_customer(kOrsted);
  AddWrite(request, kNominations, 50, 1, 2);
  AddWrite(request, kForecast, 50, 3, 2);
  // writes[1].events[1] repeats the id of writes[0].events[1].
  request.mutable_writes(1)->mutable_events(1)->set_id(TestUuid(50, 2));
  RequireAppendFails(*client, request, absl::StatusCode::kInvalidArgument,
                     {"writes[1].events[1].id", TestUuid(50, 2),
                      "writes[0].events[1]", "unique"});
  CHECK(FeedHead(*client, kOrsted) == 0);
  RequireIdsNotRecorded(*client, kOrsted, IdsOf(request));
}

// Malformed and oversized appends: see bad_input_test.cc (one table for
// Append and AppendSession).

TEST_CASE(
    "payloads that are not JSON are accepted under a non-JSON content type up "
    "to the size limit") {
  EvstoredProcess server({"--max_event_bytes=1024"});
  auto client = server.Connect();

  // An Edig@s XML document, and exactly --max_event_bytes of binary data.
  std::string binary(1024, '\0');
  for (size_t i = 0; i < binary.size(); ++i)
    binary[i] = static_cast<char>(i * 7);
  v1::AppendRequest request = SingleWrite(kOrsted, kNominations, 70, 1, 3);
  v1::ProposedEvent* xml = request.mutable_writes(0)->mutable_events(0);
  xml->set_content_type("application/xml");
  xml->set_data(
      "<NominationResponse status=\"16G\"><gasDay>2026-11-27</gasDay>");
  v1::ProposedEvent* raw = request.mutable_writes(0)->mutable_events(1);
  raw->set_content_type("application/octet-stream");
  raw->set_data(binary);
  MustAppend(*client, request);

  const std::vector<v1::RecordedEvent> feed = ReadFeed(*client, kOrsted);
  REQUIRE(feed.size() == 3);
  CHECK(feed[0].content_type() == "application/xml");
  CHECK(feed[0].data() == xml->data());
  CHECK(feed[1].content_type() == "application/octet-stream");
  CHECK(feed[1].data() == binary);
  // An empty content type is recorded as JSON.
  CHECK(feed[2].content_type() == "application/json");
}

// proto3 string fields must hold UTF-8: a request with invalid UTF-8 fails
// to parse inside gRPC, before evstore sees it. gRPC C++ reports a request
// that does not parse as UNIMPLEMENTED with an empty message (not the
// contract's INVALID_ARGUMENT), so only the rejection is asserted here.
TEST_CASE(
    "an append with a stream name that is not valid UTF-8 is refused and "
    "writes nothing") {
  EvstoredProcess server;
  auto client = server.Connect();
  MustAppend(*client, SingleWrite(kOrsted, kNominations, 72, 1, 1));
  v1::AppendRequest request =
      SingleWrite(kOrsted, "contract/DS000068/\xff\xfe", 73, 1, 1);
  absl::StatusOr<v1::AppendResponse> response = client->Append(request);
  INFO("append result: " << response.status());
  CHECK_FALSE(response.ok());
  CHECK(FeedHead(*client, kOrsted) == 1);
  RequireIdsNotRecorded(*client, kOrsted, IdsOf(request));
}

TEST_CASE(
    "appends up to the default size limits are recorded and read back whole") {
  EvstoredProcess server;
  auto client = server.Connect();
  constexpr size_t kMiB = size_t{1} << 20;

  // 15 events of exactly 1 MiB (the default --max_event_bytes): 15 MiB of
  // data, under the default --max_append_bytes of 16 MiB.
  v1::AppendRequest big = SingleWrite(kOrsted, kForecast, 74, 1, 15);
  for (v1::ProposedEvent& e : *big.mutable_writes(0)->mutable_events()) {
    e.set_content_type("application/octet-stream");
    e.set_data(std::string(kMiB, static_cast<char>('a' + e.id().back() % 16)));
  }
  const v1::AppendResponse response = MustAppend(*client, big);
  CHECK(response.last_position() == 15);
  const std::vector<v1::RecordedEvent> feed = ReadFeed(*client, kOrsted);
  REQUIRE(feed.size() == 15);
  for (int i = 0; i < 15; ++i) {
    CHECK(feed[static_cast<size_t>(i)].data() ==
          big.writes(0).events(i).data());
  }
  v1::GetEventsRequest lookup;
  lookup.set_customer(kOrsted);
  for (uint64_t p = 1; p <= 15; ++p) lookup.add_positions(p);
  absl::StatusOr<v1::GetEventsResponse> found = client->GetEvents(lookup);
  INFO("lookup: " << found.status());
  REQUIRE(found.ok());
  REQUIRE(found->events_size() == 15);
  CHECK(found->events(14).data().size() == kMiB);

  // 17 MiB of data is over --max_append_bytes.
  v1::AppendRequest too_big = SingleWrite(kOrsted, kForecast, 75, 1, 17);
  for (v1::ProposedEvent& e : *too_big.mutable_writes(0)->mutable_events()) {
    e.set_content_type("application/octet-stream");
    e.set_data(std::string(kMiB, 'z'));
  }
  RequireAppendFails(*client, too_big, absl::StatusCode::kResourceExhausted,
                     {"writes:", "bytes", "at most 16777216"});

  // 10,000 events (the default --max_append_events) in one append, and one
  // more is refused.
  v1::AppendRequest many = SingleWrite(kOrsted, kNominations, 76, 1, 5000);
  AddWrite(many, kOtherNominations, 76, 5001, 5000);
  const v1::AppendResponse many_response = MustAppend(*client, many);
  CHECK(many_response.first_position() == 16);
  CHECK(many_response.last_position() == 10'015);
  CHECK(many_response.streams(1).last_revision() == 5000);
  v1::AppendRequest too_many =
      SingleWrite(kOrsted, kNominations, 77, 1, 10'001);
  RequireAppendFails(*client, too_many, absl::StatusCode::kResourceExhausted,
                     {"10001 events", "at most 10000"});
  CHECK(FeedHead(*client, kOrsted) == 10'015);
}

TEST_CASE("stream names and types in non-ASCII UTF-8 are recorded as given") {
  EvstoredProcess server;
  auto client = server.Connect();
  const std::string stream =
      "kontrakt/S\xc3\x98NDERJYLLAND-\xc3\x85/nomineringer";
  const std::string type = "Nomineringssvar\xe2\x80\x93Modtaget";
  v1::AppendRequest request = SingleWrite(kOrsted, stream, 71, 1, 2);
  request.mutable_writes(0)->mutable_events(1)->set_type(type);
  const v1::AppendResponse response = MustAppend(*client, request);
  CHECK(response.streams(0).stream() == stream);
  const std::vector<v1::RecordedEvent> events =
      ReadStream(*client, kOrsted, stream);
  REQUIRE(events.size() == 2);
  CHECK(events[0].stream() == stream);
  CHECK(events[1].type() == type);
}

TEST_CASE(
    "of concurrent appends expecting the same revision exactly one succeeds") {
  EvstoredProcess server;
  auto client = server.Connect();
  constexpr int kThreads = 8;
  constexpr int kRounds = 15;
  // Round r: every thread appends with expected revision r (round 0: also
  // no_stream on a second stream), all at once, so that the attempts land in
  // the same commit group.
  std::barrier start_line(kThreads);
  std::mutex mu;
  std::vector<int> winners(kRounds, 0);
  std::vector<int> no_stream_winners(1, 0);
  std::vector<std::string> unexpected;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        v1::AppendRequest request = SingleWrite(
            kOrsted, kNominations, 90,
            static_cast<uint64_t>(round) * 100 + static_cast<uint64_t>(t) + 1,
            1);
        request.mutable_writes(0)->set_expected_revision(
            static_cast<uint64_t>(round));
        if (round == 0) {
          AddWrite(request, kForecast, 91, static_cast<uint64_t>(t) + 1, 1)
              ->set_expected_state(v1::EXPECTED_STATE_NO_STREAM);
        }
        start_line.arrive_and_wait();
        absl::StatusOr<v1::AppendResponse> response = client->Append(request);
        {
          std::lock_guard<std::mutex> lock(mu);
          if (response.ok()) {
            ++winners[round];
            if (round == 0) ++no_stream_winners[0];
            if (response->streams(0).first_revision() !=
                static_cast<uint64_t>(round) + 1) {
              unexpected.push_back(
                  "round " + std::to_string(round) + " got revision " +
                  std::to_string(response->streams(0).first_revision()));
            }
          } else if (response.status().code() !=
                     absl::StatusCode::kFailedPrecondition) {
            unexpected.push_back(response.status().ToString());
          }
        }
        // Everyone waits for the round to finish before the next one.
        start_line.arrive_and_wait();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  CHECK(unexpected.empty());
  for (const std::string& text : unexpected) WARN(text);
  for (int round = 0; round < kRounds; ++round) {
    INFO("round " << round);
    CHECK(winners[round] == 1);
  }
  CHECK(no_stream_winners[0] == 1);
  std::vector<uint64_t> revisions;
  for (const v1::RecordedEvent& e :
       ReadStream(*client, kOrsted, kNominations)) {
    revisions.push_back(e.revision());
  }
  CHECK(revisions == Sequence(1, kRounds));
  CHECK(ReadStream(*client, kOrsted, kForecast).size() == 1);
  CHECK(PositionsOf(ReadFeed(*client, kOrsted)) == Sequence(1, kRounds + 1));
}

TEST_CASE(
    "an event id given in upper case is recorded in canonical lower case") {
  EvstoredProcess server;
  auto client = server.Connect();
  v1::AppendRequest upper =
      SingleWrite(kOrsted, kNominations, 0xabcdef, 0xabc, 1);
  std::string id = upper.writes(0).events(0).id();
  for (char& c : id)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  upper.mutable_writes(0)->mutable_events(0)->set_id(id);
  MustAppend(*client, upper);
  const std::vector<v1::RecordedEvent> feed = ReadFeed(*client, kOrsted);
  REQUIRE(feed.size() == 1);
  CHECK(feed[0].id() == TestUuid(0xabcdef, 0xabc));
  // The lower-case spelling is the same id: a retry with it is a duplicate.
  const v1::AppendResponse retry = MustAppend(
      *client, SingleWrite(kOrsted, kNominations, 0xabcdef, 0xabc, 1));
  CHECK(retry.duplicate());
  CHECK(FeedHead(*client, kOrsted) == 1);
}

TEST_CASE(
    "customers are isolated: the same ids and streams in two customers are "
    "independent") {
  EvstoredProcess server;
  auto client = server.Connect();

  const v1::AppendRequest orsted = SingleWrite(kOrsted, kNominations, 80, 1, 3);
  v1::AppendRequest gasum = orsted;
  gasum.set_customer(kGasum);
  gasum.mutable_writes(0)->set_expected_state(v1::EXPECTED_STATE_NO_STREAM);

  const v1::AppendResponse o = MustAppend(*client, orsted);
  const v1::AppendResponse g = MustAppend(*client, gasum);
  // Same ids, but gasum's feed and stream are new: no duplicate, positions
  // and revisions start at 1.
  CHECK_FALSE(g.duplicate());
  CHECK(g.first_position() == 1);
  CHECK(g.last_position() == 3);
  CHECK(g.streams(0).first_revision() == 1);
  CHECK(o.first_position() == 1);

  // More for orsted-dk only.
  MustAppend(*client, SingleWrite(kOrsted, kNominations, 81, 1, 2));
  const std::vector<v1::RecordedEvent> orsted_feed = ReadFeed(*client, kOrsted);
  const std::vector<v1::RecordedEvent> gasum_feed = ReadFeed(*client, kGasum);
  CHECK(orsted_feed.size() == 5);
  REQUIRE(gasum_feed.size() == 3);
  for (const v1::RecordedEvent& e : gasum_feed) CHECK(e.customer() == kGasum);
  for (const v1::RecordedEvent& e : orsted_feed) CHECK(e.customer() == kOrsted);

  // Conditions see each customer's own revision.
  v1::AppendRequest next = SingleWrite(kGasum, kNominations, 82, 1, 1);
  next.mutable_writes(0)->set_expected_revision(3);
  CHECK(MustAppend(*client, next).first_position() == 4);
  next = SingleWrite(kGasum, kNominations, 83, 1, 1);
  next.mutable_writes(0)->set_expected_revision(5);
  RequireAppendFails(*client, next, absl::StatusCode::kFailedPrecondition,
                     {"actual revision is 4"});

  // A retry in one customer is a duplicate only there.
  const v1::AppendResponse retry = MustAppend(*client, gasum);
  CHECK(retry.duplicate());
  CHECK(retry.first_position() == 1);
  CHECK(FeedHead(*client, kOrsted) == 5);
  CHECK(FeedHead(*client, kGasum) == 4);

  // A customer whose name extends another's is another customer.
  v1::AppendRequest gasum_se = SingleWrite("gasum-se", kNominations, 80, 1, 1);
  gasum_se.mutable_writes(0)->set_expected_revision(0);
  const v1::AppendResponse se = MustAppend(*client, gasum_se);
  CHECK_FALSE(se.duplicate());
  CHECK(se.first_position() == 1);
  CHECK(FeedHead(*client, kGasum) == 4);
  const std::vector<v1::RecordedEvent> se_feed = ReadFeed(*client, "gasum-se");
  REQUIRE(se_feed.size() == 1);
  CHECK(se_feed[0].customer() == "gasum-se");
}

}  // namespace
}  // namespace evstore::testing
