// Read against a real evstored: the feed by position and streams by
// revision, both directions, bounds, payload-less reads, and long reads that
// span many response batches.
#include <grpcpp/client_context.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/authorization.h"
#include "evstore/v1/evstore.grpc.pb.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;

// What the seeded feed holds, in feed order.
struct SeededEvent {
  std::string id;
  std::string stream;
  uint64_t revision;
};

// Ten appends of three events: two nominations, then one forecast (even
// appends) or one DS000112 nomination (odd appends). The feed has 30 events;
// the nominations stream 20, the other two streams 5 each.
std::vector<SeededEvent> SeedFeed(const client::Client& client) {
  std::vector<SeededEvent> model;
  std::map<std::string, uint64_t> revisions;
  for (int i = 0; i < 10; ++i) {
    v1::AppendRequest request;
    request.set_customer(kOrsted);
    AddWrite(request, kNominations, 1, 2 * i + 1, 2);
    AddWrite(request, i % 2 == 0 ? kForecast : kOtherNominations, 2, i + 1, 1);
    MustAppend(client, request);
    for (const v1::StreamWrite& write : request.writes()) {
      for (const v1::ProposedEvent& event : write.events()) {
        model.push_back(
            {event.id(), write.stream(), ++revisions[write.stream()]});
      }
    }
  }
  return model;
}

v1::ReadRequest FeedRead(
    uint64_t from, uint64_t max_count,
    v1::ReadDirection direction = v1::READ_DIRECTION_FORWARDS) {
  v1::ReadRequest request;
  request.set_customer(kOrsted);
  request.set_start(from);
  request.set_max_count(max_count);
  request.set_direction(direction);
  return request;
}

v1::ReadRequest StreamRead(
    const std::string& stream, uint64_t from, uint64_t max_count,
    v1::ReadDirection direction = v1::READ_DIRECTION_FORWARDS) {
  v1::ReadRequest request = FeedRead(from, max_count, direction);
  request.set_stream(stream);
  return request;
}

std::vector<uint64_t> RevisionsOf(
    const std::vector<v1::RecordedEvent>& events) {
  std::vector<uint64_t> revisions;
  revisions.reserve(events.size());
  for (const v1::RecordedEvent& event : events)
    revisions.push_back(event.revision());
  return revisions;
}

// Requires that every event is the seeded one at its position.
void RequireMatchesModel(const std::vector<v1::RecordedEvent>& events,
                         const std::vector<SeededEvent>& model) {
  for (const v1::RecordedEvent& event : events) {
    INFO("position " << event.position());
    REQUIRE(event.position() >= 1);
    REQUIRE(event.position() <= model.size());
    const SeededEvent& expected = model[event.position() - 1];
    CHECK(event.id() == expected.id);
    CHECK(event.stream() == expected.stream);
    CHECK(event.revision() == expected.revision);
    CHECK(event.customer() == kOrsted);
  }
}

TEST_CASE(
    "reading the feed forwards from the start returns every event in position "
    "order") {
  EvstoredProcess server;
  auto client = server.Connect();
  const std::vector<SeededEvent> model = SeedFeed(*client);

  // From 0 (the start) and from 1 alike.
  for (uint64_t from : {0, 1}) {
    const std::vector<v1::RecordedEvent> events =
        MustReadAll(*client, FeedRead(from, 1000));
    CHECK(PositionsOf(events) == Sequence(1, 30));
    RequireMatchesModel(events, model);
  }
  // Literal spot checks of the model itself.
  CHECK(model[2].stream == kForecast);
  CHECK(model[5].stream == kOtherNominations);
  CHECK(model[29].revision == 5);
}

TEST_CASE(
    "reading the feed forwards from a middle position starts there and honours "
    "max_count") {
  EvstoredProcess server;
  auto client = server.Connect();
  const std::vector<SeededEvent> model = SeedFeed(*client);

  std::vector<v1::RecordedEvent> events = MustReadAll(*client, FeedRead(12, 5));
  CHECK(PositionsOf(events) == Sequence(12, 16));
  RequireMatchesModel(events, model);

  CHECK(PositionsOf(MustReadAll(*client, FeedRead(1, 1))) == Sequence(1, 1));
  CHECK(PositionsOf(MustReadAll(*client, FeedRead(0, 29))) == Sequence(1, 29));
  CHECK(PositionsOf(MustReadAll(*client, FeedRead(0, 30))) == Sequence(1, 30));
  // The range ends with the feed.
  CHECK(PositionsOf(MustReadAll(*client, FeedRead(28, 10))) ==
        Sequence(28, 30));
}

TEST_CASE(
    "reading the feed backwards from the end or a middle position returns "
    "descending positions") {
  EvstoredProcess server;
  auto client = server.Connect();
  const std::vector<SeededEvent> model = SeedFeed(*client);
  const auto backwards = v1::READ_DIRECTION_BACKWARDS;

  std::vector<v1::RecordedEvent> events =
      MustReadAll(*client, FeedRead(0, 4, backwards));
  CHECK(PositionsOf(events) == std::vector<uint64_t>{30, 29, 28, 27});
  RequireMatchesModel(events, model);

  events = MustReadAll(*client, FeedRead(12, 5, backwards));
  CHECK(PositionsOf(events) == std::vector<uint64_t>{12, 11, 10, 9, 8});
  RequireMatchesModel(events, model);

  // The range ends at position 1.
  CHECK(PositionsOf(MustReadAll(*client, FeedRead(3, 10, backwards))) ==
        std::vector<uint64_t>{3, 2, 1});
  CHECK(PositionsOf(MustReadAll(*client, FeedRead(1, 10, backwards))) ==
        std::vector<uint64_t>{1});
  // From beyond the head: the range starts at the head.
  CHECK(PositionsOf(MustReadAll(*client, FeedRead(1000, 2, backwards))) ==
        std::vector<uint64_t>{30, 29});
  // The whole feed, backwards.
  events = MustReadAll(*client, FeedRead(0, 1000, backwards));
  REQUIRE(events.size() == 30);
  CHECK(events.front().position() == 30);
  CHECK(events.back().position() == 1);
}

TEST_CASE("reading past the end of the feed returns nothing and succeeds") {
  EvstoredProcess server;
  auto client = server.Connect();
  SeedFeed(*client);

  for (uint64_t from : {uint64_t{31}, uint64_t{1'000'000'000'000}}) {
    absl::StatusOr<std::vector<v1::RecordedEvent>> events =
        client->ReadAll(FeedRead(from, 10));
    INFO("from " << from << ": " << events.status());
    REQUIRE(events.ok());
    CHECK(events->empty());
  }
  // A stream read past its last revision, forwards.
  absl::StatusOr<std::vector<v1::RecordedEvent>> events =
      client->ReadAll(StreamRead(kForecast, 6, 10));
  REQUIRE(events.ok());
  CHECK(events->empty());
}

TEST_CASE("a stream is read by revision in both directions") {
  EvstoredProcess server;
  auto client = server.Connect();
  const std::vector<SeededEvent> model = SeedFeed(*client);
  const auto backwards = v1::READ_DIRECTION_BACKWARDS;

  std::vector<v1::RecordedEvent> events =
      MustReadAll(*client, StreamRead(kNominations, 0, 100));
  CHECK(RevisionsOf(events) == Sequence(1, 20));
  RequireMatchesModel(events, model);
  for (size_t i = 1; i < events.size(); ++i) {
    CHECK(events[i].position() > events[i - 1].position());
  }

  // Revisions 5..7 of the nominations: positions 7, 8 (4th append) and 10.
  events = MustReadAll(*client, StreamRead(kNominations, 5, 3));
  CHECK(RevisionsOf(events) == Sequence(5, 7));
  CHECK(PositionsOf(events) == std::vector<uint64_t>{7, 8, 10});

  events = MustReadAll(*client, StreamRead(kNominations, 0, 3, backwards));
  CHECK(RevisionsOf(events) == std::vector<uint64_t>{20, 19, 18});
  CHECK(PositionsOf(events) == std::vector<uint64_t>{29, 28, 26});

  events = MustReadAll(*client, StreamRead(kNominations, 4, 100, backwards));
  CHECK(RevisionsOf(events) == std::vector<uint64_t>{4, 3, 2, 1});
  RequireMatchesModel(events, model);

  // The forecast has one event in every other append: positions 3, 9, ...
  events = MustReadAll(*client, StreamRead(kForecast, 100, 100, backwards));
  CHECK(RevisionsOf(events) == std::vector<uint64_t>{5, 4, 3, 2, 1});
  CHECK(PositionsOf(events) == std::vector<uint64_t>{27, 21, 15, 9, 3});
  for (const v1::RecordedEvent& event : events)
    CHECK(event.stream() == kForecast);
}

TEST_CASE("reading without data returns the events without their payloads") {
  EvstoredProcess server;
  auto client = server.Connect();
  SeedFeed(*client);

  v1::ReadRequest request = FeedRead(0, 100);
  request.set_include_data(false);
  std::vector<v1::RecordedEvent> events = MustReadAll(*client, request);
  REQUIRE(events.size() == 30);
  for (const v1::RecordedEvent& event : events) {
    CHECK(event.data().empty());
    CHECK(event.type() == kNominationResponse);
    CHECK(event.content_type() == "application/json");
    CHECK(event.metadata().at("source") == "tso");
    CHECK(event.id().size() == 36);
    CHECK(event.recorded_at().seconds() > 0);
  }

  request = StreamRead(kForecast, 0, 100, v1::READ_DIRECTION_BACKWARDS);
  request.set_include_data(false);
  events = MustReadAll(*client, request);
  REQUIRE(events.size() == 5);
  for (const v1::RecordedEvent& event : events) CHECK(event.data().empty());

  // Explicitly true, like unset, returns the payloads.
  request = StreamRead(kForecast, 1, 1);
  request.set_include_data(true);
  events = MustReadAll(*client, request);
  REQUIRE(events.size() == 1);
  CHECK(events[0].data() == NominationJson(1));
  events = MustReadAll(*client, StreamRead(kNominations, 20, 1));
  REQUIRE(events.size() == 1);
  CHECK(events[0].data() == NominationJson(20));
}

TEST_CASE(
    "reading a stream or a customer that does not exist returns nothing") {
  EvstoredProcess server;
  auto client = server.Connect();
  SeedFeed(*client);

  for (auto direction :
       {v1::READ_DIRECTION_FORWARDS, v1::READ_DIRECTION_BACKWARDS}) {
    INFO("direction " << direction);
    absl::StatusOr<std::vector<v1::RecordedEvent>> events = client->ReadAll(
        StreamRead("contract/DS999999/nominations", 0, 10, direction));
    REQUIRE(events.ok());
    CHECK(events->empty());
    // A prefix of an existing stream's name is another stream.
    events = client->ReadAll(StreamRead("contract/DS000068", 0, 10, direction));
    REQUIRE(events.ok());
    CHECK(events->empty());

    v1::ReadRequest other_customer = FeedRead(0, 10, direction);
    other_customer.set_customer(kGasum);
    events = client->ReadAll(other_customer);
    REQUIRE(events.ok());
    CHECK(events->empty());
    other_customer.set_stream(kNominations);
    events = client->ReadAll(other_customer);
    REQUIRE(events.ok());
    CHECK(events->empty());
  }
}

TEST_CASE(
    "streams whose names are prefixes of each other are read separately") {
  EvstoredProcess server;
  auto client = server.Connect();
  const std::string contract = "contract/DS000068";
  v1::AppendRequest request;
  request.set_customer(kOrsted);
  AddWrite(request, kNominations, 5, 1, 2);  // contract/DS000068/nominations
  AddWrite(request, contract, 5, 3, 1);
  AddWrite(request, contract + "/", 5, 4, 1);
  AddWrite(request, "contract/DS00006", 5, 5, 1);
  MustAppend(*client, request);

  for (auto direction :
       {v1::READ_DIRECTION_FORWARDS, v1::READ_DIRECTION_BACKWARDS}) {
    INFO("direction " << direction);
    std::vector<v1::RecordedEvent> events =
        MustReadAll(*client, StreamRead(contract, 0, 100, direction));
    REQUIRE(events.size() == 1);
    CHECK(events[0].id() == TestUuid(5, 3));
    events =
        MustReadAll(*client, StreamRead(contract + "/", 0, 100, direction));
    REQUIRE(events.size() == 1);
    CHECK(events[0].id() == TestUuid(5, 4));
    events =
        MustReadAll(*client, StreamRead("contract/DS00006", 0, 100, direction));
    REQUIRE(events.size() == 1);
    CHECK(events[0].position() == 5);
    CHECK(MustReadAll(*client, StreamRead(kNominations, 0, 100, direction))
              .size() == 2);
  }
}

TEST_CASE("a read with an invalid request is rejected with INVALID_ARGUMENT") {
  EvstoredProcess server;
  auto client = server.Connect();
  SeedFeed(*client);

  struct Case {
    const char* name;
    v1::ReadRequest request;
    const char* message_part;
  };
  v1::ReadRequest zero = FeedRead(0, 0);
  v1::ReadRequest zero_stream = StreamRead(kNominations, 1, 0);
  v1::ReadRequest bad_customer = FeedRead(0, 10);
  bad_customer.set_customer("Orsted DK");
  v1::ReadRequest bad_stream =
      StreamRead("contract/DS000068\t/nominations", 0, 10);
  const std::vector<Case> cases = {
      {"max_count 0 on the feed", zero, "max_count"},
      {"max_count 0 on a stream", zero_stream, "max_count"},
      {"invalid customer", bad_customer, "customer"},
      {"stream with a control character", bad_stream, "stream"},
  };
  for (const Case& c : cases) {
    INFO("case: " << c.name);
    int delivered = 0;
    const absl::Status status =
        client->Read(c.request, [&](const v1::RecordedEvent&) {
          ++delivered;
          return true;
        });
    INFO("status: " << status);
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(MessageOf(status), Contains(c.message_part));
    CHECK(delivered == 0);
  }
}

TEST_CASE(
    "a long read arrives complete and in order across many response batches") {
  EvstoredProcess server;
  auto client = server.Connect();

  // 20,000 events in 20 appends of 1,000, alternating between two streams
  // within each append.
  constexpr int kAppends = 20;
  constexpr int kPerAppend = 1000;
  std::vector<std::string> ids;
  for (int a = 0; a < kAppends; ++a) {
    v1::AppendRequest request;
    request.set_customer(kOrsted);
    const uint64_t base = static_cast<uint64_t>(a) * kPerAppend;
    AddWrite(request, kNominations, 7, base + 1, kPerAppend / 2);
    AddWrite(request, kForecast, 7, base + kPerAppend / 2 + 1, kPerAppend / 2);
    MustAppend(*client, request);
    for (const std::string& id : IdsOf(request)) ids.push_back(id);
  }
  constexpr uint64_t kTotal = static_cast<uint64_t>(kAppends) * kPerAppend;

  // Forwards over the raw stub, to see the batches.
  auto stub = v1::EventStoreService::NewStub(client->channel());
  grpc::ClientContext context;
  client::AddAuthorization(server.AdminToken(), context);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  const v1::ReadRequest request = FeedRead(0, kTotal + 100);
  auto reader = stub->Read(&context, request);
  v1::ReadResponse batch;
  int batches = 0;
  uint64_t next = 1;
  bool in_order = true;
  while (reader->Read(&batch)) {
    ++batches;
    for (const v1::RecordedEvent& event : batch.events()) {
      if (event.position() != next || event.id() != ids[next - 1] ||
          event.data() != NominationJson(next)) {
        in_order = false;
      }
      ++next;
    }
  }
  const grpc::Status status = reader->Finish();
  INFO("read status: " << status.error_message());
  REQUIRE(status.ok());
  CHECK(in_order);
  CHECK(next - 1 == kTotal);
  CHECK(batches > 10);

  // A reader that stops early ends the read without an error.
  int delivered = 0;
  const absl::Status stopped =
      client->Read(FeedRead(0, kTotal), [&](const v1::RecordedEvent& event) {
        ++delivered;
        return event.position() < 1000;
      });
  CHECK(stopped.ok());
  CHECK(delivered == 1000);

  // Backwards, through the client.
  std::vector<v1::RecordedEvent> events =
      MustReadAll(*client, FeedRead(0, kTotal, v1::READ_DIRECTION_BACKWARDS));
  REQUIRE(events.size() == kTotal);
  bool descending = true;
  for (uint64_t i = 0; i < kTotal; ++i) {
    if (events[i].position() != kTotal - i ||
        events[i].id() != ids[kTotal - i - 1]) {
      descending = false;
    }
  }
  CHECK(descending);

  // A stream of 10,000 events, by revision, without data.
  v1::ReadRequest stream_request = StreamRead(kForecast, 0, kTotal);
  stream_request.set_include_data(false);
  events = MustReadAll(*client, stream_request);
  REQUIRE(events.size() == kTotal / 2);
  bool revisions_dense = true;
  for (uint64_t i = 0; i < events.size(); ++i) {
    if (events[i].revision() != i + 1 || events[i].stream() != kForecast ||
        !events[i].data().empty()) {
      revisions_dense = false;
    }
  }
  CHECK(revisions_dense);

  // The other stream backwards from the end, and ranges from the middle of
  // the feed and of a stream that span several batches.
  events = MustReadAll(*client, StreamRead(kNominations, 0, kTotal,
                                           v1::READ_DIRECTION_BACKWARDS));
  REQUIRE(events.size() == kTotal / 2);
  bool revisions_descending = true;
  for (uint64_t i = 0; i < events.size(); ++i) {
    if (events[i].revision() != kTotal / 2 - i ||
        events[i].stream() != kNominations) {
      revisions_descending = false;
    }
  }
  CHECK(revisions_descending);

  events = MustReadAll(*client, FeedRead(300, 600));
  CHECK(PositionsOf(events) == Sequence(300, 899));
  events = MustReadAll(*client,
                       FeedRead(12'345, 1'000, v1::READ_DIRECTION_BACKWARDS));
  REQUIRE(events.size() == 1000);
  CHECK(events.front().position() == 12'345);
  CHECK(events.back().position() == 11'346);

  // Revisions 400..1,399 of the forecast cross from one append's run of 500
  // into the next ones: positions 901..1000, 1501..2000, ...
  events = MustReadAll(*client, StreamRead(kForecast, 400, 1000));
  REQUIRE(events.size() == 1000);
  CHECK(RevisionsOf(events) == Sequence(400, 1399));
  CHECK(events.front().position() == 900);
  CHECK(events[101].position() == 1501);
  CHECK(events.back().position() == 2899);
  events = MustReadAll(
      *client, StreamRead(kForecast, 1399, 1000, v1::READ_DIRECTION_BACKWARDS));
  CHECK(RevisionsOf(events) == [] {
    std::vector<uint64_t> r;
    for (uint64_t v = 1399; v >= 400; --v) r.push_back(v);
    return r;
  }());
}

}  // namespace
}  // namespace evstore::testing
